//! A cash payment's `Sale` under a transaction id other than its `Registered` one (the
//! gateway does not say whether they share one, digest §7): the shop pays the order once,
//! acknowledges every delivery, and keeps both ids — instead of taking the sale for a second
//! payment of the order.

use crate::support::*;
use eximbay_core::PaymentStatus;
use eximbay_core::notification::ACK_BODY;
use eximbay_merchant::order::Stage;

#[tokio::test(flavor = "multi_thread")]
async fn a_sale_under_a_new_transaction_id_pays_the_registered_order_once() {
    let (sandbox, (_dir, _), app) = one_shop().await;
    let (order_id, registered) = registered_cash_order(&app, &sandbox).await;
    // The sale, signed as the gateway signs it, under an id of its own.
    let sale_tid = format!("{}99", &registered[..22]);
    assert_ne!(sale_tid, registered);
    let sale = status_body(
        &sandbox,
        &registered,
        &[("transid", &sale_tid), ("status", "Sale")],
    );
    for delivery in 0..2 {
        let (status, body) = deliver(&app, "/eximbay/status", &sale).await;
        assert_eq!(status, 200, "delivery {delivery}: {body}");
        assert!(body.ends_with(ACK_BODY), "delivery {delivery}: {body}");
    }
    let paid = wait_for_order(&app, &order_id, "paid", |o| o.stage() == Stage::Paid).await;
    let payment = paid.payment.as_ref().unwrap();
    assert_eq!(payment.status(), PaymentStatus::Captured);
    assert_eq!(payment.transaction_id().as_str(), sale_tid);
    assert_eq!(
        payment.registration_transaction_id().map(|t| t.as_str()),
        Some(registered.as_str())
    );
    assert_eq!(paid.payments().count(), 1, "one payment, not a second one");
}
