//! A stored card (token billing) and its small lifecycle.
//!
//! ```text
//!          rebill (a new, captured Payment each time)
//! Active ──────────────────────────────────────────▶ Active
//!   │  └── rebill outcome unknown ──▶ in doubt ── retrieve by order_id ──▶ Active (+ Payment, or none made)
//!   │                                  ▲    │ NONE before the grace policy is met
//!   │                                  └────┘
//!   └── delete ──▶ Deleted (for good)
//!        └── outcome unknown ──▶ in doubt ── look-up ──▶ Active or Deleted
//! ```
//!
//! A payment made with token creation (`Ready::token_creation`) leaves a `token_id` in its
//! notification ([`Token::from_notification`]). Every command checks the state and hands
//! back the operation to send; [`Token::apply`] takes the parsed outcome. While a command's
//! outcome is unknown only its reconcile call is allowed ([`Token::reconcile`]): a rebill
//! has no transaction id until it answers, so it is found by its order id. A `NONE` answer is
//! not proof that the rebill charged nothing: the rebill stays in doubt until the token's
//! [`NotFoundGrace`] policy is met ([`crate::not_found`]), and only then may the card be
//! charged again.

use crate::codes::{Lang, RemoteStatus};
use crate::ids::{OrderId, TokenId};
use crate::money::{Amount, Currency};
use crate::not_found::{NotFoundDoubt, NotFoundGrace, NotFoundVerdict};
use crate::notification::{Notification, NotificationError};
use crate::ops::Line;
use crate::ops::retrieve::{KeyField, Retrieve, Retrieved};
use crate::ops::token_delete::{TokenDelete, TokenDeleted};
use crate::ops::token_lookup::{TokenLookup, TokenShown};
use crate::ops::token_rebill::{Rebilled, TokenRebill};
use crate::payment::{InvalidTransition, Payment, PaymentOutcome};
use crate::time::Timestamp;

/// Where a stored card stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum TokenStatus {
    /// It can be charged.
    Active,
    /// Deleted: it can never be charged again.
    Deleted,
}

/// A token command whose outcome is unknown.
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
}

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
    Declined,
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
pub enum InvalidTokenCommand {
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
    Payment(#[from] InvalidTransition),
}

impl InvalidTokenCommand {
    /// Whether this refusal came before anything was sent (rather than from an answer).
    pub fn before_sending(&self) -> bool {
        matches!(
            self,
            InvalidTokenCommand::Deleted
                | InvalidTokenCommand::InDoubt
                | InvalidTokenCommand::NothingInDoubt
                | InvalidTokenCommand::Amount(_)
        )
    }
}

/// One stored card.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Token {
    token_id: TokenId,
    status: TokenStatus,
    in_doubt: Option<TokenCommand>,
    lang: Lang,
    /// While a command is in doubt: when it was sent and the `NONE` answers counted since.
    /// Absent in records stored before it was kept.
    #[cfg_attr(feature = "serde", serde(default))]
    not_found: NotFoundDoubt,
    /// When a `NONE` may be read as "the rebill made nothing".
    #[cfg_attr(feature = "serde", serde(default))]
    grace: NotFoundGrace,
}

impl Token {
    /// An active stored card.
    pub fn new(token_id: TokenId, lang: Lang) -> Self {
        Token {
            token_id,
            status: TokenStatus::Active,
            in_doubt: None,
            lang,
            not_found: NotFoundDoubt::default(),
            grace: NotFoundGrace::default(),
        }
    }

    /// Replaces the grace policy for a retrieve's `NONE` after an ambiguous rebill (default
    /// [`NotFoundGrace::CONSERVATIVE`]).
    pub fn with_not_found_grace(mut self, grace: NotFoundGrace) -> Self {
        self.grace = grace;
        self
    }

    /// The grace policy for a retrieve's `NONE`.
    pub fn not_found_grace(&self) -> NotFoundGrace {
        self.grace
    }

    /// While a command is in doubt: when it was sent, and how many `NONE` answers have
    /// counted since.
    pub fn not_found(&self) -> &NotFoundDoubt {
        &self.not_found
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

    /// Where it stands.
    pub fn status(&self) -> TokenStatus {
        self.status
    }

    /// The command in doubt, if any.
    pub fn in_doubt(&self) -> Option<&TokenCommand> {
        self.in_doubt.as_ref()
    }

    fn check_usable(&self) -> Result<(), InvalidTokenCommand> {
        if self.in_doubt.is_some() {
            return Err(InvalidTokenCommand::InDoubt);
        }
        if self.status == TokenStatus::Deleted {
            return Err(InvalidTokenCommand::Deleted);
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
    ) -> Result<TokenRebill, InvalidTokenCommand> {
        self.check_usable()?;
        amount
            .check_currency(&currency)
            .map_err(|e| InvalidTokenCommand::Amount(e.to_string()))?;
        if amount.value() <= rust_decimal::Decimal::ZERO {
            return Err(InvalidTokenCommand::Amount(
                "must be more than zero".to_owned(),
            ));
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
    pub fn delete(&self) -> Result<TokenDelete, InvalidTokenCommand> {
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
    pub fn reconcile(&self) -> Result<TokenReconcile, InvalidTokenCommand> {
        match &self.in_doubt {
            None => Err(InvalidTokenCommand::NothingInDoubt),
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

    /// Applies an outcome: `Ok(Some(payment))` when a rebill made (or a retrieve found) a
    /// payment. On error nothing changes.
    pub fn apply(&mut self, outcome: TokenOutcome) -> Result<Option<Payment>, InvalidTokenCommand> {
        match outcome {
            TokenOutcome::Declined => Ok(None),
            TokenOutcome::Ambiguous { command, at } => {
                self.check_usable()?;
                self.in_doubt = Some(command);
                self.not_found = NotFoundDoubt::since(at);
                Ok(None)
            }
            TokenOutcome::Rebilled { request, answer } => {
                self.check_usable()?;
                if request.token_id != self.token_id {
                    return Err(InvalidTokenCommand::Mismatch("another stored card".into()));
                }
                let echoed =
                    crate::money::Amount::from_gateway(answer.amount.as_str(), &request.currency)
                        .map_err(|e| InvalidTokenCommand::Mismatch(format!("amount: {e}")))?;
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
                    return Err(InvalidTokenCommand::Mismatch(
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
                .map_err(|e| InvalidTokenCommand::Payment(e.into()))?;
                Ok(Some(payment))
            }
            TokenOutcome::Deleted(deleted) => {
                if deleted.token_id != self.token_id {
                    return Err(InvalidTokenCommand::Mismatch("another stored card".into()));
                }
                if self.status == TokenStatus::Deleted {
                    return Err(InvalidTokenCommand::Deleted);
                }
                self.status = TokenStatus::Deleted;
                self.in_doubt = None;
                self.not_found = NotFoundDoubt::default();
                Ok(None)
            }
            TokenOutcome::Shown(shown) => {
                if shown.token_id != self.token_id {
                    return Err(InvalidTokenCommand::Mismatch("another stored card".into()));
                }
                if !shown.is_active() {
                    self.status = TokenStatus::Deleted;
                }
                // Known and active after a delete in doubt: the delete did not happen.
                if self.in_doubt == Some(TokenCommand::Delete) {
                    self.in_doubt = None;
                    self.not_found = NotFoundDoubt::default();
                }
                Ok(None)
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
    ) -> Result<Option<Payment>, InvalidTokenCommand> {
        let Some(TokenCommand::Rebill {
            order_id,
            currency,
            amount,
        }) = self.in_doubt.clone()
        else {
            return Err(InvalidTokenCommand::NothingInDoubt);
        };
        if retrieved.order_id.as_ref().is_some_and(|o| *o != order_id) {
            return Err(InvalidTokenCommand::Mismatch("another order".into()));
        }
        match retrieved.status {
            RemoteStatus::None => {
                // Not found is not "never made": only the grace policy releases the rebill.
                if self.grace.judge(&mut self.not_found, at) == NotFoundVerdict::NeverMade {
                    self.in_doubt = None;
                    self.not_found = NotFoundDoubt::default();
                }
                Ok(None)
            }
            RemoteStatus::Sale => {
                let transaction_id = retrieved
                    .transaction_id
                    .clone()
                    .ok_or_else(|| InvalidTokenCommand::Mismatch("no transaction id".into()))?;
                let mut payment = Payment::captured(
                    transaction_id,
                    order_id,
                    currency,
                    amount,
                    self.lang.clone(),
                )
                .map_err(|e| InvalidTokenCommand::Payment(e.into()))?;
                // The retrieve also says what was refunded since.
                payment.apply(PaymentOutcome::Retrieved(retrieved))?;
                self.in_doubt = None;
                self.not_found = NotFoundDoubt::default();
                Ok(Some(payment))
            }
            other => Err(InvalidTokenCommand::Mismatch(format!(
                "a rebilled payment cannot be {}",
                other.as_str()
            ))),
        }
    }
}
