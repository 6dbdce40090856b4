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
//! [`NotFoundGrace`](crate::not_found::NotFoundGrace) policy is met ([`crate::not_found`]).

use crate::codes::{Lang, RemoteStatus, TransactionType};
use crate::error::GatewayError;
use crate::ids::{OrderId, PayerAuthId, TransactionId};
use crate::machine::{Finished, StateMachine, Transition};
use crate::money::{Amount, AmountError, Currency};
use crate::not_found::{AwaitsNotFound, NotFoundVerdict, NotFoundWatch};
use crate::notification::{Notification, NotificationError};
use crate::ops::confirm::{Confirm, Confirmed};
use crate::ops::retrieve::{KeyField, Retrieve, Retrieved};
use crate::payment::{Payment, PaymentOutcome, PaymentRefusal};
use crate::time::Timestamp;

/// Where an authentication stands.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
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

/// The call of an authentication whose result is being absorbed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthenticationCommand {
    /// The confirm (its unknown outcome puts the authentication in `NeedsReconcile`).
    Confirm,
    /// The retrieve by order id that reconciles a confirm in doubt (a read: never itself in
    /// doubt).
    Reconcile,
}

/// What happened in an authentication's transition.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum AuthenticationEvent {
    /// The confirm made the payment.
    Confirmed {
        /// The payment.
        payment: Box<Payment>,
    },
    /// The retrieve found the payment the confirm in doubt made (captured or refunded
    /// since, as the retrieve says).
    Found {
        /// The payment.
        payment: Box<Payment>,
    },
    /// The retrieve answered `NONE` before the grace policy is met: still `NeedsReconcile`.
    StillInDoubt,
    /// The retrieve answered `NONE` and the grace policy is met: the confirm is taken as
    /// never made, and the authentication is `Authenticated` again.
    NeverMade,
    /// The gateway declined the confirm; nothing changed.
    Declined {
        /// The result code.
        rescode: String,
    },
    /// The gateway rejected the request itself (`EC*`); nothing changed.
    Rejected {
        /// The result code.
        rescode: String,
    },
    /// The call failed where nothing can have been applied; nothing changed.
    FailedSafely,
    /// The call's outcome is unknown: after a confirm, `NeedsReconcile`.
    OutcomeUnknown,
}

impl AuthenticationEvent {
    /// The payment the confirm made or the retrieve found.
    pub fn payment(&self) -> Option<&Payment> {
        match self {
            AuthenticationEvent::Confirmed { payment } | AuthenticationEvent::Found { payment } => {
                Some(payment)
            }
            _ => None,
        }
    }

    /// The payment the confirm made or the retrieve found, taken out.
    pub fn into_payment(self) -> Option<Payment> {
        match self {
            AuthenticationEvent::Confirmed { payment } | AuthenticationEvent::Found { payment } => {
                Some(*payment)
            }
            _ => None,
        }
    }
}

/// An authentication's state change (or a confirmed non-change).
pub type AuthenticationTransition = Transition<AuthenticationStatus, AuthenticationEvent>;

/// A parsed outcome of a confirm (or of the retrieve that reconciles one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthenticationOutcome {
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
#[non_exhaustive]
pub enum AuthenticationRefusal {
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
    Payment(#[from] PaymentRefusal),
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
    /// The grace policy for a `NONE` after an ambiguous call, and what it has heard
    /// (stored as the fields `not_found` and `grace`).
    #[cfg_attr(feature = "serde", serde(flatten))]
    watch: NotFoundWatch,
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
            watch: NotFoundWatch::default(),
        })
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
    ) -> Result<Confirm, AuthenticationRefusal> {
        if self.status != AuthenticationStatus::Authenticated {
            return Err(AuthenticationRefusal::NotAllowed(self.status.clone()));
        }
        if !matches!(
            transaction_type,
            TransactionType::PaymentPa | TransactionType::AuthorizePa
        ) {
            return Err(AuthenticationRefusal::TransactionType(
                transaction_type.as_str().to_owned(),
            ));
        }
        if *currency != self.currency {
            return Err(AuthenticationRefusal::Currency {
                expected: self.currency.code().to_owned(),
                got: currency.code().to_owned(),
            });
        }
        if amount.value() != self.amount.value() {
            return Err(AuthenticationRefusal::Amount {
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

    /// Applies an outcome: a call's answer (the payment a confirm made, or a retrieve found,
    /// is in the event: [`AuthenticationEvent::payment`]). On error nothing changes.
    pub fn apply(
        &mut self,
        outcome: AuthenticationOutcome,
    ) -> Result<AuthenticationTransition, AuthenticationRefusal> {
        let from = self.status.clone();
        let event = self.apply_outcome(outcome)?;
        Ok(Transition {
            from,
            to: self.status.clone(),
            event,
        })
    }

    fn apply_outcome(
        &mut self,
        outcome: AuthenticationOutcome,
    ) -> Result<AuthenticationEvent, AuthenticationRefusal> {
        match outcome {
            AuthenticationOutcome::Declined(error) => Ok(AuthenticationEvent::Declined {
                rescode: error.rescode.as_str().to_owned(),
            }),
            AuthenticationOutcome::Ambiguous { at } => {
                if self.status != AuthenticationStatus::Authenticated {
                    return Err(AuthenticationRefusal::NotAllowed(self.status.clone()));
                }
                self.status = AuthenticationStatus::NeedsReconcile;
                self.watch.start(at);
                Ok(AuthenticationEvent::OutcomeUnknown)
            }
            AuthenticationOutcome::Confirmed(confirmed) => {
                if self.status == AuthenticationStatus::NeedsReconcile
                    || matches!(self.status, AuthenticationStatus::Confirmed { .. })
                {
                    return Err(AuthenticationRefusal::NotAllowed(self.status.clone()));
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
                Ok(AuthenticationEvent::Confirmed {
                    payment: Box::new(payment),
                })
            }
            AuthenticationOutcome::Retrieved { answer, at } => self.apply_retrieved(answer, at),
        }
    }

    /// A retrieve's answer after an ambiguous confirm: the payment it found, or — on `NONE`
    /// — nothing yet: the authentication becomes `Authenticated` (confirm again) only once
    /// the grace policy is met, and stays `NeedsReconcile` until then.
    fn apply_retrieved(
        &mut self,
        retrieved: Retrieved,
        at: Timestamp,
    ) -> Result<AuthenticationEvent, AuthenticationRefusal> {
        if self.status != AuthenticationStatus::NeedsReconcile {
            return Err(AuthenticationRefusal::NotAllowed(self.status.clone()));
        }
        self.check_echo(
            retrieved.order_id.as_ref(),
            retrieved.currency.as_ref(),
            retrieved.amount.as_ref().map(|a| a.as_str()),
        )?;
        let transaction_type = match (&retrieved.status, &retrieved.transaction_type) {
            (RemoteStatus::None, _) => {
                // Not found is not "never made": only the grace policy releases the confirm.
                if self.watch.judge(at) != NotFoundVerdict::NeverMade {
                    return Ok(AuthenticationEvent::StillInDoubt);
                }
                self.status = AuthenticationStatus::Authenticated;
                self.watch.clear();
                return Ok(AuthenticationEvent::NeverMade);
            }
            (RemoteStatus::Sale | RemoteStatus::Auth, Some(t)) => t.clone(),
            (RemoteStatus::Sale, None) => TransactionType::PaymentPa,
            (RemoteStatus::Auth, None) => TransactionType::AuthorizePa,
            (other, _) => {
                return Err(AuthenticationRefusal::Mismatch(format!(
                    "a confirmed payment cannot be {}",
                    other.as_str()
                )));
            }
        };
        let transaction_id = retrieved
            .transaction_id
            .clone()
            .ok_or_else(|| AuthenticationRefusal::Mismatch("no transaction id".to_owned()))?;
        let mut payment = self.payment(transaction_id.clone(), &transaction_type)?;
        // The retrieve also says whether it was captured or refunded since.
        payment.apply(PaymentOutcome::Retrieved(retrieved))?;
        self.status = AuthenticationStatus::Confirmed { transaction_id };
        self.watch.clear();
        Ok(AuthenticationEvent::Found {
            payment: Box::new(payment),
        })
    }

    fn check_echo(
        &self,
        order_id: Option<&OrderId>,
        currency: Option<&Currency>,
        amount: Option<&str>,
    ) -> Result<(), AuthenticationRefusal> {
        if order_id.is_some_and(|o| *o != self.order_id) {
            return Err(AuthenticationRefusal::Mismatch("another order".to_owned()));
        }
        if currency.is_some_and(|c| *c != self.currency) {
            return Err(AuthenticationRefusal::Mismatch(
                "another currency".to_owned(),
            ));
        }
        if let Some(text) = amount {
            let same = Amount::from_gateway(text, &self.currency)
                .is_ok_and(|a| a.value() == self.amount.value());
            if !same {
                return Err(AuthenticationRefusal::Mismatch(format!("amount {text}")));
            }
        }
        Ok(())
    }

    /// The payment a confirm of `transaction_type` made.
    fn payment(
        &self,
        transaction_id: TransactionId,
        transaction_type: &TransactionType,
    ) -> Result<Payment, AuthenticationRefusal> {
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
        .map_err(|e| AuthenticationRefusal::Payment(PaymentRefusal::InvalidAmount(e)))
    }
}

impl StateMachine for PayerAuthentication {
    type Status = AuthenticationStatus;
    type Event = AuthenticationEvent;
    /// The call and when it was sent (the caller's clock): a confirm whose outcome is
    /// unknown is in doubt from then.
    type Command = (AuthenticationCommand, Timestamp);
    type Answer = AuthenticationOutcome;
    type Refusal = AuthenticationRefusal;

    fn status(&self) -> AuthenticationStatus {
        self.status.clone()
    }

    /// An answer is applied, a decline changes nothing, an unknown outcome of a confirm puts
    /// the authentication in `NeedsReconcile` (from when it was sent); a rejected request, a
    /// safe failure, or an unknown outcome of a retrieve changes nothing.
    fn absorb(
        &mut self,
        (command, at): (AuthenticationCommand, Timestamp),
        finished: Finished<AuthenticationOutcome>,
    ) -> Result<AuthenticationTransition, AuthenticationRefusal> {
        let unchanged = |status: &AuthenticationStatus, event| Transition {
            from: status.clone(),
            to: status.clone(),
            event,
        };
        match finished {
            Finished::Done(outcome) => self.apply(outcome),
            Finished::Declined(error) => self.apply(AuthenticationOutcome::Declined(error)),
            Finished::OutcomeUnknown if command == AuthenticationCommand::Confirm => {
                self.apply(AuthenticationOutcome::Ambiguous { at })
            }
            Finished::OutcomeUnknown => {
                Ok(unchanged(&self.status, AuthenticationEvent::OutcomeUnknown))
            }
            Finished::Rejected(error) => Ok(unchanged(
                &self.status,
                AuthenticationEvent::Rejected {
                    rescode: error.rescode.as_str().to_owned(),
                },
            )),
            Finished::FailedSafely => {
                Ok(unchanged(&self.status, AuthenticationEvent::FailedSafely))
            }
        }
    }
}

impl AwaitsNotFound for PayerAuthentication {
    fn watch(&self) -> &NotFoundWatch {
        &self.watch
    }

    fn watch_mut(&mut self) -> &mut NotFoundWatch {
        &mut self.watch
    }
}
