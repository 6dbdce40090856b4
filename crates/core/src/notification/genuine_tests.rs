//! Genuine gateway payloads (`testdata/genuine/`, each file says where it comes from) and
//! the meaning table: every genuine payload verifies strictly and reads to what it is.

use super::*;
use crate::ids::PayerAuthId;

/// The public test secret (DESIGN.md), which signs the test host's payloads.
const TEST_SECRET: &str = "289F40E6640124B2628640168C3C5464";

/// The body of a test-data file: its one line that is not a `#` comment.
fn body(file: &str) -> &str {
    let mut lines = file
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty());
    let body = lines.next().unwrap();
    assert_eq!(lines.next(), None, "one body per file");
    body
}

const TEST_HOST_PAYMENT: &str = include_str!("../../testdata/genuine/test_host_payment.form");
const TEST_HOST_EXPIRED: &str = include_str!("../../testdata/genuine/test_host_expired_card.form");
const TEST_HOST_DECLINED: &str =
    include_str!("../../testdata/genuine/test_host_declined_card.form");
const LIVE_HOST_PAYER_AUTH: &str = include_str!("../../testdata/genuine/live_host_payer_auth.form");

#[test]
fn the_test_hosts_payloads_verify_strictly() {
    let secret = SecretKey::new(TEST_SECRET).unwrap();
    for file in [TEST_HOST_PAYMENT, TEST_HOST_EXPIRED, TEST_HOST_DECLINED] {
        let n = Notification::parse(body(file).as_bytes()).unwrap();
        assert_eq!(n.verify_strict(&secret), Ok(()), "{}", body(file));
        // Strict mode is not a weaker check: a changed value still fails.
        let altered = body(file).replace("&mid=1849705C64&", "&mid=1849705C65&");
        assert_ne!(altered, body(file));
        let altered = Notification::parse(altered.as_bytes()).unwrap();
        assert_eq!(
            altered.verify_strict(&secret),
            Err(NotificationError::BadSignature)
        );
    }
}

#[test]
fn the_test_hosts_sale_reads_as_money_received() {
    let n = Notification::parse(body(TEST_HOST_PAYMENT).as_bytes()).unwrap();
    assert_eq!(n.meaning(), Meaning::MoneyReceived(Received::Sale));
    assert!(n.is_paid());
    assert!(!n.holds_order(), "an empty dm_decision holds nothing");
    assert_eq!(
        n.transaction_id().unwrap().as_str(),
        "1849705C6420230627000029"
    );
    assert_eq!(n.auth_code(), Some("949620"));
    assert_eq!(n.card_number_last(), Some("1111"));
    assert_eq!(
        Deduplicator::key(&n).unwrap().to_string(),
        "1849705C6420230627000029||0000"
    );
}

#[test]
fn the_recorded_failures_read_as_failed_with_their_code() {
    for (file, code) in [(TEST_HOST_EXPIRED, "S023"), (TEST_HOST_DECLINED, "XXXX")] {
        let n = Notification::parse(body(file).as_bytes()).unwrap();
        assert_eq!(n.meaning(), Meaning::Failed(ResultCode::from_code(code)));
        assert!(!n.is_paid());
    }
    let expired = Notification::parse(body(TEST_HOST_EXPIRED).as_bytes()).unwrap();
    assert!(expired.resmsg().unwrap().starts_with("고객님의"));
}

#[test]
fn the_live_hosts_payer_authentication_passes_the_field_check_and_is_not_paid() {
    let n = Notification::parse(body(LIVE_HOST_PAYER_AUTH).as_bytes()).unwrap();
    // Another merchant's live MID: its secret is unknown, so only the field set is checked.
    assert_eq!(n.check_documented(), Ok(()));
    assert_eq!(n.meaning(), Meaning::PayerAuthenticated);
    assert!(!n.is_paid());
    assert_eq!(n.cavv(), Some("AJkCBBNHBAAAAAEyNEEVdAAAAAA="));
    let key = Deduplicator::key(&n).unwrap();
    assert_eq!(
        key.subject,
        NotificationSubject::PayerAuthentication(PayerAuthId::new("20230425091903343D9F5509"))
    );
    assert_eq!(key.to_string(), "payer_auth:20230425091903343D9F5509||0000");
    let mut seen = Deduplicator::new();
    assert_eq!(seen.first_delivery(&n), Ok(true));
    assert_eq!(seen.first_delivery(&n), Ok(false));
}

/// A success of `txntype` with extra fields, read for its meaning.
fn meaning_of(extra: &str) -> Meaning {
    let body = format!("transid=T&rescode=0000{extra}");
    Notification::parse(body.as_bytes()).unwrap().meaning()
}

#[test]
fn only_money_that_moved_reads_as_paid() {
    let table: &[(&str, Meaning)] = &[
        ("&txntype=PAYMENT", Meaning::MoneyReceived(Received::Sale)),
        (
            "&transaction_type=PAYMENT_PA",
            Meaning::MoneyReceived(Received::Sale),
        ),
        ("&txntype=REBILL", Meaning::MoneyReceived(Received::Rebill)),
        (
            "&txntype=PAYMENT&tokenID=TK1&tokenBilling=Y",
            Meaning::MoneyReceived(Received::SaleWithToken),
        ),
        (
            "&txntype=PAYMENT&recurringID=RC1&recurringRetry=1&recurringNext=20260301",
            Meaning::MoneyReceived(Received::RecurringCharge),
        ),
        (
            "&txntype=PAYMENT&status=Sale",
            Meaning::MoneyReceived(Received::CashSale),
        ),
        ("&txntype=AUTHORIZE", Meaning::Authorized),
        ("&transaction_type=AUTHORIZE_PA", Meaning::Authorized),
        ("&txntype=AUTHORIZE&status=Sale", Meaning::Authorized),
        (
            "&txntype=PAYER_AUTH&payerauthid=P1",
            Meaning::PayerAuthenticated,
        ),
        ("&txntype=PAYMENT&status=Registered", Meaning::Registered),
        ("&txntype=PAYMENT&status=Void", Meaning::Voided),
        ("", Meaning::Unreadable("no transaction type".to_owned())),
        (
            "&txntype=PAYMENT&status=Pending",
            Meaning::Unreadable("status \"Pending\"".to_owned()),
        ),
        (
            "&txntype=CAPTURE",
            Meaning::Unreadable("transaction type CAPTURE".to_owned()),
        ),
        (
            "&txntype=PAYER_AUTH&status=Sale",
            Meaning::Unreadable("transaction type PAYER_AUTH with status Sale".to_owned()),
        ),
    ];
    for (extra, meaning) in table {
        assert_eq!(&meaning_of(extra), meaning, "{extra}");
        let paid = matches!(meaning, Meaning::MoneyReceived(_));
        let body = format!("transid=T&rescode=0000{extra}");
        assert_eq!(
            Notification::parse(body.as_bytes()).unwrap().is_paid(),
            paid,
            "{extra}"
        );
    }
    // A failure is a failure whatever it says besides.
    let failed = Notification::parse(b"transid=T&txntype=PAYMENT&status=Sale&rescode=HE01")
        .unwrap()
        .meaning();
    assert_eq!(failed, Meaning::Failed(ResultCode::CardData("HE01".into())));
    assert_eq!(failed.as_str(), "failed");
    let no_code = Notification::parse(b"transid=T&txntype=PAYMENT").unwrap();
    assert_eq!(no_code.meaning(), Meaning::Unreadable("no rescode".into()));
    assert!(!no_code.is_paid());
}

#[test]
fn a_payer_authentication_without_its_id_has_no_identity() {
    let n = Notification::parse(b"txntype=PAYER_AUTH&rescode=0000&transid=T").unwrap();
    assert_eq!(
        Deduplicator::key(&n),
        Err(NotificationError::MissingField("payer_auth_id"))
    );
}

#[test]
fn meanings_have_stable_names_and_a_next_step() {
    let all = [
        Meaning::MoneyReceived(Received::Sale),
        Meaning::Authorized,
        Meaning::PayerAuthenticated,
        Meaning::Registered,
        Meaning::Voided,
        Meaning::Failed(ResultCode::Unknown("S023".into())),
        Meaning::Unreadable("no rescode".into()),
    ];
    let names: Vec<&str> = all.iter().map(Meaning::as_str).collect();
    assert_eq!(
        names,
        [
            "money_received",
            "authorized",
            "payer_authenticated",
            "registered",
            "voided",
            "failed",
            "unreadable"
        ]
    );
    for meaning in &all {
        let paid = meaning.is_money_received();
        // Only money received says to fulfil; every other next step says it is not paid.
        assert_eq!(meaning.next_step().starts_with("paid"), paid, "{meaning}");
    }
    assert_eq!(
        Meaning::MoneyReceived(Received::CashSale).to_string(),
        "money received (cash_sale)"
    );
    assert_eq!(
        Meaning::Failed(ResultCode::Unknown("S023".into())).to_string(),
        "failed (S023)"
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn one_of(values: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
        proptest::sample::select(values)
    }

    proptest! {
        /// Whatever a result carries, it reads as paid only when it is a success of a
        /// money-moving type (PAYMENT, PAYMENT_PA, REBILL) whose status is absent or `Sale`;
        /// never an authorization, a payer authentication, a registration or a void.
        #[test]
        fn paid_only_when_money_moved(
            rescode in one_of(&["", "0000", "0000\n", "S023", "EE01", "HE01"]),
            status in one_of(&["", "Sale", "Registered", "Void", "Pending", " "]),
            kind in one_of(&["", "PAYMENT", "PAYMENT_PA", "REBILL", "AUTHORIZE", "AUTHORIZE_PA",
                "PAYER_AUTH", "CAPTURE", "REFUND", "payment"]),
            v1_names in any::<bool>(),
            token in any::<bool>(),
        ) {
            let type_key = if v1_names { "transaction_type" } else { "txntype" };
            let mut body = format!("transid=T&rescode={rescode}");
            if !kind.is_empty() {
                body.push_str(&format!("&{type_key}={kind}"));
            }
            if !status.is_empty() {
                body.push_str(&format!("&status={status}"));
            }
            if token {
                body.push_str("&tokenID=TK1");
            }
            let n = Notification::parse(body.as_bytes()).unwrap();
            let meaning = n.meaning();
            let success = rescode.trim() == "0000";
            let sale_status = matches!(status.trim(), "" | "Sale");
            let moving = matches!(kind, "PAYMENT" | "PAYMENT_PA" | "REBILL");
            prop_assert_eq!(n.is_paid(), meaning.is_money_received());
            if n.is_paid() {
                prop_assert!(success && sale_status && moving, "{} read as {}", body, meaning);
            }
            if !success && !rescode.is_empty() {
                prop_assert!(matches!(meaning, Meaning::Failed(_)), "{}", body);
            }
            if success && matches!(kind, "AUTHORIZE" | "AUTHORIZE_PA" | "PAYER_AUTH") {
                prop_assert!(!n.is_paid(), "{}", body);
            }
        }
    }
}
