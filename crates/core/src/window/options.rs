//! The payment window's optional fields: how it opens, which method it starts on, the
//! shipping and billing addresses. Shared by the legacy form ([`super::PaymentForm`]) and,
//! where v1 has the same setting, the v1 `ready` body.

use crate::codes::PaymentMethod;
use crate::error::BuildError;
use crate::ids::{check_free_text, check_required_text};
use crate::money::Currency;

/// How the window opens (`displaytype` / `settings.display_type`). The guide's default is
/// a popup. The 2017 guide's `I` (iframe) is not offered: iframes are unsupported since
/// 2017-11 (guide change log, digest §1.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DisplayType {
    /// `P`: a popup over the merchant's page.
    #[default]
    Popup,
    /// `R`: the browser is redirected to the window.
    Redirect,
}

impl DisplayType {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            DisplayType::Popup => "P",
            DisplayType::Redirect => "R",
        }
    }
}

/// The buyer's device (`ostype`): the window's layout, and for WeChat Pay which flow runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OsType {
    /// `P`: a PC (the guide's default).
    #[default]
    Pc,
    /// `M`: a phone or tablet.
    Mobile,
}

impl OsType {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            OsType::Pc => "P",
            OsType::Mobile => "M",
        }
    }
}

/// `Y` / `N`.
pub(crate) fn yes_no(value: bool) -> &'static str {
    if value { "Y" } else { "N" }
}

/// A shipping (`shipTo_*`) or billing (`billTo_*`) address, with the guide's lengths
/// (guide §2.1.2, digest §2).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Address {
    /// `_firstName` (≤ 60).
    pub first_name: String,
    /// `_lastName` (≤ 60).
    pub last_name: String,
    /// `_street1` (≤ 100).
    pub street1: String,
    /// `_city` (≤ 50).
    pub city: String,
    /// `_state` (≤ 20): US and Canadian state codes; for PayPal, other countries send the
    /// city here (guide App. D.2, digest §2.2). Sent empty when empty.
    pub state: String,
    /// `_postalCode` (≤ 20).
    pub postal_code: String,
    /// `_country`: ISO 3166 alpha-2 (`KR`, `US`).
    pub country: String,
    /// `_phoneNumber` (≤ 15), with the country code.
    pub phone_number: String,
}

impl std::fmt::Debug for Address {
    // An address is personal data: only the country goes to logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Address")
            .field("country", &self.country)
            .finish_non_exhaustive()
    }
}

impl Address {
    /// The address's fields under `prefix` (`shipTo` or `billTo`), in the guide's order,
    /// after checking them. `field` names the block in errors.
    pub(crate) fn fields(
        &self,
        prefix: &str,
        field: &'static str,
    ) -> Result<Vec<(String, String)>, BuildError> {
        for (value, max) in [
            (&self.first_name, 60),
            (&self.last_name, 60),
            (&self.street1, 100),
            (&self.city, 50),
            (&self.postal_code, 20),
        ] {
            check_required_text(field, value, max)?;
        }
        check_free_text(field, &self.state, 20)?;
        check_free_text(field, &self.phone_number, 15)?;
        if self.country.len() != 2 || !self.country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(BuildError::InvalidField {
                field,
                reason: "country must be an ISO 3166 alpha-2 code such as KR or US",
            });
        }
        Ok([
            ("city", &self.city),
            ("country", &self.country),
            ("firstName", &self.first_name),
            ("lastName", &self.last_name),
            ("phoneNumber", &self.phone_number),
            ("postalCode", &self.postal_code),
            ("state", &self.state),
            ("street1", &self.street1),
        ]
        .into_iter()
        .map(|(name, value)| (format!("{prefix}_{name}"), value.clone()))
        .collect())
    }
}

/// The legacy form's optional fields (guide §2.1.2, digest §2); every one is left out of the
/// form while unset.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WindowOptions {
    /// `paymethod`: open the window straight on this method (PayPal, Alipay, WeChat Pay, a
    /// Japanese convenience store …). `P101`–`P128` are refused (answers only).
    pub payment_method: Option<PaymentMethod>,
    /// `siteforeigncur`: show the buyer this DCC currency first (DCC merchants only; one of
    /// the guide's DCC currencies; with `payment_method`, only `P000` may be sent).
    pub site_foreign_currency: Option<Currency>,
    /// `shipTo_*`: the shipping address. The guide marks it required, to defend
    /// chargebacks, and PayPal shows it to the buyer; send it for physical goods. Digital
    /// goods have no shipping address, so it is optional here.
    pub ship_to: Option<Address>,
    /// `billTo_*`: the card holder's billing address.
    pub bill_to: Option<Address>,
    /// `partnercode` (≤ 10): assigned by Eximbay for non-standard processing.
    pub partner_code: Option<String>,
    /// `autoclose`: `true` goes to `returnurl` at once instead of showing the result screen.
    pub autoclose: Option<bool>,
    /// `callfromapp`: `true` when the window is opened from an Android or iOS app.
    pub call_from_app: Option<bool>,
}

/// The DCC rules of `siteforeigncur` / `settings.site_foreign_currency` (guide §2.1.2,
/// digest §2): one of the guide's DCC currencies, and with a payment method only `P000`.
pub(crate) fn check_site_foreign_currency(
    field: &'static str,
    currency: Option<&Currency>,
    payment_method: Option<&PaymentMethod>,
) -> Result<(), BuildError> {
    let Some(currency) = currency else {
        return Ok(());
    };
    if !currency.is_dcc() {
        return Err(BuildError::InvalidField {
            field,
            reason: "must be one of the guide's DCC currencies (App. A.2)",
        });
    }
    match payment_method {
        Some(method) if *method != PaymentMethod::Card => Err(BuildError::InvalidField {
            field,
            reason: "goes only with payment method P000 (card)",
        }),
        _ => Ok(()),
    }
}

impl WindowOptions {
    /// The set fields, in the guide's order, after checking them.
    pub(crate) fn fields(&self) -> Result<Vec<(String, String)>, BuildError> {
        let mut fields = Vec::new();
        if let Some(method) = &self.payment_method {
            method.check_requestable("paymethod")?;
            fields.push(("paymethod".to_owned(), method.as_str().to_owned()));
        }
        check_site_foreign_currency(
            "siteforeigncur",
            self.site_foreign_currency.as_ref(),
            self.payment_method.as_ref(),
        )?;
        if let Some(code) = &self.partner_code {
            check_required_text("partnercode", code, 10)?;
            fields.push(("partnercode".to_owned(), code.clone()));
        }
        if let Some(ship_to) = &self.ship_to {
            fields.extend(ship_to.fields("shipTo", "shipTo")?);
        }
        if let Some(bill_to) = &self.bill_to {
            fields.extend(bill_to.fields("billTo", "billTo")?);
        }
        if let Some(autoclose) = self.autoclose {
            fields.push(("autoclose".to_owned(), yes_no(autoclose).to_owned()));
        }
        if let Some(currency) = &self.site_foreign_currency {
            fields.push(("siteforeigncur".to_owned(), currency.code().to_owned()));
        }
        if let Some(from_app) = self.call_from_app {
            fields.push(("callfromapp".to_owned(), yes_no(from_app).to_owned()));
        }
        Ok(fields)
    }
}
