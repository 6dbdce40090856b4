//! Amount parsing never panics, and whatever parses round-trips exactly.
#![no_main]

use eximbay_core::{Amount, Currency, GatewayAmount};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = GatewayAmount::new(text).to_decimal();
    if let Ok(amount) = Amount::parse(text) {
        assert_eq!(amount.as_str(), text);
        for currency in [Currency::Usd, Currency::Krw] {
            if let Ok(units) = amount.to_minor_units(&currency) {
                let back = Amount::from_minor_units(units, &currency).expect("positive units");
                assert_eq!(back.value(), amount.value());
            }
        }
    }
});
