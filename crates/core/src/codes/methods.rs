//! Payment method codes (`payment_method` / `paymethod`) and the v1 answers' `errcode`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::BuildError;

code_enum!(
    /// The payment method code (`payment_method` in v1, `paymethod` in the legacy API).
    ///
    /// The codes of the current guides: the overseas guide's App. C (rev 9, 2019–2021) and the
    /// Korean domestic guide's App. C (digest §9.4). Where the lists conflict the current
    /// overseas guide wins: `P006` is Japan's convenience store / internet banking (the 2017
    /// sample calls it "eContext"), `P007` Molpay (the 2017 guide: Molpay Malaysia, now
    /// `P171`). Codes only older documents name (`P004` Tenpay, `P005` 99Bill, `P008`
    /// PaysBuy) are read as [`PaymentMethod::Other`].
    ///
    /// `P101`–`P128` (card brands and Korean issuers) only ever come back in answers: the guide
    /// refuses them in requests, and [`PaymentMethod::check_requestable`] does too.
    PaymentMethod {
        /// Card (any brand).
        Card = "P000",
        /// PayPal.
        PayPal = "P001",
        /// UnionPay (CUP).
        UnionPay = "P002",
        /// Alipay.
        Alipay = "P003",
        /// Japan: convenience store or internet banking (a cash method: `Registered`, then
        /// `Sale`).
        JapanCashOrBanking = "P006",
        /// Molpay.
        Molpay = "P007",
        /// Yandex.
        Yandex = "P011",
        /// VISA (answers only).
        Visa = "P101",
        /// Mastercard (answers only).
        Master = "P102",
        /// American Express (answers only).
        Amex = "P103",
        /// JCB (answers only).
        Jcb = "P104",
        /// UnionPay card without authentication (answers only).
        UnionPayCard = "P105",
        /// Diners (answers only).
        Diners = "P106",
        /// Discover (answers only).
        Discover = "P107",
        /// BC card (Korean issuer; answers only).
        BcCard = "P110",
        /// KB card (answers only).
        KbCard = "P111",
        /// Hana card, ex-KEB (answers only).
        HanaKebCard = "P112",
        /// Samsung card (answers only).
        SamsungCard = "P113",
        /// Shinhan card (answers only).
        ShinhanCard = "P114",
        /// Hyundai card (answers only).
        HyundaiCard = "P115",
        /// Lotte card (answers only).
        LotteCard = "P116",
        /// NH Nonghyup card (answers only).
        NhCard = "P117",
        /// Hana card, ex-SK (answers only).
        HanaSkCard = "P118",
        /// Citi card (answers only).
        CitiCard = "P119",
        /// Woori card (answers only).
        WooriCard = "P120",
        /// Suhyup card (answers only).
        SuhyupCard = "P121",
        /// Jeju card (answers only).
        JejuCard = "P122",
        /// Jeonbuk card (answers only).
        JeonbukCard = "P123",
        /// Gwangju card (answers only).
        GwangjuCard = "P124",
        /// Kakao Bank card (answers only).
        KakaoBankCard = "P125",
        /// K bank card (answers only).
        KBankCard = "P126",
        /// Mirae Asset Daewoo card (answers only).
        MiraeAssetCard = "P127",
        /// Kona card (answers only).
        KonaCard = "P128",
        /// WeChat Pay on a PC (send with `ostype=P`).
        WeChatPc = "P141",
        /// WeChat Pay on a phone (send with `ostype=M`).
        WeChatMobile = "P142",
        /// WeChat Pay in an official account.
        WeChatOfficialAccount = "P143",
        /// Molpay Malaysia.
        MolpayMalaysia = "P171",
        /// Molpay Vietnam.
        MolpayVietnam = "P172",
        /// Molpay Thailand.
        MolpayThailand = "P173",
        /// BankPay (Korea).
        BankPay = "P301",
        /// KakaoPay (Korea).
        KakaoPay = "P302",
        /// Toss (Korea).
        Toss = "P303",
        /// Payco (Korea).
        Payco = "P304",
        /// Virtual account (Korea; a cash method).
        VirtualAccount = "P305",
        /// SmilePay (Korea).
        SmilePay = "P306",
    }
);

impl PaymentMethod {
    /// Whether the code may be put into a request: `P` followed by three digits, and not one
    /// of `P101`–`P128`, which the guide accepts in answers only (digest §9.4).
    pub fn check_requestable(&self, field: &'static str) -> Result<(), BuildError> {
        let code = self.as_str();
        let digits = code
            .strip_prefix('P')
            .filter(|d| d.len() == 3 && d.bytes().all(|b| b.is_ascii_digit()));
        let Some(digits) = digits else {
            return Err(BuildError::InvalidField {
                field,
                reason: "must be a payment method code: P and three digits",
            });
        };
        if (101..=128).contains(&digits.parse::<u16>().unwrap_or_default()) {
            return Err(BuildError::InvalidField {
                field,
                reason: "must not be P101-P128 (card brands and issuers: answers only); send P000",
            });
        }
        Ok(())
    }
}

code_enum!(
    /// The v1 answers' `errcode`: why a payment was declined, in the developer pages' newer
    /// string codes ("Error code (v2)"). Read beside `rescode`, which keeps the older codes;
    /// codes this crate does not list are kept as [`ErrorCode::Other`]. The spelling is the
    /// page's, typo included (`INVAILD_CARD_DATA`).
    ErrorCode {
        /// The card has expired.
        ExpiredCard = "EXPIRED_CARD",
        /// The card number is wrong.
        InvalidCardNumber = "INVALID_CARD_NUMBER",
        /// Some card data (CVV, expiry, number, name, password) is wrong.
        InvalidCardData = "INVAILD_CARD_DATA",
        /// The CVC is wrong.
        InvalidCvc = "INVALID_CVC",
        /// The card password is wrong (perhaps too often).
        InvalidPassword = "INVALID_PASSWORD",
        /// The card needs its password (PIN).
        PasswordRequired = "PASSWORD_REQUIRED",
        /// Authentication failed or was required.
        InvalidAuthentication = "INVALID_AUTHENTICATION",
        /// The CAVV is wrong.
        InvalidCavv = "INVALID_CAVV",
        /// Declined as suspected fraud.
        FraudulentDecline = "FRAUDULENT_DECLINE",
        /// The card was reported lost or stolen.
        StolenOrLostCard = "STOLEN_OR_LOST_CARD",
        /// Declined for a reason only the issuer can tell.
        ContactCardIssuer = "CONTACT_CARD_ISSUER",
        /// The card does not support this kind of payment.
        CardNotSupported = "CARD_NOT_SUPPORTED",
    }
);

impl ErrorCode {
    /// Whether the buyer can fix it by typing the card's details again (as opposed to
    /// trying another card or calling the issuer).
    pub fn is_buyer_input(&self) -> bool {
        matches!(
            self,
            ErrorCode::InvalidCardNumber
                | ErrorCode::InvalidCardData
                | ErrorCode::InvalidCvc
                | ErrorCode::InvalidPassword
                | ErrorCode::PasswordRequired
                | ErrorCode::ExpiredCard
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_only_codes_are_refused_in_requests() {
        for code in ["P101", "P104", "P115", "P128"] {
            assert!(
                PaymentMethod::from_code(code)
                    .check_requestable("paymethod")
                    .is_err()
            );
        }
        for code in ["P000", "P001", "P006", "P129", "P141", "P302", "P999"] {
            assert!(
                PaymentMethod::from_code(code)
                    .check_requestable("paymethod")
                    .is_ok(),
                "{code}"
            );
        }
        for code in ["", "P", "P1", "X000", "P0000", "P00a", "p000"] {
            assert!(
                PaymentMethod::from_code(code)
                    .check_requestable("paymethod")
                    .is_err()
            );
        }
        assert_eq!(
            PaymentMethod::from_code("P006"),
            PaymentMethod::JapanCashOrBanking
        );
        assert_eq!(
            PaymentMethod::from_code("P004"),
            PaymentMethod::Other("P004".into())
        );
    }

    #[test]
    fn error_codes_keep_the_pages_spelling_and_unknown_codes() {
        assert_eq!(
            ErrorCode::from_code("INVAILD_CARD_DATA"),
            ErrorCode::InvalidCardData
        );
        assert_eq!(ErrorCode::InvalidCardData.as_str(), "INVAILD_CARD_DATA");
        assert_eq!(
            ErrorCode::from_code(" EXPIRED_CARD\n"),
            ErrorCode::ExpiredCard
        );
        assert_eq!(
            ErrorCode::from_code("NEW_ONE"),
            ErrorCode::Other("NEW_ONE".into())
        );
        assert!(ErrorCode::ExpiredCard.is_buyer_input());
        assert!(!ErrorCode::StolenOrLostCard.is_buyer_input());
    }
}
