//! Amounts and currencies: parsing, limits, the gateway's echoes, and how they print.

use super::*;

#[test]
fn formats_as_people_and_logs_read_them() {
    let amount = Amount::parse("10.50").unwrap();
    assert_eq!(amount.to_string(), "10.50");
    assert_eq!(format!("{amount:?}"), "Amount(10.50)");
    assert_eq!(Currency::Krw.to_string(), "KRW");
    assert_eq!(Currency::from_code("XYZ").to_string(), "XYZ");
    assert_eq!(GatewayAmount::new("1000.00").to_string(), "1000.00");
}

#[test]
fn error_messages_keep_long_input_short() {
    assert_eq!(truncate_for_error("12.5"), "12.5");
    let long = "9".repeat(40);
    assert_eq!(truncate_for_error(&long), format!("{}…", "9".repeat(32)));
    // Cut on a character boundary, never inside one.
    let wide = "원".repeat(40);
    assert_eq!(truncate_for_error(&wide), format!("{}…", "원".repeat(32)));
    let error = Amount::parse(&format!("{long}x")).unwrap_err().to_string();
    assert!(
        error.contains(&"9".repeat(32)) && !error.contains(&long),
        "{error}"
    );
}

#[test]
fn keeps_the_callers_text() {
    assert_eq!(Amount::parse("1").unwrap().as_str(), "1");
    assert_eq!(Amount::parse("0.5").unwrap().as_str(), "0.5");
    assert_eq!(Amount::parse("10.50").unwrap().as_str(), "10.50");
    assert_eq!(
        Amount::parse("9999999999.99").unwrap().value().to_string(),
        "9999999999.99"
    );
}

#[test]
fn refuses_what_the_gateway_refuses() {
    assert_eq!(Amount::parse(""), Err(AmountError::Empty));
    assert_eq!(Amount::parse("0"), Err(AmountError::NotPositive));
    assert_eq!(Amount::parse("0.00"), Err(AmountError::NotPositive));
    assert_eq!(Amount::parse("1.005"), Err(AmountError::TooManyDecimals));
    assert_eq!(
        Amount::parse("12345678901"),
        Err(AmountError::TooManyIntegerDigits)
    );
    for bad in [
        "-1", "+1", "1,000", " 1", "1 ", "1e3", ".5", "5.", "01", "1.2.3", "NaN",
    ] {
        assert!(
            matches!(Amount::parse(bad), Err(AmountError::Malformed(_))),
            "{bad}"
        );
    }
}

#[test]
fn currency_exponents() {
    let krw = Currency::from_code("KRW");
    assert_eq!(krw, Currency::Krw);
    assert_eq!(krw.exponent(), 0);
    assert_eq!(Currency::from_code("JPY").exponent(), 0);
    assert_eq!(Currency::from_code("VND").exponent(), 0);
    assert_eq!(Currency::from_code("USD").exponent(), 2);
    assert_eq!(
        Currency::from_code("XAU"),
        Currency::Unknown("XAU".to_owned())
    );
    assert_eq!(Currency::from_code("XAU").code(), "XAU");
    assert!(Currency::from_code("usd").check_sendable().is_err());
    assert!(Amount::parse("1000").unwrap().check_currency(&krw).is_ok());
    assert!(matches!(
        Amount::parse("1000.5").unwrap().check_currency(&krw),
        Err(AmountError::FractionalForCurrency { .. })
    ));
    assert!(matches!(
        Amount::parse("1000.0").unwrap().check_currency(&krw),
        Err(AmountError::FractionalForCurrency { .. })
    ));
}

#[test]
fn minor_units() {
    let usd = Currency::Usd;
    assert_eq!(
        Amount::from_minor_units(1050, &usd).unwrap().as_str(),
        "10.50"
    );
    assert_eq!(
        Amount::from_minor_units(1000, &Currency::Krw)
            .unwrap()
            .as_str(),
        "1000"
    );
    assert_eq!(
        Amount::parse("10.5").unwrap().to_minor_units(&usd),
        Ok(1050)
    );
    assert!(Amount::from_minor_units(0, &usd).is_err());
}

#[test]
fn echoed_amounts_are_normalised_to_the_currency() {
    let read = |text: &str, currency: &Currency| {
        Amount::from_gateway(text, currency).map(|a| a.as_str().to_owned())
    };
    assert_eq!(read("1", &Currency::Usd).as_deref(), Ok("1.00"));
    assert_eq!(read("1.0", &Currency::Usd).as_deref(), Ok("1.00"));
    assert_eq!(read("10.50 ", &Currency::Usd).as_deref(), Ok("10.50"));
    assert_eq!(read("1000.00", &Currency::Krw).as_deref(), Ok("1000"));
    assert_eq!(read("1000", &Currency::Jpy).as_deref(), Ok("1000"));
    assert_eq!(read("1000.0\n", &Currency::Vnd).as_deref(), Ok("1000"));
    assert!(matches!(
        read("1000.50", &Currency::Krw),
        Err(AmountError::FractionalForCurrency { .. })
    ));
    assert_eq!(
        read("1.005", &Currency::Usd),
        Err(AmountError::TooManyDecimals)
    );
    assert_eq!(read("0.00", &Currency::Usd), Err(AmountError::NotPositive));
    assert!(matches!(
        read("1,00", &Currency::Usd),
        Err(AmountError::Malformed(_))
    ));
    assert!(matches!(
        read("-1", &Currency::Usd),
        Err(AmountError::Malformed(_))
    ));
    // A KRW amount read this way is one a request can carry.
    let krw = Amount::from_gateway("1000.00", &Currency::Krw).unwrap();
    assert!(krw.check_currency(&Currency::Krw).is_ok());
}

#[test]
fn typed_amounts_take_a_zero_fraction_as_whole_for_whole_currencies() {
    let typed = |text: &str, currency: &Currency| {
        Amount::parse_in(text, currency).map(|a| a.as_str().to_owned())
    };
    assert_eq!(typed("10000.00", &Currency::Krw).as_deref(), Ok("10000"));
    assert_eq!(typed("10000", &Currency::Krw).as_deref(), Ok("10000"));
    assert!(matches!(
        typed("10000.5", &Currency::Krw),
        Err(AmountError::FractionalForCurrency { .. })
    ));
    // Other currencies keep the text as typed.
    assert_eq!(typed("10.5", &Currency::Usd).as_deref(), Ok("10.5"));
    assert_eq!(typed("10.00", &Currency::Usd).as_deref(), Ok("10.00"));
    assert!(matches!(
        typed("-1", &Currency::Usd),
        Err(AmountError::Malformed(_))
    ));
}

#[test]
fn gateway_amounts_are_kept_exactly() {
    let balance = GatewayAmount::new("0.00");
    assert_eq!(balance.as_str(), "0.00");
    assert_eq!(balance.to_decimal(), Some(Decimal::ZERO));
    assert_eq!(GatewayAmount::new("1,00").to_decimal(), None);
    assert_eq!(GatewayAmount::new("-1").to_decimal(), None);
}
