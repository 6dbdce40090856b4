#![allow(dead_code)] // each target calls one of these
//! What every fuzz target checks, written once: the cargo-fuzz targets (nightly) call these
//! on generated inputs, and `tests/tests/suite/fuzz_replay.rs` (stable, in CI) calls them on every
//! committed seed and corpus file. Each function must never panic except on a broken
//! invariant.

use eximbay_core::authentication::AuthenticationOutcome;
use eximbay_core::notification::Deduplicator;
use eximbay_core::ops::MerchantParams;
use eximbay_core::ops::cancel::{Cancel, RefundKind};
use eximbay_core::ops::capture::Capture;
use eximbay_core::ops::confirm::Confirm;
use eximbay_core::ops::query::Query;
use eximbay_core::ops::ready::Ready;
use eximbay_core::ops::recurring_adjust::RecurringAdjust;
use eximbay_core::ops::recurring_terminate::RecurringTerminate;
use eximbay_core::ops::retrieve::{KeyField, Retrieve};
use eximbay_core::ops::token_delete::TokenDelete;
use eximbay_core::ops::token_lookup::TokenLookup;
use eximbay_core::ops::token_rebill::TokenRebill;
use eximbay_core::ops::v1_recurring_adjust::V1RecurringAdjust;
use eximbay_core::ops::v1_recurring_delete::V1RecurringDelete;
use eximbay_core::ops::verify::Verify;
use eximbay_core::recurring::ChargeResult;
use eximbay_core::registration::RegistrationResult;
use eximbay_core::token::TokenOutcome;
use eximbay_core::{
    Amount, Currency, Date, GatewayAmount, Lang, Notification, Operation, OrderId, Payment,
    PaymentNotice, PaymentOutcome, Recurring, RecurringId, RefundId, SecretKey, TransactionId,
    TransactionType,
};
use eximbay_core::{PayerAuthId, PayerAuthentication, Token, TokenId};

/// Notification parsing, typed accessors and fgkey verification take any bytes; nothing
/// unsigned verifies; a payment made from a notification, and every later notification
/// applied to it, keeps the payment's invariant.
pub fn notifications(body: &[u8]) {
    let Ok(notification) = Notification::parse(body) else {
        return;
    };
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
        notification.check_documented(),
        Deduplicator::key(&notification),
    );
    let _ = ChargeResult::from_notification(&notification);
    let _ = RegistrationResult::from_notification(&notification);
    let _ = Token::from_notification(&notification, Lang::En);
    if let Ok(authentication) = PayerAuthentication::from_notification(&notification, Lang::En) {
        // Whatever it was made from, it confirms only for its own amount and currency.
        let (currency, amount) = (authentication.currency(), authentication.amount());
        assert!(amount.check_currency(currency).is_ok());
        assert!(
            authentication
                .confirm(TransactionType::PaymentPa, currency, amount)
                .is_ok()
        );
    }
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
    let Ok(secret) = SecretKey::new("289F40E6640124B2628640168C3C5464") else {
        return;
    };
    // Forging a SHA-256 signature by chance is not something a fuzzer does.
    assert!(notification.verify(&secret).is_err());
}

/// Every v1 response parser takes any status and bytes; whatever parses applies to a
/// payment without breaking its invariant.
pub fn v1_responses(status: u16, body: &[u8]) {
    let status = 100 + status % 500;
    let resp = || {
        http::Response::builder()
            .status(status)
            .body(body)
            .expect("valid status")
    };
    let Ok(amount) = Amount::parse("10.00") else {
        return;
    };
    let tid = TransactionId::new("1849705C6420220922000016");
    let order = OrderId::new("O-1");
    let capture = Capture {
        transaction_id: tid.clone(),
        order_id: order.clone(),
        currency: Currency::Usd,
        amount: amount.clone(),
        lang: Lang::En,
    };
    let cancel = Cancel::new(
        tid.clone(),
        order.clone(),
        Currency::Usd,
        amount.clone(),
        amount.clone(),
        RefundKind::Full,
        RefundId::new("R1"),
        Lang::En,
    );
    let retrieve = Retrieve {
        key_field: KeyField::TransactionId,
        order_id: order.clone(),
        transaction_id: Some(tid.clone()),
        currency: Currency::Usd,
        amount: amount.clone(),
        lang: Lang::En,
    };
    let ready = Ready::new(
        TransactionType::Payment,
        order.clone(),
        Currency::Usd,
        amount.clone(),
        Lang::En,
        ("B", "b@example.com"),
        "https://s.example/r",
        "https://s.example/s",
    );
    let id = RecurringId::new("RC1");
    let _ = Verify {
        data: "x".to_owned(),
    }
    .parse(resp());
    let _ = ready.parse(resp());
    let _ = V1RecurringDelete {
        recurring_id: id.clone(),
    }
    .parse(resp());
    let _ = V1RecurringAdjust {
        recurring_id: id,
        currency: Currency::Usd,
        amount: amount.clone(),
    }
    .parse(resp());
    let confirm = Confirm {
        transaction_type: TransactionType::AuthorizePa,
        order_id: order.clone(),
        currency: Currency::Usd,
        amount: amount.clone(),
        payer_auth_id: PayerAuthId::new("PA1"),
        lang: Lang::En,
    };
    let confirmed_payment = confirm.parse(resp()).ok().and_then(|confirmed| {
        let mut authentication = PayerAuthentication::new(
            PayerAuthId::new("PA1"),
            order.clone(),
            Currency::Usd,
            amount.clone(),
            Lang::En,
        )
        .ok()?;
        authentication
            .apply(AuthenticationOutcome::Confirmed(confirmed))
            .ok()
            .and_then(|transition| transition.event.into_payment())
    });
    if let Some(payment) = confirmed_payment {
        assert!(payment.invariant_holds());
        assert_eq!(
            payment.amount(),
            &amount,
            "a confirm pays the authentication's amount"
        );
    }
    let token_id = TokenId::new("TK1");
    let rebill = TokenRebill {
        token_id: token_id.clone(),
        order_id: order.clone(),
        currency: Currency::Usd,
        amount: amount.clone(),
        products: Vec::new(),
    };
    let mut token = Token::new(token_id.clone(), Lang::En);
    let rebilled_payment = rebill.parse(resp()).ok().and_then(|answer| {
        token
            .clone()
            .apply(TokenOutcome::Rebilled {
                request: Box::new(rebill.clone()),
                answer: Box::new(answer),
            })
            .ok()
            .and_then(|transition| transition.event.into_payment())
    });
    if let Some(payment) = rebilled_payment {
        assert!(payment.invariant_holds());
        assert_eq!(payment.amount(), &amount, "a rebill charges what was asked");
    }
    if let Ok(deleted) = (TokenDelete {
        token_id: token_id.clone(),
    })
    .parse(resp())
    {
        let _ = token.clone().apply(TokenOutcome::Deleted(deleted));
    }
    if let Ok(shown) = (TokenLookup { token_id }).parse(resp()) {
        let _ = token.apply(TokenOutcome::Shown(shown));
    }
    let Ok(mut payment) = Payment::authorized(tid, order, Currency::Usd, amount, Lang::En) else {
        return;
    };
    if let Ok(captured) = capture.parse(resp()) {
        let _ = payment.apply(PaymentOutcome::Captured(captured));
    }
    if let Ok(refunded) = cancel.parse(resp()) {
        let _ = payment.apply(PaymentOutcome::Refunded(refunded));
    }
    if let Ok(retrieved) = retrieve.parse(resp()) {
        let _ = payment.apply(PaymentOutcome::Retrieved(retrieved));
    }
    assert!(payment.invariant_holds());
}

/// The legacy `k=v&k=v` reply parsers take any bytes; what the QUERY parser reads applies
/// to an authorized and to a captured payment without breaking their invariant.
pub fn legacy_replies(body: &[u8]) {
    let resp = || {
        http::Response::builder()
            .status(200)
            .body(body)
            .expect("valid status")
    };
    let id = RecurringId::new("RC1");
    let _ = RecurringTerminate {
        recurring_id: id.clone(),
        params: MerchantParams::default(),
    }
    .parse(resp());
    if let Ok(amount) = Amount::parse("9.15") {
        let _ = RecurringAdjust {
            recurring_id: id,
            currency: Currency::Usd,
            amount,
            params: MerchantParams::default(),
        }
        .parse(resp());
    }
    let tid = TransactionId::new("1849705C6420220922000016");
    let order = OrderId::new("O-1");
    let Ok(amount) = Amount::parse("10.00") else {
        return;
    };
    let query = Query {
        key_field: KeyField::TransactionId,
        order_id: order.clone(),
        transaction_id: Some(tid.clone()),
        currency: Currency::Usd,
        amount: amount.clone(),
        lang: Lang::En,
        params: MerchantParams::default(),
    };
    let Ok(retrieved) = query.parse(resp()) else {
        return;
    };
    for start in [Payment::authorized, Payment::captured, Payment::registered] {
        if let Ok(mut payment) = start(
            tid.clone(),
            order.clone(),
            Currency::Usd,
            amount.clone(),
            Lang::En,
        ) {
            let _ = payment.apply(PaymentOutcome::Retrieved(retrieved.clone()));
            assert!(payment.invariant_holds());
        }
    }
}

/// Amounts and dates: parsing never panics, what parses round-trips exactly, and an echoed
/// amount read for a currency is one a request can carry.
pub fn amounts(text: &str) {
    let _ = GatewayAmount::new(text).to_decimal();
    if let Some(date) = Date::parse_yyyymmdd(text) {
        assert_eq!(date.to_yyyymmdd(), text);
    }
    for currency in [Currency::Usd, Currency::Krw] {
        if let Ok(echoed) = Amount::from_gateway(text, &currency) {
            assert!(echoed.check_currency(&currency).is_ok());
        }
    }
    if let Ok(amount) = Amount::parse(text) {
        assert_eq!(amount.as_str(), text);
        for currency in [Currency::Usd, Currency::Krw] {
            if let Ok(units) = amount.to_minor_units(&currency) {
                let back = Amount::from_minor_units(units, &currency).expect("positive units");
                assert_eq!(back.value(), amount.value());
            }
        }
    }
}

/// Stored records: loading any bytes as a `Payment` or a `Recurring` never panics, and a
/// payment that loads keeps its invariant.
pub fn stored(bytes: &[u8]) {
    if let Ok(payment) = serde_json::from_slice::<Payment>(bytes) {
        assert!(payment.invariant_holds());
    }
    let _ = serde_json::from_slice::<Recurring>(bytes);
}
