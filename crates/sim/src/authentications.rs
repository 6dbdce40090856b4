//! Payer authentications (3-D Secure) the sandbox's `PAYER_AUTH` windows made, and which
//! of them were confirmed into a payment (`POST /v1/payments/confirm`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ledger::{Refusal, refuse, valid_amount};

/// One authentication: what it was made for, and the payment it was confirmed into.
#[derive(Clone, Debug, Serialize)]
pub struct Authentication {
    /// The order.
    pub order_id: String,
    /// Currency code.
    pub currency: String,
    /// Amount, as the window had it.
    pub amount: String,
    /// The payment a confirm made with it (an authentication is confirmed once).
    pub confirmed: Option<String>,
}

/// The authentications by `payer_auth_id`.
#[derive(Clone, Debug, Default)]
pub struct Authentications {
    /// By id; private so that only the window records one and only a confirm marks it.
    by_id: BTreeMap<String, Authentication>,
}

impl Authentications {
    /// The authentication recorded under `payer_auth_id`.
    pub fn authentication(&self, payer_auth_id: &str) -> Option<&Authentication> {
        self.by_id.get(payer_auth_id)
    }

    /// Every authentication with its `payer_auth_id`, in id order.
    pub fn all(
        &self,
    ) -> impl DoubleEndedIterator<Item = (&str, &Authentication)> + ExactSizeIterator {
        self.by_id.iter().map(|(id, auth)| (id.as_str(), auth))
    }

    /// Records an approved `PAYER_AUTH` window.
    pub fn record(&mut self, payer_auth_id: String, authentication: Authentication) {
        self.by_id.insert(payer_auth_id, authentication);
    }

    /// Checks a confirm against the authentication it names: known, not confirmed yet, for
    /// the same order, currency and amount (the legacy guide: amount and currency must equal
    /// the authentication's). The refusals are request errors (`EC00`): no public source
    /// documents more specific codes.
    pub fn check_confirm(
        &self,
        payer_auth_id: &str,
        order_id: &str,
        currency: &str,
        amount: &str,
    ) -> Result<(), Refusal> {
        let Some(auth) = self.by_id.get(payer_auth_id) else {
            return Err(refuse("EC00", "Invalid payer_auth_id"));
        };
        if auth.confirmed.is_some() {
            return Err(refuse("EC00", "The payer authentication was already used"));
        }
        let same_amount = valid_amount(amount, currency).is_some()
            && valid_amount(amount, currency) == valid_amount(&auth.amount, &auth.currency);
        if auth.order_id != order_id || auth.currency != currency || !same_amount {
            return Err(refuse(
                "EC00",
                "order_id, currency and amount must be the payer authentication's",
            ));
        }
        Ok(())
    }

    /// Marks an authentication confirmed into `transaction_id`.
    pub fn confirmed(&mut self, payer_auth_id: &str, transaction_id: &str) {
        if let Some(auth) = self.by_id.get_mut(payer_auth_id) {
            auth.confirmed = Some(transaction_id.to_owned());
        }
    }
}
