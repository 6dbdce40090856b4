//! The v1 window's `settings` object, typed where a document names the setting.

use std::collections::BTreeMap;

use crate::codes::PaymentMethod;
use crate::error::BuildError;
use crate::ids::{check_free_text, check_required_text};
use crate::money::Currency;
use crate::window::{DisplayType, OsType, check_site_foreign_currency, yes_no};

/// `settings` of the ready body (and of `request_pay`): how the window opens.
///
/// The named settings are the ones the developer pages and public v1 samples send
/// (`display_type`, `ostype`, `autoclose`, `site_foreign_currency`, `issuer_country`,
/// `call_from_app`, `call_from_scheme`); [`ReadySettings::other`] carries any setting no
/// document here names, sent as given. Unset settings are left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadySettings {
    /// `display_type`: popup (`P`) or redirect (`R`).
    pub display_type: Option<DisplayType>,
    /// `ostype`: PC (`P`) or mobile (`M`).
    pub ostype: Option<OsType>,
    /// `autoclose`: `true` (`Y`) goes to the return URL at once instead of showing the
    /// result screen.
    pub autoclose: Option<bool>,
    /// `site_foreign_currency`: the DCC currency shown first (DCC merchants; one of the
    /// guide's DCC currencies; with a payment method only `P000`).
    pub site_foreign_currency: Option<Currency>,
    /// `issuer_country`: `KR` opens the Korean domestic window (ISO 3166 alpha-2).
    pub issuer_country: Option<String>,
    /// `call_from_app`: `true` (`Y`) when opened from an Android or iOS app.
    pub call_from_app: Option<bool>,
    /// `call_from_scheme`: the app's URL scheme, to come back to the app from a card or
    /// wallet app.
    pub call_from_scheme: Option<String>,
    /// Settings no document here names (for example `virtualaccount_expiry_date`), sent as
    /// given; a name that is one of the typed settings above is refused.
    pub other: BTreeMap<String, String>,
}

impl ReadySettings {
    /// Whether nothing is set (the object is then left out of the body).
    pub fn is_empty(&self) -> bool {
        *self == ReadySettings::default()
    }

    /// The settings as the object's entries, after checking them.
    pub(crate) fn entries(
        &self,
        payment_method: Option<&PaymentMethod>,
    ) -> Result<BTreeMap<String, String>, BuildError> {
        const FIELD: &str = "settings";
        check_site_foreign_currency(
            "settings.site_foreign_currency",
            self.site_foreign_currency.as_ref(),
            payment_method,
        )?;
        let mut entries = BTreeMap::new();
        let mut set = |key: &str, value: Option<String>| {
            if let Some(value) = value {
                entries.insert(key.to_owned(), value);
            }
        };
        set(
            "display_type",
            self.display_type.map(|d| d.as_str().to_owned()),
        );
        set("ostype", self.ostype.map(|o| o.as_str().to_owned()));
        set("autoclose", self.autoclose.map(|y| yes_no(y).to_owned()));
        set(
            "site_foreign_currency",
            self.site_foreign_currency
                .as_ref()
                .map(|c| c.code().to_owned()),
        );
        if let Some(country) = &self.issuer_country {
            if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(BuildError::InvalidField {
                    field: "settings.issuer_country",
                    reason: "must be an ISO 3166 alpha-2 code such as KR",
                });
            }
        }
        set("issuer_country", self.issuer_country.clone());
        set(
            "call_from_app",
            self.call_from_app.map(|y| yes_no(y).to_owned()),
        );
        if let Some(scheme) = &self.call_from_scheme {
            check_required_text("settings.call_from_scheme", scheme, 255)?;
        }
        set("call_from_scheme", self.call_from_scheme.clone());
        for (key, value) in &self.other {
            check_required_text(FIELD, key, 40)?;
            check_free_text(FIELD, value, 255)?;
            if entries.contains_key(key) || is_typed(key) {
                return Err(BuildError::InvalidField {
                    field: FIELD,
                    reason: "other repeats a typed setting: set the typed field instead",
                });
            }
            entries.insert(key.clone(), value.clone());
        }
        Ok(entries)
    }
}

/// The settings [`ReadySettings`] types.
fn is_typed(key: &str) -> bool {
    matches!(
        key,
        "display_type"
            | "ostype"
            | "autoclose"
            | "site_foreign_currency"
            | "issuer_country"
            | "call_from_app"
            | "call_from_scheme"
    )
}
