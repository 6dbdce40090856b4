//! Notification parsing, typed accessors and fgkey verification take any bytes without
//! panicking, and nothing unsigned verifies. A payment made from a notification, and every
//! later notification applied to it, keeps the payment's invariant.
#![no_main]

use eximbay_core::recurring::ChargeResult;
use eximbay_core::registration::RegistrationResult;
use eximbay_core::notification::Deduplicator;
use eximbay_core::{Lang, Notification, Payment, PaymentNotice, PaymentOutcome, SecretKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let Ok(notification) = Notification::parse(body) else { return };
    let _ = (
        notification.transaction_id(),
        notification.order_id(),
        notification.amount().map(|a| a.to_decimal()),
        notification.currency(),
        notification.transaction_type(),
        notification.recurring_next(),
        notification.recurring_retry(),
        notification.status(),
        notification.is_paid(),
        notification.dm_decision(),
        notification.holds_order(),
        notification.foreign_amount().map(|a| a.to_decimal()),
        notification.payment_method(),
        Deduplicator::key(&notification),
    );
    if let Ok(payment) = Payment::from_status_notification(&notification, Lang::En) {
        assert!(payment.invariant_holds());
        // The amount it holds is one a request can carry.
        assert!(payment.amount().check_currency(payment.currency()).is_ok());
        if let Ok(notice) = PaymentNotice::from_notification(&notification) {
            let mut again = payment.clone();
            let _ = again.apply(PaymentOutcome::Notified(notice));
            assert!(again.invariant_holds());
        }
    }
    let _ = ChargeResult::from_notification(&notification);
    let _ = RegistrationResult::from_notification(&notification);
    let Ok(secret) = SecretKey::new("289F40E6640124B2628640168C3C5464") else { return };
    // Forging a SHA-256 signature by chance is not something a fuzzer does.
    assert!(notification.verify(&secret).is_err());
});
