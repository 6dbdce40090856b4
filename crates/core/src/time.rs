//! Time as a parameter: a UNIX timestamp the caller passes in, and calendar dates in Korea
//! Standard Time, which is how the gateway counts days (charge dates, "after today").
//!
//! The core never reads a clock. The calendar arithmetic is the proleptic Gregorian
//! days-from-civil conversion; KST has had no daylight saving time since 1988, so it is a
//! fixed UTC+9 offset.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Korea Standard Time offset from UTC, in seconds.
pub const KST_OFFSET_SECONDS: i64 = 9 * 3600;

/// A point in time, in seconds since the UNIX epoch (UTC). Supplied by the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Seconds since the UNIX epoch.
    pub fn from_unix_seconds(seconds: i64) -> Self {
        Timestamp(seconds)
    }

    /// From a `SystemTime` the caller read (times before 1970 clamp to the epoch).
    pub fn from_system_time(time: std::time::SystemTime) -> Self {
        let seconds = time
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Timestamp(seconds)
    }

    /// The calendar day in Korea at this instant.
    pub fn kst_date(self) -> Date {
        let local = self.0.saturating_add(KST_OFFSET_SECONDS);
        Date::from_days_since_epoch(local.div_euclid(86_400))
    }

    /// Midnight KST starting the given day.
    pub fn kst_midnight(date: Date) -> Self {
        Timestamp(date.days_since_epoch() * 86_400 - KST_OFFSET_SECONDS)
    }

    /// Reads a Korean local date-time `YYYYMMDDhhmmss` (the gateway's `resdt` /
    /// `transaction_date`), surrounding whitespace ignored; `None` when it is not one.
    pub fn parse_kst_datetime(text: &str) -> Option<Self> {
        let text = text.trim();
        let date = Date::parse_yyyymmdd(text.get(..8)?)?;
        let time = text.get(8..)?;
        if time.len() != 6 || !time.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let part = |range: std::ops::Range<usize>| time.get(range)?.parse::<i64>().ok();
        let (hour, minute, second) = (part(0..2)?, part(2..4)?, part(4..6)?);
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        Some(Timestamp(
            Timestamp::kst_midnight(date).0 + hour * 3600 + minute * 60 + second,
        ))
    }
}

/// A calendar date, written `YYYYMMDD` on the wire.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

impl Date {
    /// A valid date between years 1 and 9999.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        let valid = (1..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month);
        valid.then_some(Date { year, month, day })
    }

    /// Parses `YYYYMMDD`.
    pub fn parse_yyyymmdd(text: &str) -> Option<Self> {
        if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year = text.get(0..4)?.parse().ok()?;
        let month = text.get(4..6)?.parse().ok()?;
        let day = text.get(6..8)?.parse().ok()?;
        Date::new(year, month, day)
    }

    /// Year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// Month, 1–12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// Day of month, 1–31.
    pub fn day(self) -> u8 {
        self.day
    }

    /// The same day `months` later; a day that month lacks becomes its last day
    /// (January 31 + 1 month = February 28 or 29).
    pub fn add_months(self, months: u32) -> Self {
        let total = i64::from(self.year) * 12 + i64::from(self.month) - 1 + i64::from(months);
        let year = i32::try_from(total.div_euclid(12))
            .unwrap_or(9999)
            .min(9999);
        let month = u8::try_from(total.rem_euclid(12) + 1).unwrap_or(12);
        let day = self.day.min(days_in_month(year, month));
        Date { year, month, day }
    }

    /// The next day.
    pub fn succ(self) -> Self {
        Date::from_days_since_epoch(self.days_since_epoch() + 1)
    }

    /// Days since 1970-01-01.
    pub fn days_since_epoch(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    fn from_days_since_epoch(days: i64) -> Self {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date {
            year: i32::try_from(year.clamp(1, 9999)).unwrap_or(9999),
            month: u8::try_from(month).unwrap_or(1),
            day: u8::try_from(day).unwrap_or(1),
        }
    }

    /// `YYYYMMDD`.
    pub fn to_yyyymmdd(self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Date({:04}-{:02}-{:02})",
            self.year, self.month, self.day
        )
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_yyyymmdd())
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        Date::parse_yyyymmdd(&text).ok_or_else(|| serde::de::Error::custom("expected YYYYMMDD"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kst_is_utc_plus_nine() {
        // 2026-01-01T14:59:59Z is 23:59:59 KST; one second later it is January 2nd in Korea.
        let t = Timestamp(1_767_279_599);
        assert_eq!(t.kst_date(), Date::new(2026, 1, 1).unwrap());
        assert_eq!(
            Timestamp(t.0 + 1).kst_date(),
            Date::new(2026, 1, 2).unwrap()
        );
        let day = Date::new(2026, 1, 2).unwrap();
        assert_eq!(Timestamp::kst_midnight(day), Timestamp(t.0 + 1));
    }

    #[test]
    fn months_clamp_to_the_last_day() {
        let jan31 = Date::new(2024, 1, 31).unwrap();
        assert_eq!(jan31.add_months(1), Date::new(2024, 2, 29).unwrap());
        assert_eq!(jan31.add_months(13), Date::new(2025, 2, 28).unwrap());
        assert_eq!(
            Date::new(2025, 12, 15).unwrap().add_months(1),
            Date::new(2026, 1, 15).unwrap()
        );
    }

    #[test]
    fn yyyymmdd() {
        assert_eq!(Date::parse_yyyymmdd("20260230"), None);
        assert_eq!(Date::parse_yyyymmdd("2026-1-1"), None);
        let d = Date::parse_yyyymmdd("20240229").unwrap();
        assert_eq!(d.to_yyyymmdd(), "20240229");
        assert_eq!(d.succ(), Date::new(2024, 3, 1).unwrap());
        for days in [-700_000, -1, 0, 1, 19_000, 2_000_000] {
            assert_eq!(Date::from_days_since_epoch(days).days_since_epoch(), days);
        }
    }
}
