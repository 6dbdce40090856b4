//! What the merchant's server hands the buyer's browser for the legacy payment window:
//! the `BasicProcessor.krp` form, signed with the fgkey (Eximbay's integration guide).
//!
//! ```text
//! PaymentForm (typed values) ──fields(cfg, now)──▶ SignedForm { action, fields + fgkey }
//!                                                     └──html()──▶ an auto-submitting <form>
//! ```
//!
//! Sans-IO like the rest of the core: no clock (`now` is a parameter, for the recurring
//! fields' "after today in Korea" rule), nothing sent. The v1 flow (`ready` then the SDK's
//! `EXIMBAY.request_pay`) is [`crate::ops::ready::Ready::request_pay`].

use crate::codes::{Lang, TransactionType};
use crate::config::Config;
use crate::error::BuildError;
use crate::ids::{OrderId, check_free_text, check_required_text, check_url};
use crate::money::{Amount, Currency};
use crate::ops::MerchantParams;
use crate::registration::RecurringRegistration;
use crate::time::Timestamp;

mod options;

pub use options::{Address, DisplayType, OsType, WindowOptions};
pub(crate) use options::{check_site_foreign_currency, yes_no};

/// Path of the payment window on the legacy host.
pub const BASIC_PROCESSOR_PATH: &str = "/Gateway/BasicProcessor.krp";

/// The form's version field (`ver`).
pub const FORM_VERSION: &str = "230";

pub use crate::ops::Line;

/// The legacy payment window's request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentForm {
    /// `PAYMENT` (captured at once), `AUTHORIZE` (capture later) or `PAYER_AUTH`.
    pub transaction_type: TransactionType,
    /// `ref`: the merchant's order id.
    pub order_id: OrderId,
    /// `cur`.
    pub currency: Currency,
    /// `amt`: Σ items + Σ surcharges.
    pub amount: Amount,
    /// `shop`: the shop's name, shown in the window.
    pub shop: String,
    /// `buyer`.
    pub buyer: String,
    /// `email`.
    pub email: String,
    /// `tel`, when known.
    pub tel: Option<String>,
    /// `lang` of the window.
    pub lang: Lang,
    /// `returnurl`: where the browser comes back (informative: never mark an order paid on it).
    pub return_url: String,
    /// `statusurl`: where the gateway posts the authoritative result.
    pub status_url: String,
    /// `displaytype`: popup (`P`) or redirect (`R`). The guide marks it required with a
    /// default of `P`, so it is always sent: `None` sends `P`. (The 2017 guide's `I`, an
    /// iframe, is unsupported since 2017-11.)
    pub display_type: Option<DisplayType>,
    /// `ostype` (`P` PC, `M` mobile), when not the default.
    pub os_type: Option<OsType>,
    /// `param1..3`, echoed in the results.
    pub params: MerchantParams,
    /// The order's lines (at least one).
    pub items: Vec<Line>,
    /// Surcharges (shipping, fees).
    pub surcharges: Vec<Line>,
    /// A recurring registration made with this payment.
    pub recurring: Option<RecurringRegistration>,
    /// The guide's optional fields: the method to open on, a DCC currency, the shipping and
    /// billing addresses, `autoclose`, `callfromapp`, `partnercode`.
    pub options: WindowOptions,
}

/// The number of the first `item_#` / `surcharge_#` line: 0, as every official sample and
/// the domestic guide number them (guide §2.1.2 says only "a number", digest §2.1).
const FIRST_LINE: usize = 0;

/// A signed form: where the browser posts it, and its fields in order (fgkey last).
#[derive(Clone, PartialEq, Eq)]
pub struct SignedForm {
    /// `…/Gateway/BasicProcessor.krp` on the legacy host.
    pub action: String,
    /// The fields, in order, `fgkey` last.
    pub fields: Vec<(String, String)>,
}

impl std::fmt::Debug for SignedForm {
    // The buyer's e-mail and phone are personal data: keep the values out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedForm")
            .field("action", &self.action)
            .field(
                "fields",
                &self.fields.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl PaymentForm {
    /// Checks every value and signs the fields with the configuration's secret key.
    /// `now` is the caller's clock (a recurring first charge must be after today in Korea).
    pub fn sign(&self, cfg: &Config, now: Timestamp) -> Result<SignedForm, BuildError> {
        let secret = cfg.secret_key().ok_or(BuildError::MissingSecretKey)?;
        let fields = self.fields(cfg, now)?;
        let fgkey =
            crate::fgkey::sign(secret, fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let mut fields = fields;
        fields.push((crate::fgkey::FGKEY_FIELD.to_owned(), fgkey));
        Ok(SignedForm {
            action: format!("{}{BASIC_PROCESSOR_PATH}", cfg.legacy_base_url()),
            fields,
        })
    }

    /// The unsigned fields, in the integration guide's order, after checking them.
    pub fn fields(
        &self,
        cfg: &Config,
        now: Timestamp,
    ) -> Result<Vec<(String, String)>, BuildError> {
        if !matches!(
            self.transaction_type,
            TransactionType::Payment | TransactionType::Authorize | TransactionType::PayerAuth
        ) {
            return Err(BuildError::InvalidField {
                field: "txntype",
                reason: "must be PAYMENT, AUTHORIZE or PAYER_AUTH",
            });
        }
        self.order_id.check_for_request()?;
        self.amount
            .check_currency(&self.currency)
            .map_err(BuildError::amount("amt"))?;
        crate::ops::check_lang(&self.lang)?;
        // The guide's lengths (guide §2.1.2, digest §2).
        check_required_text("shop", &self.shop, 255)?;
        check_required_text("buyer", &self.buyer, 64)?;
        if !self.email.contains('@') {
            return Err(BuildError::InvalidField {
                field: "email",
                reason: "must be an e-mail address",
            });
        }
        check_required_text("email", &self.email, 50)?;
        if let Some(tel) = &self.tel {
            check_free_text("tel", tel, 32)?;
        }
        check_url("returnurl", &self.return_url)?;
        check_url("statusurl", &self.status_url)?;
        self.check_lines()?;
        let options = self.options.fields()?;

        let mut fields: Vec<(String, String)> = [
            ("ver", FORM_VERSION.to_owned()),
            ("mid", cfg.mid().as_str().to_owned()),
            ("txntype", self.transaction_type.as_str().to_owned()),
            ("ref", self.order_id.as_str().to_owned()),
            ("cur", self.currency.code().to_owned()),
            ("amt", self.amount.as_str().to_owned()),
            ("shop", self.shop.clone()),
            ("buyer", self.buyer.clone()),
            ("email", self.email.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let mut push = |key: &str, value: &str| fields.push((key.to_owned(), value.to_owned()));
        if let Some(tel) = &self.tel {
            push("tel", tel);
        }
        push("lang", self.lang.as_str());
        push("charset", "UTF-8");
        push("returnurl", &self.return_url);
        push("statusurl", &self.status_url);
        push(
            "displaytype",
            self.display_type.unwrap_or_default().as_str(),
        );
        if let Some(os_type) = self.os_type {
            push("ostype", os_type.as_str());
        }
        for (name, value) in self.params.fields()? {
            push(name, value);
        }
        for (prefix, name_key, lines) in [
            ("item", "product", &self.items),
            ("surcharge", "name", &self.surcharges),
        ] {
            for (n, line) in lines.iter().enumerate() {
                let n = n + FIRST_LINE;
                push(&format!("{prefix}_{n}_{name_key}"), &line.name);
                push(
                    &format!("{prefix}_{n}_quantity"),
                    &line.quantity.to_string(),
                );
                push(&format!("{prefix}_{n}_unitPrice"), line.unit_price.as_str());
            }
        }
        if let Some(recurring) = &self.recurring {
            for (key, value) in recurring.form_fields(&self.currency, now)? {
                push(key, &value);
            }
        }
        fields.extend(options);
        Ok(fields)
    }

    /// At least one item; every line well formed in the form's currency; and the lines add
    /// up to the amount, exactly.
    fn check_lines(&self) -> Result<(), BuildError> {
        if self.items.is_empty() {
            return Err(BuildError::InvalidField {
                field: "item_#_product",
                reason: "the order needs at least one item",
            });
        }
        let total = crate::ops::lines_total("item", "unitPrice", &self.items, &self.currency)?
            .checked_add(crate::ops::lines_total(
                "surcharge",
                "unitPrice",
                &self.surcharges,
                &self.currency,
            )?)
            .ok_or(BuildError::InvalidField {
                field: "surcharge",
                reason: "total is out of range",
            })?;
        if total != self.amount.value() {
            return Err(BuildError::InvalidField {
                field: "amt",
                reason: "must equal the sum of the items and surcharges",
            });
        }
        Ok(())
    }
}

impl SignedForm {
    /// A page that posts the form as soon as it loads (with a button when scripts are off),
    /// every value HTML-escaped.
    pub fn html(&self) -> String {
        let mut page = String::from(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Eximbay</title></head>\n<body>\n",
        );
        page.push_str(&format!(
            "<form id=\"eximbay\" method=\"post\" accept-charset=\"UTF-8\" action=\"{}\">\n",
            escape_html(&self.action)
        ));
        for (key, value) in &self.fields {
            page.push_str(&format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
                escape_html(key),
                escape_html(value)
            ));
        }
        page.push_str("<noscript><button type=\"submit\">Pay</button></noscript>\n</form>\n");
        page.push_str(
            "<script>document.getElementById(\"eximbay\").submit();</script>\n</body></html>\n",
        );
        page
    }
}

/// Escapes text for an HTML attribute value or element content.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}
