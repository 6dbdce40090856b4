//! A cash (convenience store, bank transfer) payment notifies `Registered` first and `Sale`
//! once the buyer paid. Whether the two share a transaction id is not documented (digest
//! §7, §11): the QUERY table treats them as one approval, while the one public plugin that
//! handles them matches the Sale to the order by `ref` and takes the Sale's `transid`. The
//! core applies the Sale once either way: under the same id as before, and under a new id
//! when it names the registration's order, amount and currency, keeping both ids.

use eximbay_core::payment::PaymentEvent;
use eximbay_core::{
    Amount, Currency, Lang, Notification, Operation, OrderId, Payment, PaymentNotice,
    PaymentOutcome, PaymentStatus, TransactionId,
};

const REGISTERED_TID: &str = "1849705C6420260101000001";
const SALE_TID: &str = "1849705C6420260101000002";

fn registered() -> Payment {
    Payment::registered(
        TransactionId::new(REGISTERED_TID),
        OrderId::new("CASH-1"),
        Currency::Jpy,
        Amount::parse("5000").unwrap(),
        Lang::Jp,
    )
    .unwrap()
}

/// A (verified) `status_url` notification, as the gateway writes it.
fn notice(tid: &str, order: &str, amount: &str, status: &str) -> PaymentNotice {
    let body = format!(
        "ver=230&mid=1849705C64&txntype=PAYMENT&ref={order}&cur=JPY&amt={amount}\
         &transid={tid}&rescode=0000&resmsg=Success.&status={status}&paymethod=P006"
    );
    PaymentNotice::from_notification(&Notification::parse(body.as_bytes()).unwrap()).unwrap()
}

fn apply(payment: &mut Payment, notice: PaymentNotice) -> Result<PaymentEvent, String> {
    payment
        .apply(PaymentOutcome::Notified(notice))
        .map(|t| t.event)
        .map_err(|e| e.to_string())
}

#[test]
fn a_sale_under_the_same_id_pays_the_registration() {
    let mut payment = registered();
    let event = apply(
        &mut payment,
        notice(REGISTERED_TID, "CASH-1", "5000", "Sale"),
    );
    assert_eq!(event, Ok(PaymentEvent::Paid));
    assert_eq!(payment.status(), PaymentStatus::Captured);
    assert_eq!(payment.transaction_id().as_str(), REGISTERED_TID);
    assert_eq!(payment.registration_transaction_id(), None);
}

#[test]
fn a_sale_under_a_new_id_is_matched_by_order_and_amount_and_applied_once() {
    let mut payment = registered();
    // The gateway echoes the amount reformatted: compared as a number.
    let event = apply(&mut payment, notice(SALE_TID, "CASH-1", "5000.00", "Sale"));
    assert_eq!(event, Ok(PaymentEvent::Paid));
    assert_eq!(payment.status(), PaymentStatus::Captured);
    assert_eq!(payment.captured_amount().to_string(), "5000");
    // Both ids kept: the sale's is the one money moves under.
    assert_eq!(payment.transaction_id().as_str(), SALE_TID);
    assert_eq!(
        payment.registration_transaction_id().map(|t| t.as_str()),
        Some(REGISTERED_TID)
    );
    assert!(payment.is_known_as(&TransactionId::new(REGISTERED_TID)));
    assert!(payment.is_known_as(&TransactionId::new(SALE_TID)));
    // Redeliveries under either id change nothing.
    for tid in [SALE_TID, REGISTERED_TID] {
        let again = apply(&mut payment, notice(tid, "CASH-1", "5000", "Sale"));
        assert_eq!(again, Ok(PaymentEvent::DuplicateNotification), "{tid}");
    }
    let registered_again = apply(
        &mut payment,
        notice(REGISTERED_TID, "CASH-1", "5000", "Registered"),
    );
    assert_eq!(registered_again, Ok(PaymentEvent::DuplicateNotification));
    // A third id for the same order is another payment: never a second sale of this one.
    let other = apply(
        &mut payment,
        notice("1849705C6420260101000003", "CASH-1", "5000", "Sale"),
    );
    assert!(other.is_err(), "{other:?}");
    assert_eq!(payment.status(), PaymentStatus::Captured);
    assert_eq!(payment.captured_amount().to_string(), "5000");
    // Refunds and reconciles name the sale.
    let cfg = eximbay_tests::test_config();
    let refund = payment.refund_full("refund-1", None).unwrap();
    assert_eq!(refund.transaction_id.as_str(), SALE_TID);
    assert!(
        refund
            .to_http(&cfg)
            .unwrap()
            .uri()
            .to_string()
            .contains(SALE_TID)
    );
    assert_eq!(
        payment
            .reconcile()
            .transaction_id
            .as_ref()
            .map(|t| t.as_str()),
        Some(SALE_TID)
    );
    // Both ids survive storage.
    let stored = serde_json::to_string(&payment).unwrap();
    let restored: Payment = serde_json::from_str(&stored).unwrap();
    assert_eq!(restored, payment);
    assert_eq!(
        restored.registration_transaction_id().map(|t| t.as_str()),
        Some(REGISTERED_TID)
    );
}

#[test]
fn a_new_id_that_does_not_match_the_registration_changes_nothing() {
    for (order, amount, status) in [
        ("CASH-2", "5000", "Sale"),       // another order
        ("CASH-1", "4000", "Sale"),       // another amount
        ("CASH-1", "5000", "Void"),       // not a sale
        ("CASH-1", "5000", "Registered"), // a registration of its own
    ] {
        let mut payment = registered();
        let before = payment.clone();
        let result = apply(&mut payment, notice(SALE_TID, order, amount, status));
        assert!(result.is_err(), "{order} {amount} {status}: {result:?}");
        assert_eq!(payment, before, "{order} {amount} {status}");
    }
    // A notification without an order id cannot be matched.
    let mut payment = registered();
    let body = format!("transid={SALE_TID}&cur=JPY&amt=5000&rescode=0000&status=Sale");
    let no_order =
        PaymentNotice::from_notification(&Notification::parse(body.as_bytes()).unwrap()).unwrap();
    assert!(apply(&mut payment, no_order).is_err());
    assert_eq!(payment.status(), PaymentStatus::Registered);
    // Nor is a sale under a new id for a payment that is not awaiting its money.
    let mut card = Payment::captured(
        TransactionId::new(REGISTERED_TID),
        OrderId::new("CASH-1"),
        Currency::Jpy,
        Amount::parse("5000").unwrap(),
        Lang::Jp,
    )
    .unwrap();
    assert!(apply(&mut card, notice(SALE_TID, "CASH-1", "5000", "Sale")).is_err());
    assert_eq!(card.transaction_id().as_str(), REGISTERED_TID);
}

/// Against the sandbox under each of its `cash_sale_transaction_id` choices: the payment made
/// from the `Registered` callback is paid once by the `Sale` callback, then refunded under
/// the id the core chose, and the sandbox's ledger agrees.
#[test]
fn the_sale_is_applied_once_and_refunded_under_each_sandbox_choice() {
    use eximbay_sim::CashSaleTransactionId;
    use eximbay_sim::NewPayment;
    use eximbay_sim::{Sandbox, SandboxConfig};
    for choice in [CashSaleTransactionId::Same, CashSaleTransactionId::New] {
        let mut config = SandboxConfig::default();
        config.behaviour.cash_sale_transaction_id = choice;
        let mut sandbox = Sandbox::new(config);
        let new: NewPayment = serde_json::from_value(serde_json::json!({
            "order_id": "CASH-9", "currency": "JPY", "amount": "5000", "method": "cash",
            "status_url": "https://shop.example/status"
        }))
        .unwrap();
        let (registration, _, callbacks) = sandbox.create_payment(new).unwrap();
        let secret = eximbay_core::SecretKey::new(eximbay_sim::DEFAULT_SECRET_KEY).unwrap();
        let read = |body: &str| {
            let notification = Notification::parse(body.as_bytes()).unwrap();
            notification.verify(&secret).unwrap();
            PaymentNotice::from_notification(&notification).unwrap()
        };
        let registered = Notification::parse(callbacks[0].body.as_bytes()).unwrap();
        let mut payment = Payment::from_status_notification(&registered, Lang::Jp).unwrap();
        assert_eq!(payment.status(), PaymentStatus::Registered, "{choice:?}");

        let sale = sandbox.settle_cash(&registration.transaction_id).unwrap();
        let notice = read(&sale[0].body);
        let sale_tid = notice.transaction_id.as_str().to_owned();
        assert_eq!(
            sale_tid == registration.transaction_id,
            choice == CashSaleTransactionId::Same,
            "{choice:?}"
        );
        assert_eq!(
            apply(&mut payment, notice.clone()),
            Ok(PaymentEvent::Paid),
            "{choice:?}"
        );
        // Redelivered: applied once.
        assert_eq!(
            apply(&mut payment, notice),
            Ok(PaymentEvent::DuplicateNotification),
            "{choice:?}"
        );
        assert_eq!(payment.transaction_id().as_str(), sale_tid, "{choice:?}");

        // The refund goes to the transaction that holds the money, and the sandbox agrees.
        let cfg = eximbay_tests::test_config();
        let refund = payment.refund_full("refund-1", None).unwrap();
        let answer = sandbox.handle(&refund.to_http(&cfg).unwrap()).response;
        let refunded = refund.parse(answer).unwrap();
        payment
            .apply(PaymentOutcome::Refunded(refunded))
            .unwrap_or_else(|e| panic!("{choice:?}: {e}"));
        assert_eq!(payment.status(), PaymentStatus::Refunded, "{choice:?}");
        assert_eq!(
            sandbox
                .ledger
                .payment(&sale_tid)
                .unwrap()
                .refunded
                .to_string(),
            "5000",
            "{choice:?}"
        );
        // A reconcile by the sale's id reads the same.
        let retrieve = payment.reconcile();
        let answer = sandbox.handle(&retrieve.to_http(&cfg).unwrap()).response;
        payment
            .apply(PaymentOutcome::Retrieved(retrieve.parse(answer).unwrap()))
            .unwrap();
        assert_eq!(payment.status(), PaymentStatus::Refunded, "{choice:?}");
    }
}
