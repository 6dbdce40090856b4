//! The keys Eximbay documents for notifications (strict mode).
//!
//! Only spellings seen in a document or a genuine payload are listed, each group with where
//! it was seen; nothing is invented. "Guide" is the legacy integration guide v2.3 (its facts
//! digested in `reference/eximbay-legacy-guide-facts.md`, "digest §x").

/// The keys Eximbay documents for `status_url`, `return_url` and `recurringURL` bodies, in
/// both the legacy and the v1 spellings (strict mode,
/// [`Notification::check_documented`](super::Notification::check_documented)).
pub const DOCUMENTED_FIELDS: &[&str] = &[
    // The window's response (guide §2.1.3, digest §3), in its order: the echoed request
    // fields, the result, the card, the fraud screening, the DCC and direct-merchant
    // fields.
    "ver",
    "mid",
    "txntype",
    "ref",
    "cur",
    "amt",
    "email",
    "param1",
    "param2",
    "param3",
    "transid",
    "rescode",
    "resmsg",
    "authcode",
    "resdt",
    "cardholder",
    "accesscountry",
    "fgkey",
    "cardno1",
    "cardno4",
    "paymethod",
    "payto",
    "shipTo_city",
    "shipTo_country",
    "shipTo_firstName",
    "shipTo_lastName",
    "shipTo_phoneNumber",
    "shipTo_postalCode",
    "shipTo_state",
    "shipTo_street1",
    "status",
    "paymentURL",
    "dm_decision",
    "dm_reject",
    "dm_review",
    "basecur",
    "baseamt",
    "baserate",
    "foreigncur",
    "foreignamt",
    "foreignrate",
    "dccrate",
    "tid",
    "cardno",
    "expirydt",
    "memberno",
    // Installment months: guide rev 3 and the domestic guide (digest §3).
    "inst",
    // Domestic virtual account registration (digest §7).
    "virtualaccountnumber",
    "virtualaccountexpired",
    // Payer authentication (guide §2.2.3, digest §4.3).
    "payerauthid",
    "cavv",
    "xid",
    "eci",
    // Token creation (guide §2.5.3, digest §4.6).
    "tokenID",
    "tokenBilling",
    // Request fields the gateway's answers carry back: the REBILL answer (guide §2.6.3,
    // digest §4.7) and the CAPTURE answer's `lang` (guide §2.4.3, digest §4.5).
    "shop",
    "buyer",
    "tel",
    "lang",
    // Recurring registration and charges (seed 002: the registration's fields and the
    // response's `recurringID`, `recurringRetry`, `recurringNext`).
    "recurringPayment",
    "recurringAmount",
    "recurringDate",
    "recurringURL",
    "recurringEmail",
    "recurringID",
    "recurringRetry",
    "recurringNext",
    // v1 spellings seen in a genuine v1 `status_url` payload
    // (BeomB/Eximbay_OpenAPI_WebClient `http/real/verify.http`: a PAYER_AUTH result).
    "version",
    "transaction_type",
    "order_id",
    "currency",
    "amount",
    "payer_auth_id",
    // v1 spellings seen in the token-billing rebill answer (developer.eximbay.com token
    // page; `ops/token_rebill.rs`), in the v1 retrieve / cancel answers (`ops/retrieve.rs`,
    // `ops/cancel.rs`, including the wire's `foregin_` misspelling), and in v1 payloads
    // (issue 21's inventory).
    "transaction_id",
    "transaction_date",
    "auth_code",
    "payment_method",
    "card_holder",
    "card_number1",
    "card_number4",
    "pay_to",
    "access_country",
    "base_currency",
    "base_amount",
    "base_rate",
    "dcc_rate",
    "installment_months",
    "foreign_currency",
    "foregin_currency",
    "foreign_amount",
    "foregin_amount",
    "foreign_rate",
    "foregin_rate",
    "token_id",
    // The string error code newer v1 answers add (the error-code page; DESIGN §3).
    "errcode",
];

#[cfg(test)]
mod tests {
    use super::DOCUMENTED_FIELDS;

    #[test]
    fn no_key_is_listed_twice() {
        let mut keys = DOCUMENTED_FIELDS.to_vec();
        keys.sort_unstable();
        let before = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), before, "a key is listed twice");
    }
}
