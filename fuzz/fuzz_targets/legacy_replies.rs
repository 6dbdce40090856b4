//! The legacy `k=v&k=v` reply parsers take any bytes without panicking.
#![no_main]

use eximbay_core::ops::recurring_adjust::RecurringAdjust;
use eximbay_core::ops::recurring_terminate::RecurringTerminate;
use eximbay_core::ops::MerchantParams;
use eximbay_core::{Amount, Currency, Operation, RecurringId};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let resp = || http::Response::builder().status(200).body(body).expect("valid status");
    let id = RecurringId::new("RC1");
    let _ = RecurringTerminate { recurring_id: id.clone(), params: MerchantParams::default() }.parse(resp());
    if let Ok(amount) = Amount::parse("9.15") {
        let _ = RecurringAdjust { recurring_id: id, currency: Currency::Usd, amount, params: MerchantParams::default() }.parse(resp());
    }
});
