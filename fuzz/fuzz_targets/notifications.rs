//! Notification parsing, typed accessors and fgkey verification take any bytes without
//! panicking, and nothing unsigned verifies.
#![no_main]

use eximbay_core::recurring::ChargeResult;
use eximbay_core::registration::RegistrationResult;
use eximbay_core::{Notification, SecretKey};
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
    );
    let _ = ChargeResult::from_notification(&notification);
    let _ = RegistrationResult::from_notification(&notification);
    let Ok(secret) = SecretKey::new("289F40E6640124B2628640168C3C5464") else { return };
    // Forging a SHA-256 signature by chance is not something a fuzzer does.
    assert!(notification.verify(&secret).is_err());
});
