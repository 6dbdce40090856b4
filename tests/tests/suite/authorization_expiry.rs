//! Authorizations lapse (Eximbay documents 7–14 days, issuer-dependent): a payment records
//! when it was authorized, from the notification's `transaction_date`, and an expiry policy —
//! off by default — refuses a capture of an authorization older than the merchant's limit.

use eximbay_core::payment::PaymentRefusal;
use eximbay_core::{Lang, Notification, Payment, Timestamp};

const DAY: i64 = 86_400;

fn authorized_from_notification() -> Payment {
    let body = "transid=1849705C64W0000000000001&ref=O-1&cur=USD&amt=10.00&txntype=AUTHORIZE&rescode=0000&resdt=20260101120000";
    Payment::from_status_notification(&Notification::parse(body.as_bytes()).unwrap(), Lang::En)
        .unwrap()
}

#[test]
fn the_authorization_time_comes_from_the_notification_in_korean_time() {
    let payment = authorized_from_notification();
    // 2026-01-01 12:00:00 in Korea is 03:00:00 UTC.
    assert_eq!(payment.authorized_at(), Some(Timestamp(1_767_236_400)));
    let n = Notification::parse(
        b"transaction_date=20260101120000%20&cavv=AAAB&xid=X1&eci=05&token_id=TK1",
    )
    .unwrap();
    assert_eq!(n.transaction_date(), Some(Timestamp(1_767_236_400)));
    assert_eq!(
        (n.cavv(), n.xid(), n.eci(), n.token_id()),
        (Some("AAAB"), Some("X1"), Some("05"), Some("TK1"))
    );
    for bad in ["20261301120000", "20260101250000", "2026010112000", "x"] {
        assert_eq!(Timestamp::parse_kst_datetime(bad), None, "{bad}");
    }
}

#[test]
fn an_expiry_policy_refuses_a_stale_capture_and_tells_a_sweeper() {
    let authorized = authorized_from_notification();
    let at = authorized.authorized_at().unwrap();
    let payment = authorized.with_authorization_expiry(7);
    let day_seven = Timestamp(at.0 + 7 * DAY);
    let day_eight = Timestamp(at.0 + 8 * DAY);
    assert!(!payment.is_expired(day_seven));
    assert!(payment.capture_at(day_seven).is_ok());
    assert!(payment.is_expired(day_eight));
    assert_eq!(
        payment.capture_at(day_eight),
        Err(PaymentRefusal::AuthorizationExpired {
            authorized_at: at,
            days: 7
        })
    );
    // capture() keeps its meaning (no clock, no policy).
    assert!(payment.capture().is_ok());
    // No policy, or no recorded time (a payment stored before it was kept): never expired.
    assert!(!authorized_from_notification().is_expired(Timestamp(at.0 + 400 * DAY)));
    let mut stored: serde_json::Value = serde_json::to_value(&payment).unwrap();
    stored.as_object_mut().unwrap().remove("authorized_at");
    let loaded: Payment = serde_json::from_value(stored).unwrap();
    assert!(loaded.capture_at(Timestamp(at.0 + 400 * DAY)).is_ok());
}
