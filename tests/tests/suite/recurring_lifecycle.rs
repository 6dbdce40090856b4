//! A recurring payment from registration to termination, through signed `recurringURL`
//! notifications: charges, a failed charge and its retry, an adjustment (refused on the
//! charge day), automatic termination after the third failure.

use eximbay_core::fgkey;
use eximbay_core::ops::MerchantParams;
use eximbay_core::ops::recurring_terminate::RecurringTerminated;
use eximbay_core::recurring::{
    ChargeResult, RecurringEvent, RecurringOutcome, RecurringRefusal, TerminationReason,
};
use eximbay_core::registration::{RecurringRegistration, RegistrationResult};
use eximbay_core::{
    Amount, Currency, Date, Notification, Operation, Recurring, RecurringId, RecurringStatus,
    SecretKey, Timestamp,
};
use eximbay_tests::{SECRET_KEY, response, test_config};

fn secret() -> SecretKey {
    SecretKey::new(SECRET_KEY).unwrap()
}

/// A signed notification body as the gateway would post it.
fn signed(fields: &[(&str, &str)]) -> String {
    let fgkey = fgkey::sign(&secret(), fields.iter().copied());
    let mut body = form_urlencoded::Serializer::new(String::new());
    body.extend_pairs(fields.iter().copied());
    body.append_pair("fgkey", &fgkey);
    body.finish()
}

fn charge(rescode: &str, transid: &str, retry: &str, next: &str) -> ChargeResult {
    let body = signed(&[
        ("mid", "1849705C64"),
        ("recurringID", "RC0000000000000001"),
        ("rescode", rescode),
        (
            "resmsg",
            if rescode == "0000" {
                "Success."
            } else {
                "Declined"
            },
        ),
        ("transid", transid),
        ("amt", "10.50"),
        ("cur", "USD"),
        ("recurringRetry", retry),
        ("recurringNext", next),
    ]);
    let notification = Notification::parse(body.as_bytes()).unwrap();
    notification.verify(&secret()).unwrap();
    ChargeResult::from_notification(&notification).unwrap()
}

fn kst_noon(date: Date) -> Timestamp {
    Timestamp(Timestamp::kst_midnight(date).0 + 12 * 3600)
}

#[test]
fn a_year_in_the_life_of_a_recurring_payment() {
    let today = Date::new(2026, 1, 10).unwrap();
    let registration = RecurringRegistration::new(
        Amount::parse("10.50").unwrap(),
        "https://shop.example/recurring",
    );
    let fields = registration
        .form_fields(&Currency::Usd, kst_noon(today))
        .unwrap();
    assert_eq!(fields[0], ("recurringPayment", "Y".to_owned()));

    // The payment window's result registers it.
    let body = signed(&[
        ("mid", "1849705C64"),
        ("ref", "ORDER-R1"),
        ("rescode", "0000"),
        ("transid", "1849705C6420260110000001"),
        ("recurringID", "RC0000000000000001"),
        ("recurringRetry", "0"),
        ("recurringNext", "20260210"),
    ]);
    let n = Notification::parse(body.as_bytes()).unwrap();
    n.verify(&secret()).unwrap();
    let result = RegistrationResult::from_notification(&n).unwrap();
    let mut recurring = Recurring::from_registration(
        &result,
        Currency::Usd,
        registration.amount.clone(),
        registration.expected_next_charge(kst_noon(today)),
    );
    assert_eq!(recurring.next_charge(), Date::new(2026, 2, 10).unwrap());

    // February: charged.
    let t = recurring
        .apply(RecurringOutcome::Charged(charge(
            "0000",
            "1849705C6420260210000001",
            "1",
            "20260310",
        )))
        .unwrap();
    assert_eq!(
        t.event,
        RecurringEvent::Charged {
            next_charge: Date::new(2026, 3, 10).unwrap()
        }
    );
    // The same notification again changes nothing.
    let t = recurring
        .apply(RecurringOutcome::Charged(charge(
            "0000",
            "1849705C6420260210000001",
            "1",
            "20260310",
        )))
        .unwrap();
    assert_eq!(t.event, RecurringEvent::DuplicateCharge);
    assert_eq!(recurring.next_charge(), Date::new(2026, 3, 10).unwrap());

    // March: fails once, then succeeds on the retry.
    recurring
        .apply(RecurringOutcome::Charged(charge(
            "HE01",
            "1849705C6420260310000001",
            "1",
            "20260310",
        )))
        .unwrap();
    assert_eq!(
        recurring.status(),
        RecurringStatus::Retrying { failed_attempts: 1 }
    );
    recurring
        .apply(RecurringOutcome::Charged(charge(
            "0000",
            "1849705C6420260311000001",
            "2",
            "20260410",
        )))
        .unwrap();
    assert_eq!(recurring.status(), RecurringStatus::Active);

    // An adjustment is refused on the charge day (KST) and allowed the day before.
    let charge_day = recurring.next_charge();
    let refused = recurring.adjust(
        Amount::parse("12.00").unwrap(),
        kst_noon(charge_day),
        MerchantParams::default(),
    );
    assert_eq!(
        refused.unwrap_err(),
        RecurringRefusal::ChargeDay(charge_day)
    );
    // 23:30 UTC the day before is already the charge day in Korea.
    let late_evening_utc = Timestamp(Timestamp::kst_midnight(charge_day).0 + 30 * 60);
    assert!(
        recurring
            .adjust(
                Amount::parse("12.00").unwrap(),
                late_evening_utc,
                MerchantParams::default()
            )
            .is_err()
    );
    let day_before = Date::new(2026, 4, 9).unwrap();
    let op = recurring
        .adjust(
            Amount::parse("12.00").unwrap(),
            kst_noon(day_before),
            MerchantParams::default(),
        )
        .unwrap();
    let req = op.to_http(&test_config()).unwrap();
    assert!(
        std::str::from_utf8(req.body())
            .unwrap()
            .contains("adjustAmount=12.00")
    );
    let adjusted = op
        .parse(response(200, "mid=1849705C64&txntype=RC_ADJUST&recurringID=RC0000000000000001&rescode=0000&resmsg=Success.\n"))
        .unwrap();
    recurring.apply(adjusted.into()).unwrap();
    assert_eq!(recurring.amount().as_str(), "12.00");

    // April: three failures terminate it.
    recurring
        .apply(RecurringOutcome::Charged(charge(
            "HE01",
            "1849705C6420260410000001",
            "1",
            "20260410",
        )))
        .unwrap();
    recurring
        .apply(RecurringOutcome::Charged(charge(
            "HE01",
            "1849705C6420260411000001",
            "2",
            "20260410",
        )))
        .unwrap();
    let t = recurring
        .apply(RecurringOutcome::Charged(charge(
            "HE01",
            "1849705C6420260412000001",
            "3",
            "20260410",
        )))
        .unwrap();
    assert_eq!(
        t.to,
        RecurringStatus::Terminated {
            reason: TerminationReason::FailedCharges
        }
    );
    assert_eq!(
        recurring.terminate(MerchantParams::default()).unwrap_err(),
        RecurringRefusal::Terminated
    );
}

#[test]
fn merchant_termination() {
    let mut recurring = Recurring::new(
        RecurringId::new("RC0000000000000001"),
        Currency::Krw,
        Amount::parse("15000").unwrap(),
        Date::new(2026, 2, 1).unwrap(),
    );
    assert!(
        recurring
            .adjust(
                Amount::parse("15000.5").unwrap(),
                Timestamp(0),
                MerchantParams::default()
            )
            .is_err()
    );
    let op = recurring.terminate(MerchantParams::default()).unwrap();
    let done: RecurringTerminated = op
        .parse(response(200, "mid=1849705C64&txntype=RC_TERMINATE&recurringID=RC0000000000000001&rescode=0000&resmsg=Success.\n"))
        .unwrap();
    let t = recurring.apply(done.into()).unwrap();
    assert_eq!(
        t.to,
        RecurringStatus::Terminated {
            reason: TerminationReason::ByMerchant
        }
    );
    // A charge result about another registration is refused.
    let other = Recurring::new(
        RecurringId::new("RC0000000000000002"),
        Currency::Krw,
        Amount::parse("15000").unwrap(),
        Date::new(2026, 2, 1).unwrap(),
    );
    let mut other = other;
    assert!(matches!(
        other.apply(RecurringOutcome::Charged(charge(
            "0000",
            "1849705C6420260210000001",
            "1",
            "20260310"
        ))),
        Err(RecurringRefusal::WrongRegistration { .. })
    ));
}
