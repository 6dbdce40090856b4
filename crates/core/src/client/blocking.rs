//! The blocking facade: every method is the machine's command, a blocking send, and
//! [`absorb`] (its async twin is [`AsyncClient`](super::AsyncClient)).

use std::time::Duration;

use super::{Settings, absorb, rebill_command, rebilled};
use crate::authentication::{
    AuthenticationCommand, AuthenticationOutcome, AuthenticationTransition, PayerAuthentication,
};
use crate::client_error::ClientError;
use crate::codes::TransactionType;
use crate::config::Config;
use crate::drive::{SyncHttpClient, send_blocking};
use crate::ids::OrderId;
use crate::machine::Applied;
use crate::money::{Amount, Currency};
use crate::ops::cancel::Refunded;
use crate::ops::capture::Captured;
use crate::ops::confirm::Confirmed;
use crate::ops::recurring_adjust::RecurringAdjusted;
use crate::ops::recurring_terminate::RecurringTerminated;
use crate::ops::retrieve::Retrieved;
use crate::ops::token_delete::TokenDeleted;
use crate::ops::token_lookup::TokenShown;
use crate::ops::token_rebill::Rebilled;
use crate::ops::{Line, MerchantParams, Operation};
use crate::payment::{Payment, PaymentCommand, PaymentOutcome, PaymentTransition};
use crate::recurring::{Recurring, RecurringOutcome, RecurringTransition};
use crate::retry::Backoff;
use crate::time::Timestamp;
use crate::token::{Token, TokenCommand, TokenOutcome, TokenReconcile, TokenTransition};

/// A blocking client over any [`SyncHttpClient`].
#[derive(Debug)]
pub struct BlockingClient<H> {
    http: H,
    settings: Settings,
    sleep: fn(Duration),
}

impl<H: SyncHttpClient> BlockingClient<H> {
    /// A client sending through `http`, sleeping between retries with `sleep`
    /// (`std::thread::sleep` in production, a recorder in tests).
    pub fn new(http: H, cfg: Config, sleep: fn(Duration)) -> Self {
        BlockingClient {
            http,
            settings: Settings::new(cfg),
            sleep,
        }
    }

    /// Replaces the default backoff (3 attempts, 200 ms doubling to 5 s).
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.settings.backoff = backoff;
        self
    }

    /// Seeds the retry jitter.
    pub fn with_jitter_seed(mut self, seed: u64) -> Self {
        self.settings.seed = seed;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.settings.cfg
    }

    /// The HTTP client.
    pub fn http(&self) -> &H {
        &self.http
    }

    /// Sends any operation and parses its result.
    pub fn send<O: Operation>(&self, op: &O) -> Result<O::Output, ClientError> {
        let policy = self.settings.policy();
        send_blocking(&self.http, &self.settings.cfg, op, &policy, self.sleep)
    }

    /// Captures an authorized payment.
    pub fn capture(
        &self,
        payment: &mut Payment,
    ) -> Result<Applied<Captured, PaymentTransition>, ClientError> {
        let op = payment.capture().map_err(ClientError::not_sent)?;
        let result = self.send(&op);
        absorb(
            payment,
            PaymentCommand::Capture,
            result,
            PaymentOutcome::Captured,
        )
    }

    /// Refunds everything still refundable (voids an uncaptured authorization).
    /// `command_key` identifies this refund: a retry with the same key reuses its
    /// `refund_id`.
    pub fn refund_full(
        &self,
        payment: &mut Payment,
        command_key: &str,
        reason: Option<&str>,
    ) -> Result<Applied<Refunded, PaymentTransition>, ClientError> {
        let op = payment
            .refund_full(command_key, reason)
            .map_err(ClientError::not_sent)?;
        let result = self.send(&op);
        absorb(
            payment,
            PaymentCommand::of_cancel(&op),
            result,
            PaymentOutcome::Refunded,
        )
    }

    /// Refunds part of a captured payment; more than the balance is refused before
    /// sending.
    pub fn refund_partial(
        &self,
        payment: &mut Payment,
        amount: Amount,
        command_key: &str,
        reason: Option<&str>,
    ) -> Result<Applied<Refunded, PaymentTransition>, ClientError> {
        let op = payment
            .refund_partial(amount, command_key, reason)
            .map_err(ClientError::not_sent)?;
        let result = self.send(&op);
        absorb(
            payment,
            PaymentCommand::of_cancel(&op),
            result,
            PaymentOutcome::Refunded,
        )
    }

    /// Retrieves the payment from the gateway and applies its true state.
    pub fn reconcile(
        &self,
        payment: &mut Payment,
    ) -> Result<Applied<Retrieved, PaymentTransition>, ClientError> {
        let result = self.send(&payment.reconcile());
        absorb(
            payment,
            PaymentCommand::Reconcile,
            result,
            PaymentOutcome::Retrieved,
        )
    }

    /// Looks the payment up with the legacy `QUERY` (DirectProcessor; needs the secret
    /// key) and applies its true state: the reconcile of merchants on the legacy
    /// payment window, interchangeable with [`reconcile`](Self::reconcile).
    pub fn reconcile_by_query(
        &self,
        payment: &mut Payment,
    ) -> Result<Applied<Retrieved, PaymentTransition>, ClientError> {
        let result = self.send(&payment.reconcile_by_query());
        absorb(
            payment,
            PaymentCommand::Reconcile,
            result,
            PaymentOutcome::Retrieved,
        )
    }

    /// Confirms a payer authentication (`PAYMENT_PA` or `AUTHORIZE_PA`, for its amount
    /// and currency): the new payment is in the transition's event
    /// ([`AuthenticationEvent::payment`](crate::authentication::AuthenticationEvent::payment)).
    /// `now` is the caller's clock when sending. After an ambiguous outcome the
    /// authentication is in `NeedsReconcile`: call `reconcile_authentication`.
    pub fn confirm(
        &self,
        authentication: &mut PayerAuthentication,
        transaction_type: TransactionType,
        now: Timestamp,
    ) -> Result<Applied<Confirmed, AuthenticationTransition>, ClientError> {
        let op = authentication
            .confirm(
                transaction_type,
                authentication.currency(),
                authentication.amount(),
            )
            .map_err(ClientError::not_sent)?;
        let result = self.send(&op);
        let command = (AuthenticationCommand::Confirm, now);
        absorb(
            authentication,
            command,
            result,
            AuthenticationOutcome::Confirmed,
        )
    }

    /// After an ambiguous confirm: retrieves by order id (`now`: the caller's clock) and
    /// applies what the gateway has — the payment (event `Found`), or nothing yet. On
    /// `NONE` the authentication is `Authenticated` again (event `NeverMade`: confirm it
    /// again) only once its grace policy for `NONE` is met; until then it stays
    /// `NeedsReconcile` (event `StillInDoubt`): retrieve again later (`not_found()` says
    /// when a `NONE` counts).
    pub fn reconcile_authentication(
        &self,
        authentication: &mut PayerAuthentication,
        now: Timestamp,
    ) -> Result<Applied<Retrieved, AuthenticationTransition>, ClientError> {
        let result = self.send(&authentication.reconcile());
        let command = (AuthenticationCommand::Reconcile, now);
        absorb(authentication, command, result, |answer| {
            AuthenticationOutcome::Retrieved { answer, at: now }
        })
    }

    /// Charges a stored card: a new, captured payment under `order_id`, in the
    /// transition's event ([`TokenEvent::payment`](crate::token::TokenEvent::payment));
    /// `now` is the caller's clock when sending. After an ambiguous outcome the token holds
    /// the rebill in doubt: call `reconcile_token` (a retrieve by `order_id`), never rebill
    /// again blindly.
    pub fn rebill(
        &self,
        token: &mut Token,
        order_id: OrderId,
        amount: Amount,
        currency: Currency,
        products: Vec<Line>,
        now: Timestamp,
    ) -> Result<Applied<Rebilled, TokenTransition>, ClientError> {
        let op = token
            .rebill(order_id, currency, amount, products)
            .map_err(ClientError::not_sent)?;
        let result = self.send(&op);
        absorb(token, (rebill_command(&op), now), result, rebilled(&op))
    }

    /// Deletes a stored card (irreversible); `now` is the caller's clock when sending.
    /// After an ambiguous outcome: `reconcile_token` (a look-up).
    pub fn delete_token(
        &self,
        token: &mut Token,
        now: Timestamp,
    ) -> Result<Applied<TokenDeleted, TokenTransition>, ClientError> {
        let op = token.delete().map_err(ClientError::not_sent)?;
        let result = self.send(&op);
        absorb(
            token,
            (TokenCommand::Delete, now),
            result,
            TokenOutcome::Deleted,
        )
    }

    /// Looks a stored card up, and applies what the gateway says of it; `now` is the
    /// caller's clock.
    pub fn lookup_token(
        &self,
        token: &mut Token,
        now: Timestamp,
    ) -> Result<Applied<TokenShown, TokenTransition>, ClientError> {
        let result = self.send(&token.lookup());
        absorb(
            token,
            (TokenCommand::Lookup, now),
            result,
            TokenOutcome::Shown,
        )
    }

    /// Settles the stored card's command in doubt (`now`: the caller's clock): the
    /// payment a rebill made (event `Found`), or nothing yet. After a rebill, `NONE` takes
    /// it out of doubt (event `NeverMade`: the card may be charged again) only once the
    /// token's grace policy for `NONE` is met; until then `in_doubt()` still holds it
    /// (event `StillInDoubt`): retrieve again later.
    pub fn reconcile_token(
        &self,
        token: &mut Token,
        now: Timestamp,
    ) -> Result<TokenTransition, ClientError> {
        let command = (TokenCommand::Lookup, now);
        let applied = match token.reconcile().map_err(ClientError::not_sent)? {
            TokenReconcile::Retrieve(op) => {
                let result = self.send(&op);
                absorb(token, command, result, |answer| TokenOutcome::Retrieved {
                    answer,
                    at: now,
                })?
                .transition
            }
            TokenReconcile::Lookup(op) => {
                let result = self.send(&op);
                absorb(token, command, result, TokenOutcome::Shown)?.transition
            }
        };
        Ok(applied)
    }

    /// Terminates a recurring payment (`RC_TERMINATE`).
    pub fn terminate_recurring(
        &self,
        recurring: &mut Recurring,
        params: MerchantParams,
    ) -> Result<Applied<RecurringTerminated, RecurringTransition>, ClientError> {
        let op = recurring.terminate(params).map_err(ClientError::not_sent)?;
        let result = self.send(&op);
        absorb(recurring, (), result, RecurringOutcome::from)
    }

    /// Changes a recurring payment's amount (`RC_ADJUST`); refused on the charge day
    /// (KST).
    pub fn adjust_recurring(
        &self,
        recurring: &mut Recurring,
        amount: Amount,
        now: Timestamp,
        params: MerchantParams,
    ) -> Result<Applied<RecurringAdjusted, RecurringTransition>, ClientError> {
        let op = recurring
            .adjust(amount, now, params)
            .map_err(ClientError::not_sent)?;
        let result = self.send(&op);
        absorb(recurring, (), result, RecurringOutcome::from)
    }
}
