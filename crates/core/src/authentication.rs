//! Payer authentication (3-D Secure): the state *before* a payment exists.
//!
//! ```text
//!                confirm (PAYMENT_PA → Captured, AUTHORIZE_PA → Authorized)
//! Authenticated ───────────────────────────────────────────────────────────▶ Confirmed ── Payment
//!     │  ▲                                                                      ▲
//!     │  └── retrieve says NONE, and the grace policy is met (confirm again)   │
//!     └── outcome unknown ──▶ NeedsReconcile ── retrieve by order_id (SALE / AUTH) ┘
//!                              ▲    │ NONE before the grace policy is met
//!                              └────┘
//! ```
//!
//! A `PAYER_AUTH` window ends in an authentication (`payer_auth_id`, with `cavv`, `xid`,
//! `eci`), not a payment: no money moved. The merchant then confirms it for the same amount
//! and currency ([`PayerAuthentication::confirm`] refuses any other before building
//! anything). An ambiguous confirm has no transaction id yet, so it is reconciled by the
//! order id ([`PayerAuthentication::reconcile`]). A `NONE` answer is not proof that the
//! confirm made nothing: the authentication stays in `NeedsReconcile` until its
//! [`NotFoundGrace`] policy is met ([`crate::not_found`]).

use crate::codes::{Lang, RemoteStatus, TransactionType};
use crate::error::GatewayError;
use crate::ids::{OrderId, PayerAuthId, TransactionId};
use crate::money::{Amount, AmountError, Currency};
use crate::not_found::{NotFoundDoubt, NotFoundGrace, NotFoundVerdict};
use crate::notification::{Notification, NotificationError};
use crate::ops::confirm::{Confirm, Confirmed};
use crate::ops::retrieve::{KeyField, Retrieve, Retrieved};
use crate::payment::{InvalidTransition, Payment, PaymentOutcome};
use crate::time::Timestamp;

/// Where an authentication stands.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum AuthenticationStatus {
    /// The buyer is authenticated; nothing is paid yet.
    Authenticated,
    /// A confirm's outcome is unknown: retrieve by order id before anything else.
    NeedsReconcile,
    /// Confirmed: the payment exists.
    Confirmed {
        /// The payment.
        transaction_id: TransactionId,
    },
}

/// A parsed outcome of a confirm (or of the retrieve that reconciles one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfirmOutcome {
    /// The gateway confirmed it.
    Confirmed(Confirmed),
    /// The gateway refused (card, issuer, fraud screening): nothing changed.
    Declined(GatewayError),
    /// The confirm may or may not have been applied.
    Ambiguous {
        /// When the confirm was sent (the caller's clock).
        at: Timestamp,
    },
    /// What a retrieve by order id says.
    Retrieved {
        /// The gateway's answer.
        answer: Retrieved,
        /// When it answered (the caller's clock).
        at: Timestamp,
    },
}

/// A confirm that does not fit the authentication. Nothing changes, nothing is sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidConfirm {
    /// Only `PAYMENT_PA` and `AUTHORIZE_PA` confirm an authentication.
    #[error("{0} does not confirm a payer authentication (PAYMENT_PA or AUTHORIZE_PA)")]
    TransactionType(String),
    /// The currency is not the authentication's.
    #[error("the authentication is in {expected}, not {got}")]
    Currency {
        /// The authentication's.
        expected: String,
        /// Asked for.
        got: String,
    },
    /// The amount is not the authentication's.
    #[error("the authentication is for {expected}, not {got}")]
    Amount {
        /// The authentication's.
        expected: String,
        /// Asked for.
        got: String,
    },
    /// Not allowed in this state.
    #[error("the authentication is {0:?}: confirm is not allowed")]
    NotAllowed(AuthenticationStatus),
    /// The gateway's answer is about another order or amount.
    #[error("the gateway's answer does not fit the authentication: {0}")]
    Mismatch(String),
    /// The payment the answer describes cannot be built.
    #[error("the confirmed payment: {0}")]
    Payment(#[from] InvalidTransition),
}

impl InvalidConfirm {
    /// Whether this refusal came before anything was sent (rather than from an answer).
    pub fn before_sending(&self) -> bool {
        matches!(
            self,
            InvalidConfirm::TransactionType(_)
                | InvalidConfirm::Currency { .. }
                | InvalidConfirm::Amount { .. }
                | InvalidConfirm::NotAllowed(_)
        )
    }
}

/// One payer authentication and what became of it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PayerAuthentication {
    payer_auth_id: PayerAuthId,
    order_id: OrderId,
    currency: Currency,
    amount: Amount,
    lang: Lang,
    cavv: Option<String>,
    xid: Option<String>,
    eci: Option<String>,
    status: AuthenticationStatus,
    /// While `NeedsReconcile`: when the confirm was sent and the `NONE` answers counted
    /// since. Absent in records stored before it was kept.
    #[cfg_attr(feature = "serde", serde(default))]
    not_found: NotFoundDoubt,
    /// When a `NONE` may be read as "the confirm made nothing".
    #[cfg_attr(feature = "serde", serde(default))]
    grace: NotFoundGrace,
}

impl PayerAuthentication {
    /// An authentication for `amount` in `currency` (which must fit it).
    pub fn new(
        payer_auth_id: PayerAuthId,
        order_id: OrderId,
        currency: Currency,
        amount: Amount,
        lang: Lang,
    ) -> Result<Self, AmountError> {
        amount.check_currency(&currency)?;
        Ok(PayerAuthentication {
            payer_auth_id,
            order_id,
            currency,
            amount,
            lang,
            cavv: None,
            xid: None,
            eci: None,
            status: AuthenticationStatus::Authenticated,
            not_found: NotFoundDoubt::default(),
            grace: NotFoundGrace::default(),
        })
    }

    /// Replaces the grace policy for a retrieve's `NONE` after an ambiguous confirm
    /// (default [`NotFoundGrace::CONSERVATIVE`]).
    pub fn with_not_found_grace(mut self, grace: NotFoundGrace) -> Self {
        self.grace = grace;
        self
    }

    /// The grace policy for a retrieve's `NONE`.
    pub fn not_found_grace(&self) -> NotFoundGrace {
        self.grace
    }

    /// While `NeedsReconcile`: when the confirm was sent, and how many `NONE` answers have
    /// counted since.
    pub fn not_found(&self) -> &NotFoundDoubt {
        &self.not_found
    }

    /// The authentication a (verified) `PAYER_AUTH` notification reports: `rescode` 0000,
    /// `payer_auth_id` / `payerauthid`, order id, currency, amount (normalised to the
    /// currency), and `cavv`, `xid`, `eci` when sent.
    pub fn from_notification(
        notification: &Notification<'_>,
        lang: Lang,
    ) -> Result<Self, NotificationError> {
        match notification.rescode() {
            Some(code) if code.is_success() => {}
            Some(code) => return Err(NotificationError::NotSuccessful(code.as_str().to_owned())),
            None => return Err(NotificationError::MissingField("rescode")),
        }
        if notification.transaction_type() != Some(TransactionType::PayerAuth) {
            return Err(NotificationError::InvalidField("transaction type"));
        }
        let payer_auth_id = notification
            .payer_auth_id()
            .filter(|id| !id.trim().is_empty())
            .ok_or(NotificationError::MissingField("payer_auth_id"))?;
        let order_id = notification
            .order_id()
            .ok_or(NotificationError::MissingField("order id"))?;
        let currency = notification
            .currency()
            .ok_or(NotificationError::MissingField("currency"))?;
        let amount = notification
            .amount()
            .ok_or(NotificationError::MissingField("amount"))
            .and_then(|a| {
                Amount::from_gateway(a.as_str(), &currency)
                    .map_err(|_| NotificationError::InvalidField("amount"))
            })?;
        let mut authentication = PayerAuthentication::new(
            PayerAuthId::new(payer_auth_id.trim()),
            order_id,
            currency,
            amount,
            lang,
        )
        .map_err(|_| NotificationError::InvalidField("amount"))?;
        authentication.cavv = notification.cavv().map(str::to_owned);
        authentication.xid = notification.xid().map(str::to_owned);
        authentication.eci = notification.eci().map(str::to_owned);
        Ok(authentication)
    }

    /// The authentication's id.
    pub fn payer_auth_id(&self) -> &PayerAuthId {
        &self.payer_auth_id
    }

    /// The order.
    pub fn order_id(&self) -> &OrderId {
        &self.order_id
    }

    /// The currency it was made in.
    pub fn currency(&self) -> &Currency {
        &self.currency
    }

    /// The amount it was made for.
    pub fn amount(&self) -> &Amount {
        &self.amount
    }

    /// `cavv`, `xid`, `eci`, when the notification carried them.
    pub fn three_d_secure(&self) -> (Option<&str>, Option<&str>, Option<&str>) {
        (
            self.cavv.as_deref(),
            self.xid.as_deref(),
            self.eci.as_deref(),
        )
    }

    /// Where it stands.
    pub fn status(&self) -> &AuthenticationStatus {
        &self.status
    }

    /// The confirm call: `PAYMENT_PA` or `AUTHORIZE_PA`, for exactly the authentication's
    /// amount and currency; refused in any other state, with any other amount or currency.
    pub fn confirm(
        &self,
        transaction_type: TransactionType,
        currency: &Currency,
        amount: &Amount,
    ) -> Result<Confirm, InvalidConfirm> {
        if self.status != AuthenticationStatus::Authenticated {
            return Err(InvalidConfirm::NotAllowed(self.status.clone()));
        }
        if !matches!(
            transaction_type,
            TransactionType::PaymentPa | TransactionType::AuthorizePa
        ) {
            return Err(InvalidConfirm::TransactionType(
                transaction_type.as_str().to_owned(),
            ));
        }
        if *currency != self.currency {
            return Err(InvalidConfirm::Currency {
                expected: self.currency.code().to_owned(),
                got: currency.code().to_owned(),
            });
        }
        if amount.value() != self.amount.value() {
            return Err(InvalidConfirm::Amount {
                expected: self.amount.to_string(),
                got: amount.to_string(),
            });
        }
        Ok(Confirm {
            transaction_type,
            order_id: self.order_id.clone(),
            currency: self.currency.clone(),
            amount: self.amount.clone(),
            payer_auth_id: self.payer_auth_id.clone(),
            lang: self.lang.clone(),
        })
    }

    /// The reconcile call after an ambiguous confirm: a retrieve by order id (there is no
    /// transaction id yet).
    pub fn reconcile(&self) -> Retrieve {
        Retrieve {
            key_field: KeyField::OrderId,
            order_id: self.order_id.clone(),
            transaction_id: None,
            currency: self.currency.clone(),
            amount: self.amount.clone(),
            lang: self.lang.clone(),
        }
    }

    /// Applies an outcome. `Ok(Some(payment))` when it made (or found) the payment; on error
    /// nothing changes.
    pub fn apply(&mut self, outcome: ConfirmOutcome) -> Result<Option<Payment>, InvalidConfirm> {
        match outcome {
            ConfirmOutcome::Declined(_) => Ok(None),
            ConfirmOutcome::Ambiguous { at } => {
                if self.status != AuthenticationStatus::Authenticated {
                    return Err(InvalidConfirm::NotAllowed(self.status.clone()));
                }
                self.status = AuthenticationStatus::NeedsReconcile;
                self.not_found = NotFoundDoubt::since(at);
                Ok(None)
            }
            ConfirmOutcome::Confirmed(confirmed) => {
                if self.status == AuthenticationStatus::NeedsReconcile
                    || matches!(self.status, AuthenticationStatus::Confirmed { .. })
                {
                    return Err(InvalidConfirm::NotAllowed(self.status.clone()));
                }
                self.check_echo(
                    confirmed.order_id.as_ref(),
                    confirmed.currency.as_ref(),
                    confirmed.amount.as_ref().map(|a| a.as_str()),
                )?;
                let payment = self.payment(
                    confirmed.transaction_id.clone(),
                    &confirmed.transaction_type,
                )?;
                self.status = AuthenticationStatus::Confirmed {
                    transaction_id: confirmed.transaction_id,
                };
                Ok(Some(payment))
            }
            ConfirmOutcome::Retrieved { answer, at } => self.apply_retrieved(answer, at),
        }
    }

    /// A retrieve's answer after an ambiguous confirm: the payment it found, or — on `NONE`
    /// — nothing yet: the authentication becomes `Authenticated` (confirm again) only once
    /// the grace policy is met, and stays `NeedsReconcile` until then.
    fn apply_retrieved(
        &mut self,
        retrieved: Retrieved,
        at: Timestamp,
    ) -> Result<Option<Payment>, InvalidConfirm> {
        if self.status != AuthenticationStatus::NeedsReconcile {
            return Err(InvalidConfirm::NotAllowed(self.status.clone()));
        }
        self.check_echo(
            retrieved.order_id.as_ref(),
            retrieved.currency.as_ref(),
            retrieved.amount.as_ref().map(|a| a.as_str()),
        )?;
        let transaction_type = match (&retrieved.status, &retrieved.transaction_type) {
            (RemoteStatus::None, _) => {
                // Not found is not "never made": only the grace policy releases the confirm.
                if self.grace.judge(&mut self.not_found, at) == NotFoundVerdict::NeverMade {
                    self.status = AuthenticationStatus::Authenticated;
                    self.not_found = NotFoundDoubt::default();
                }
                return Ok(None);
            }
            (RemoteStatus::Sale | RemoteStatus::Auth, Some(t)) => t.clone(),
            (RemoteStatus::Sale, None) => TransactionType::PaymentPa,
            (RemoteStatus::Auth, None) => TransactionType::AuthorizePa,
            (other, _) => {
                return Err(InvalidConfirm::Mismatch(format!(
                    "a confirmed payment cannot be {}",
                    other.as_str()
                )));
            }
        };
        let transaction_id = retrieved
            .transaction_id
            .clone()
            .ok_or_else(|| InvalidConfirm::Mismatch("no transaction id".to_owned()))?;
        let mut payment = self.payment(transaction_id.clone(), &transaction_type)?;
        // The retrieve also says whether it was captured or refunded since.
        payment.apply(PaymentOutcome::Retrieved(retrieved))?;
        self.status = AuthenticationStatus::Confirmed { transaction_id };
        self.not_found = NotFoundDoubt::default();
        Ok(Some(payment))
    }

    fn check_echo(
        &self,
        order_id: Option<&OrderId>,
        currency: Option<&Currency>,
        amount: Option<&str>,
    ) -> Result<(), InvalidConfirm> {
        if order_id.is_some_and(|o| *o != self.order_id) {
            return Err(InvalidConfirm::Mismatch("another order".to_owned()));
        }
        if currency.is_some_and(|c| *c != self.currency) {
            return Err(InvalidConfirm::Mismatch("another currency".to_owned()));
        }
        if let Some(text) = amount {
            let same = Amount::from_gateway(text, &self.currency)
                .is_ok_and(|a| a.value() == self.amount.value());
            if !same {
                return Err(InvalidConfirm::Mismatch(format!("amount {text}")));
            }
        }
        Ok(())
    }

    /// The payment a confirm of `transaction_type` made.
    fn payment(
        &self,
        transaction_id: TransactionId,
        transaction_type: &TransactionType,
    ) -> Result<Payment, InvalidConfirm> {
        let make = if transaction_type.needs_manual_capture() {
            Payment::authorized
        } else {
            Payment::captured
        };
        make(
            transaction_id,
            self.order_id.clone(),
            self.currency.clone(),
            self.amount.clone(),
            self.lang.clone(),
        )
        .map_err(|e| InvalidConfirm::Payment(InvalidTransition::InvalidAmount(e)))
    }
}
