//! A stored card (token billing) and its small lifecycle.
//!
//! ```text
//!          rebill (a new, captured Payment each time)
//! Active ──────────────────────────────────────────▶ Active
//!   │  └── rebill outcome unknown ──▶ NeedsReconcile ── retrieve by order_id ──▶ Active (+ Payment, or none made)
//!   │                                        ▲    │ NONE before the grace policy is met
//!   │                                        └────┘
//!   └── delete ──▶ Deleted (for good)
//!        └── outcome unknown ──▶ NeedsReconcile ── look-up ──▶ Active or Deleted
//! ```
//!
//! A payment made with token creation (`Ready::token_creation`) leaves a `token_id` in its
//! notification ([`Token::from_notification`]). Every command checks the state and hands
//! back the operation to send; [`Token::apply`] takes the parsed outcome. While a command's
//! outcome is unknown the token is `NeedsReconcile` (as a payment and an authentication are)
//! and only its reconcile call is allowed ([`Token::reconcile`]): a rebill
//! has no transaction id until it answers, so it is found by its order id. A `NONE` answer is
//! not proof that the rebill charged nothing: the rebill stays in doubt until the token's
//! [`NotFoundGrace`](crate::not_found::NotFoundGrace) policy is met ([`crate::not_found`]), and only then may the card be
//! charged again.

use crate::codes::{Lang, RemoteStatus};
use crate::error::GatewayError;
use crate::ids::{OrderId, TokenId};
use crate::machine::{Finished, StateMachine, Transition};
use crate::money::{Amount, Currency};
use crate::not_found::{AwaitsNotFound, NotFoundVerdict, NotFoundWatch};
use crate::notification::{Notification, NotificationError};
use crate::ops::Line;
use crate::ops::retrieve::{KeyField, Retrieve, Retrieved};
use crate::ops::token_delete::{TokenDelete, TokenDeleted};
use crate::ops::token_lookup::{TokenLookup, TokenShown};
use crate::ops::token_rebill::{Rebilled, TokenRebill};
use crate::payment::{Payment, PaymentOutcome, PaymentRefusal};
use crate::time::Timestamp;

/// Where a stored card stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum TokenStatus {
    /// It can be charged.
    Active,
    /// Deleted: it can never be charged again.
    Deleted,
    /// A rebill or a delete is in doubt ([`Token::in_doubt`] says which): only its
    /// reconcile is allowed. Never stored: the record keeps `Active` and the command in
    /// doubt, so records stored before this status existed read the same.
    NeedsReconcile,
}

/// A token command whose call is being absorbed (kept in doubt while the outcome of a rebill
/// or a delete is unknown).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum TokenCommand {
    /// A rebill for this order, currency and amount.
    Rebill {
        /// The rebill's order id (how it is found again).
        order_id: OrderId,
        /// Its currency.
        currency: Currency,
        /// Its amount.
        amount: Amount,
    },
    /// A delete.
    Delete,
    /// A look-up of the card, or the retrieve that settles a rebill in doubt: a read, which
    /// changes nothing and is never itself in doubt.
    Lookup,
}

impl TokenCommand {
    /// Whether an unknown outcome of it leaves something in doubt (a rebill or a delete).
    fn opens_doubt(&self) -> bool {
        !matches!(self, TokenCommand::Lookup)
    }
}

/// What happened in a stored card's transition.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum TokenEvent {
    /// A rebill charged the card: the new, captured payment.
    Rebilled {
        /// The payment it made.
        payment: Box<Payment>,
    },
    /// The card was deleted.
    Deleted,
    /// A look-up answered (a card the gateway shows as deleted or inactive is now
    /// `Deleted`; an active one settles a delete in doubt as not done).
    Shown,
    /// The retrieve found the payment the rebill in doubt made.
    Found {
        /// The payment it made.
        payment: Box<Payment>,
    },
    /// The retrieve answered `NONE` before the grace policy is met: the rebill stays in
    /// doubt.
    StillInDoubt,
    /// The retrieve answered `NONE` and the grace policy is met: the rebill is taken as
    /// never made (the card may be charged again).
    NeverMade,
    /// The gateway declined the command; nothing changed.
    Declined {
        /// The result code.
        rescode: String,
    },
    /// The gateway rejected the command's request itself (`EC*`); nothing changed.
    Rejected {
        /// The result code.
        rescode: String,
    },
    /// The call failed where nothing can have been applied; nothing changed.
    FailedSafely,
    /// The command's outcome is unknown: a rebill or delete is now in doubt.
    OutcomeUnknown,
}

impl TokenEvent {
    /// The payment a rebill made or a retrieve found.
    pub fn payment(&self) -> Option<&Payment> {
        match self {
            TokenEvent::Rebilled { payment } | TokenEvent::Found { payment } => Some(payment),
            _ => None,
        }
    }

    /// The payment a rebill made or a retrieve found, taken out.
    pub fn into_payment(self) -> Option<Payment> {
        match self {
            TokenEvent::Rebilled { payment } | TokenEvent::Found { payment } => Some(*payment),
            _ => None,
        }
    }
}

/// A stored card's state change (or a confirmed non-change).
pub type TokenTransition = Transition<TokenStatus, TokenEvent>;

/// The call that settles a command in doubt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenReconcile {
    /// A rebill in doubt: retrieve by its order id.
    Retrieve(Retrieve),
    /// A delete in doubt: look the token up.
    Lookup(TokenLookup),
}

/// A parsed outcome to apply to a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenOutcome {
    /// A rebill succeeded: the request sent and the gateway's answer.
    Rebilled {
        /// What was sent.
        request: Box<TokenRebill>,
        /// What the gateway answered.
        answer: Box<Rebilled>,
    },
    /// The delete succeeded.
    Deleted(TokenDeleted),
    /// A look-up answered.
    Shown(TokenShown),
    /// A retrieve by the order id of a rebill in doubt answered.
    Retrieved {
        /// The gateway's answer.
        answer: Retrieved,
        /// When it answered (the caller's clock).
        at: Timestamp,
    },
    /// The gateway declined the command: nothing changed.
    Declined(GatewayError),
    /// The command may or may not have been applied.
    Ambiguous {
        /// The command.
        command: TokenCommand,
        /// When it was sent (the caller's clock).
        at: Timestamp,
    },
}

/// A token command or outcome that does not fit. Nothing changes, nothing is sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenRefusal {
    /// The token was deleted.
    #[error("the stored card was deleted: it cannot be charged or deleted again")]
    Deleted,
    /// A command's outcome is unknown: reconcile first.
    #[error("the stored card's last command is in doubt: reconcile before anything else")]
    InDoubt,
    /// There is nothing to reconcile.
    #[error("nothing is in doubt")]
    NothingInDoubt,
    /// The amount does not fit the currency.
    #[error("invalid amount: {0}")]
    Amount(String),
    /// The gateway's answer does not fit the command.
    #[error("the gateway's answer does not fit: {0}")]
    Mismatch(String),
    /// The payment the answer describes cannot be built.
    #[error("the rebilled payment: {0}")]
    Payment(#[from] PaymentRefusal),
}

/// One stored card.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Token {
    token_id: TokenId,
    status: TokenStatus,
    in_doubt: Option<TokenCommand>,
    lang: Lang,
    /// The grace policy for a `NONE` after an ambiguous call, and what it has heard
    /// (stored as the fields `not_found` and `grace`).
    #[cfg_attr(feature = "serde", serde(flatten))]
    watch: NotFoundWatch,
}

impl Token {
    /// An active stored card.
    pub fn new(token_id: TokenId, lang: Lang) -> Self {
        Token {
            token_id,
            status: TokenStatus::Active,
            in_doubt: None,
            lang,
            watch: NotFoundWatch::default(),
        }
    }

    /// The stored card a (verified) payment notification left (`token_id` / `tokenID`).
    pub fn from_notification(
        notification: &Notification<'_>,
        lang: Lang,
    ) -> Result<Self, NotificationError> {
        if !notification.is_success() {
            return Err(NotificationError::NotSuccessful(
                notification
                    .rescode()
                    .map(|c| c.as_str().to_owned())
                    .unwrap_or_default(),
            ));
        }
        let token_id = notification
            .token_id()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(NotificationError::MissingField("token_id"))?;
        Ok(Token::new(TokenId::new(token_id), lang))
    }

    /// The card's id.
    pub fn token_id(&self) -> &TokenId {
        &self.token_id
    }

    /// Where it stands: `NeedsReconcile` while a command is in doubt.
    pub fn status(&self) -> TokenStatus {
        match (self.status, &self.in_doubt) {
            (TokenStatus::Active, Some(_)) => TokenStatus::NeedsReconcile,
            (status, _) => status,
        }
    }

    /// The command in doubt, if any.
    pub fn in_doubt(&self) -> Option<&TokenCommand> {
        self.in_doubt.as_ref()
    }

    fn check_usable(&self) -> Result<(), TokenRefusal> {
        if self.in_doubt.is_some() {
            return Err(TokenRefusal::InDoubt);
        }
        if self.status == TokenStatus::Deleted {
            return Err(TokenRefusal::Deleted);
        }
        Ok(())
    }

    /// A rebill: a new payment of `amount` under a new `order_id`. Refused when deleted or
    /// in doubt, and for an amount that does not fit the currency.
    pub fn rebill(
        &self,
        order_id: OrderId,
        currency: Currency,
        amount: Amount,
        products: Vec<Line>,
    ) -> Result<TokenRebill, TokenRefusal> {
        self.check_usable()?;
        amount
            .check_currency(&currency)
            .map_err(|e| TokenRefusal::Amount(e.to_string()))?;
        if amount.value() <= rust_decimal::Decimal::ZERO {
            return Err(TokenRefusal::Amount("must be more than zero".to_owned()));
        }
        Ok(TokenRebill {
            token_id: self.token_id.clone(),
            order_id,
            currency,
            amount,
            products,
        })
    }

    /// The delete call (irreversible).
    pub fn delete(&self) -> Result<TokenDelete, TokenRefusal> {
        self.check_usable()?;
        Ok(TokenDelete {
            token_id: self.token_id.clone(),
        })
    }

    /// The look-up call (always allowed).
    pub fn lookup(&self) -> TokenLookup {
        TokenLookup {
            token_id: self.token_id.clone(),
        }
    }

    /// The call that settles the command in doubt.
    pub fn reconcile(&self) -> Result<TokenReconcile, TokenRefusal> {
        match &self.in_doubt {
            // A read is never held in doubt.
            None | Some(TokenCommand::Lookup) => Err(TokenRefusal::NothingInDoubt),
            Some(TokenCommand::Delete) => Ok(TokenReconcile::Lookup(self.lookup())),
            Some(TokenCommand::Rebill {
                order_id,
                currency,
                amount,
            }) => Ok(TokenReconcile::Retrieve(Retrieve {
                key_field: KeyField::OrderId,
                order_id: order_id.clone(),
                transaction_id: None,
                currency: currency.clone(),
                amount: amount.clone(),
                lang: self.lang.clone(),
            })),
        }
    }

    /// Applies an outcome: a call's answer (the payment a rebill made, or a retrieve found,
    /// is in the event: [`TokenEvent::payment`]). On error nothing changes.
    pub fn apply(&mut self, outcome: TokenOutcome) -> Result<TokenTransition, TokenRefusal> {
        let from = self.status();
        let event = self.apply_outcome(outcome)?;
        Ok(Transition {
            from,
            to: self.status(),
            event,
        })
    }

    fn apply_outcome(&mut self, outcome: TokenOutcome) -> Result<TokenEvent, TokenRefusal> {
        match outcome {
            TokenOutcome::Declined(error) => Ok(TokenEvent::Declined {
                rescode: error.rescode.as_str().to_owned(),
            }),
            TokenOutcome::Ambiguous { command, at } => {
                if !command.opens_doubt() {
                    return Ok(TokenEvent::OutcomeUnknown);
                }
                self.check_usable()?;
                self.in_doubt = Some(command);
                self.watch.start(at);
                Ok(TokenEvent::OutcomeUnknown)
            }
            TokenOutcome::Rebilled { request, answer } => {
                self.check_usable()?;
                if request.token_id != self.token_id {
                    return Err(TokenRefusal::Mismatch("another stored card".into()));
                }
                let echoed =
                    crate::money::Amount::from_gateway(answer.amount.as_str(), &request.currency)
                        .map_err(|e| TokenRefusal::Mismatch(format!("amount: {e}")))?;
                if echoed.value() != request.amount.value()
                    || answer
                        .order_id
                        .as_ref()
                        .is_some_and(|o| *o != request.order_id)
                    || answer
                        .currency
                        .as_ref()
                        .is_some_and(|c| *c != request.currency)
                {
                    return Err(TokenRefusal::Mismatch(
                        "the answer is for another order or amount".into(),
                    ));
                }
                let request = *request;
                let payment = Payment::captured(
                    answer.transaction_id.clone(),
                    request.order_id,
                    request.currency,
                    request.amount,
                    self.lang.clone(),
                )
                .map_err(|e| TokenRefusal::Payment(e.into()))?;
                Ok(TokenEvent::Rebilled {
                    payment: Box::new(payment),
                })
            }
            TokenOutcome::Deleted(deleted) => {
                if deleted.token_id != self.token_id {
                    return Err(TokenRefusal::Mismatch("another stored card".into()));
                }
                if self.status == TokenStatus::Deleted {
                    return Err(TokenRefusal::Deleted);
                }
                self.status = TokenStatus::Deleted;
                self.in_doubt = None;
                self.watch.clear();
                Ok(TokenEvent::Deleted)
            }
            TokenOutcome::Shown(shown) => {
                if shown.token_id != self.token_id {
                    return Err(TokenRefusal::Mismatch("another stored card".into()));
                }
                if !shown.is_active() {
                    self.status = TokenStatus::Deleted;
                }
                // Known and active after a delete in doubt: the delete did not happen.
                if self.in_doubt == Some(TokenCommand::Delete) {
                    self.in_doubt = None;
                    self.watch.clear();
                }
                Ok(TokenEvent::Shown)
            }
            TokenOutcome::Retrieved { answer, at } => self.apply_retrieved(answer, at),
        }
    }

    /// A retrieve's answer for the rebill in doubt: the payment it found, or — on `NONE` —
    /// nothing yet: the rebill leaves doubt (the card may be charged again) only once the
    /// grace policy is met.
    fn apply_retrieved(
        &mut self,
        retrieved: Retrieved,
        at: Timestamp,
    ) -> Result<TokenEvent, TokenRefusal> {
        let Some(TokenCommand::Rebill {
            order_id,
            currency,
            amount,
        }) = self.in_doubt.clone()
        else {
            return Err(TokenRefusal::NothingInDoubt);
        };
        if retrieved.order_id.as_ref().is_some_and(|o| *o != order_id) {
            return Err(TokenRefusal::Mismatch("another order".into()));
        }
        match retrieved.status {
            RemoteStatus::None => {
                // Not found is not "never made": only the grace policy releases the rebill.
                if self.watch.judge(at) != NotFoundVerdict::NeverMade {
                    return Ok(TokenEvent::StillInDoubt);
                }
                self.in_doubt = None;
                self.watch.clear();
                Ok(TokenEvent::NeverMade)
            }
            RemoteStatus::Sale => {
                let transaction_id = retrieved
                    .transaction_id
                    .clone()
                    .ok_or_else(|| TokenRefusal::Mismatch("no transaction id".into()))?;
                let mut payment = Payment::captured(
                    transaction_id,
                    order_id,
                    currency,
                    amount,
                    self.lang.clone(),
                )
                .map_err(|e| TokenRefusal::Payment(e.into()))?;
                // The retrieve also says what was refunded since.
                payment.apply(PaymentOutcome::Retrieved(retrieved))?;
                self.in_doubt = None;
                self.watch.clear();
                Ok(TokenEvent::Found {
                    payment: Box::new(payment),
                })
            }
            other => Err(TokenRefusal::Mismatch(format!(
                "a rebilled payment cannot be {}",
                other.as_str()
            ))),
        }
    }
}

impl StateMachine for Token {
    type Status = TokenStatus;
    type Event = TokenEvent;
    /// The command and when it was sent (the caller's clock): a rebill or delete whose
    /// outcome is unknown is in doubt from then.
    type Command = (TokenCommand, Timestamp);
    type Answer = TokenOutcome;
    type Refusal = TokenRefusal;

    fn status(&self) -> TokenStatus {
        Token::status(self)
    }

    /// An answer is applied, a decline changes nothing, an unknown outcome of a rebill or a
    /// delete puts it in doubt (from when it was sent); a rejected request or a safe failure
    /// changes nothing.
    fn absorb(
        &mut self,
        (command, at): (TokenCommand, Timestamp),
        finished: Finished<TokenOutcome>,
    ) -> Result<TokenTransition, TokenRefusal> {
        let status = self.status();
        let unchanged = |event| Transition {
            from: status,
            to: status,
            event,
        };
        match finished {
            Finished::Done(outcome) => self.apply(outcome),
            Finished::Declined(error) => self.apply(TokenOutcome::Declined(error)),
            Finished::OutcomeUnknown => self.apply(TokenOutcome::Ambiguous { command, at }),
            Finished::Rejected(error) => Ok(unchanged(TokenEvent::Rejected {
                rescode: error.rescode.as_str().to_owned(),
            })),
            Finished::FailedSafely => Ok(unchanged(TokenEvent::FailedSafely)),
        }
    }
}

impl AwaitsNotFound for Token {
    fn watch(&self) -> &NotFoundWatch {
        &self.watch
    }

    fn watch_mut(&mut self) -> &mut NotFoundWatch {
        &mut self.watch
    }
}
