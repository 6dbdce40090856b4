//! Client facades over any [`SyncHttpClient`] / [`AsyncHttpClient`]: one method per
//! command that checks the state, sends, and applies the outcome.
//!
//! ```text
//! client.capture(&mut payment)?                       -> Applied { transition, response: Captured }
//! client.refund_partial(&mut payment, amount, key, reason)?   -> Applied<Refunded>
//! client.reconcile(&mut payment)?                     (after ClientError::Ambiguous)
//! ```
//!
//! Every method returns the transition *and* the gateway's answer ([`Applied`]). After an
//! `Err` the payment is already in its new state — a decline changed nothing, an ambiguous
//! outcome moved it to `NeedsReconcile` — so persist it either way.
//!
//! The adapters (`eximbay-ureq`, `eximbay-async`) wrap these with their HTTP client, sleep
//! and jitter seed; any other client plugs in the same way. Sleep and the jitter seed are
//! injected: the core reads no clock and draws no random number.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::authentication::{ConfirmOutcome, InvalidConfirm, PayerAuthentication};
use crate::codes::TransactionType;
use crate::config::Config;
use crate::drive::{
    Applied, AsyncHttpClient, ClientError, RetryPolicy, SyncHttpClient, apply_payment_answer, send,
    send_blocking,
};
use crate::ids::OrderId;
use crate::money::Amount;
use crate::money::Currency;
use crate::ops::Line;
use crate::ops::cancel::Refunded;
use crate::ops::capture::Captured;
use crate::ops::confirm::Confirmed;
use crate::ops::recurring_adjust::RecurringAdjusted;
use crate::ops::recurring_terminate::RecurringTerminated;
use crate::ops::retrieve::Retrieved;
use crate::ops::token_delete::TokenDeleted;
use crate::ops::token_lookup::TokenShown;
use crate::ops::token_rebill::Rebilled;
use crate::ops::{MerchantParams, Operation};
use crate::payment::{Payment, PaymentCommand, PaymentOutcome};
use crate::recurring::{InvalidRecurringTransition, Recurring, RecurringTransition};
use crate::retry::Backoff;
use crate::time::Timestamp;
use crate::token::{InvalidTokenCommand, Token, TokenCommand, TokenOutcome, TokenReconcile};

/// What both facades share: configuration, backoff, and a per-call jitter seed.
#[derive(Debug)]
struct Settings {
    cfg: Config,
    backoff: Backoff,
    seed: u64,
    calls: AtomicU64,
}

impl Settings {
    fn new(cfg: Config) -> Self {
        Settings {
            cfg,
            backoff: Backoff::default(),
            seed: 0,
            calls: AtomicU64::new(0),
        }
    }

    /// Each call gets its own jitter, derived from the seed and a call counter.
    fn policy(&self) -> RetryPolicy {
        let call = self.calls.fetch_add(1, Ordering::Relaxed);
        RetryPolicy {
            backoff: self.backoff,
            jitter_seed: self.seed ^ call.wrapping_mul(0x9E37_79B9_7F4A_7C15),
        }
    }
}

fn recurring_error(error: InvalidRecurringTransition) -> ClientError {
    ClientError::InvalidRecurringCommand(error)
}

/// Applies the result of a recurring command and keeps the gateway's answer.
fn apply_recurring_result<T>(
    recurring: &mut Recurring,
    result: Result<T, ClientError>,
) -> Result<Applied<T, RecurringTransition>, ClientError>
where
    T: Clone + Into<crate::recurring::RecurringOutcome>,
{
    let response = result?;
    let transition = recurring
        .apply(response.clone().into())
        .map_err(recurring_error)?;
    Ok(Applied {
        transition,
        response,
    })
}

/// Applies the result of a confirm to the authentication: the payment on success, the
/// authentication moved to `NeedsReconcile` on an unknown outcome.
fn apply_confirm_result(
    authentication: &mut PayerAuthentication,
    result: Result<Confirmed, ClientError>,
    sent_at: Timestamp,
) -> Result<Applied<Confirmed, Payment>, ClientError> {
    let outcome = match &result {
        Ok(confirmed) => Some(ConfirmOutcome::Confirmed(confirmed.clone())),
        Err(ClientError::Declined(error)) => Some(ConfirmOutcome::Declined(error.clone())),
        Err(ClientError::Ambiguous { .. }) => Some(ConfirmOutcome::Ambiguous { at: sent_at }),
        // Nothing reached the gateway, or it refused the request: nothing to apply.
        Err(_) => None,
    };
    let applied = match outcome {
        Some(outcome) => authentication
            .apply(outcome)
            .map_err(ClientError::Confirm)?,
        None => None,
    };
    match (result, applied) {
        (Ok(response), Some(payment)) => Ok(Applied {
            transition: payment,
            response,
        }),
        (Ok(_), None) => Err(ClientError::Confirm(InvalidConfirm::Mismatch(
            "a confirmation without a payment".to_owned(),
        ))),
        (Err(error), _) => Err(error),
    }
}

/// A failed token command: a decline changes nothing, an unknown outcome puts `command`
/// (sent at `sent_at`) in doubt; the error is handed back.
fn token_failure(
    token: &mut Token,
    error: ClientError,
    command: TokenCommand,
    sent_at: Timestamp,
) -> ClientError {
    let outcome = match &error {
        ClientError::Declined(_) => TokenOutcome::Declined,
        ClientError::Ambiguous { .. } => TokenOutcome::Ambiguous {
            command,
            at: sent_at,
        },
        _ => return error,
    };
    match token.apply(outcome) {
        Ok(_) => error,
        Err(invalid) => ClientError::Token(invalid),
    }
}

/// The methods both facades share, written once: `$($async)?` and `$(.$await)?` make the
/// async facade's versions from the same bodies.
macro_rules! facade_methods {
    ($($async:ident)?; $(.$await:ident)?) => {
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

        /// Captures an authorized payment.
        pub $($async)? fn capture(&self, payment: &mut Payment) -> Result<Applied<Captured>, ClientError> {
            let op = payment.capture()?;
            let result = self.send(&op)$(.$await)?;
            apply_payment_answer(payment, result, PaymentCommand::Capture, PaymentOutcome::Captured)
        }

        /// Refunds everything still refundable (voids an uncaptured authorization).
        /// `command_key` identifies this refund: a retry with the same key reuses its
        /// `refund_id`.
        pub $($async)? fn refund_full(
            &self,
            payment: &mut Payment,
            command_key: &str,
            reason: Option<&str>,
        ) -> Result<Applied<Refunded>, ClientError> {
            let op = payment.refund_full(command_key, reason)?;
            let result = self.send(&op)$(.$await)?;
            apply_payment_answer(payment, result, PaymentCommand::of_cancel(&op), PaymentOutcome::Refunded)
        }

        /// Refunds part of a captured payment; more than the balance is refused before
        /// sending.
        pub $($async)? fn refund_partial(
            &self,
            payment: &mut Payment,
            amount: Amount,
            command_key: &str,
            reason: Option<&str>,
        ) -> Result<Applied<Refunded>, ClientError> {
            let op = payment.refund_partial(amount, command_key, reason)?;
            let result = self.send(&op)$(.$await)?;
            apply_payment_answer(payment, result, PaymentCommand::of_cancel(&op), PaymentOutcome::Refunded)
        }

        /// Retrieves the payment from the gateway and applies its true state.
        pub $($async)? fn reconcile(&self, payment: &mut Payment) -> Result<Applied<Retrieved>, ClientError> {
            let op = payment.reconcile();
            let result = self.send(&op)$(.$await)?;
            apply_payment_answer(payment, result, PaymentCommand::Reconcile, PaymentOutcome::Retrieved)
        }

        /// Looks the payment up with the legacy `QUERY` (DirectProcessor; needs the secret
        /// key) and applies its true state: the reconcile of merchants on the legacy
        /// payment window, interchangeable with [`reconcile`](Self::reconcile).
        pub $($async)? fn reconcile_by_query(&self, payment: &mut Payment) -> Result<Applied<Retrieved>, ClientError> {
            let op = payment.reconcile_by_query();
            let result = self.send(&op)$(.$await)?;
            apply_payment_answer(payment, result, PaymentCommand::Reconcile, PaymentOutcome::Retrieved)
        }

        /// Confirms a payer authentication (`PAYMENT_PA` or `AUTHORIZE_PA`, for its amount
        /// and currency): the new payment and the gateway's answer. `now` is the caller's
        /// clock when sending. After an ambiguous outcome the authentication is in
        /// `NeedsReconcile`: call `reconcile_authentication`.
        pub $($async)? fn confirm(
            &self,
            authentication: &mut PayerAuthentication,
            transaction_type: TransactionType,
            now: Timestamp,
        ) -> Result<Applied<Confirmed, Payment>, ClientError> {
            let op = authentication
                .confirm(transaction_type, &authentication.currency().clone(), &authentication.amount().clone())
                .map_err(ClientError::Confirm)?;
            let result = self.send(&op)$(.$await)?;
            apply_confirm_result(authentication, result, now)
        }

        /// After an ambiguous confirm: retrieves by order id (`now`: the caller's clock) and
        /// applies what the gateway has — the payment (`Some`), or `None`. On `None` the
        /// authentication is `Authenticated` again (confirm it again) only once its grace
        /// policy for `NONE` is met; until then it stays `NeedsReconcile`: retrieve again
        /// later (`not_found()` says when a `NONE` counts).
        pub $($async)? fn reconcile_authentication(
            &self,
            authentication: &mut PayerAuthentication,
            now: Timestamp,
        ) -> Result<Option<Payment>, ClientError> {
            let op = authentication.reconcile();
            let retrieved = self.send(&op)$(.$await)??;
            authentication
                .apply(ConfirmOutcome::Retrieved { answer: retrieved, at: now })
                .map_err(ClientError::Confirm)
        }

        /// Charges a stored card: a new, captured payment under `order_id`; `now` is the
        /// caller's clock when sending. After an ambiguous outcome the token holds the
        /// rebill in doubt: call `reconcile_token` (a retrieve by `order_id`), never rebill
        /// again blindly.
        pub $($async)? fn rebill(
            &self,
            token: &mut Token,
            order_id: OrderId,
            amount: Amount,
            currency: Currency,
            products: Vec<Line>,
            now: Timestamp,
        ) -> Result<Applied<Rebilled, Payment>, ClientError> {
            let op = token
                .rebill(order_id, currency, amount, products)
                .map_err(ClientError::Token)?;
            let result = self.send(&op)$(.$await)?;
            let command = TokenCommand::Rebill {
                order_id: op.order_id.clone(),
                currency: op.currency.clone(),
                amount: op.amount.clone(),
            };
            let answer = result.map_err(|error| token_failure(token, error, command, now))?;
            let payment = token
                .apply(TokenOutcome::Rebilled { request: Box::new(op), answer: Box::new(answer.clone()) })
                .map_err(ClientError::Token)?
                .ok_or(ClientError::Token(InvalidTokenCommand::Mismatch(
                    "a rebill without a payment".to_owned(),
                )))?;
            Ok(Applied { transition: payment, response: answer })
        }

        /// Deletes a stored card (irreversible); `now` is the caller's clock when sending.
        /// After an ambiguous outcome: `reconcile_token` (a look-up).
        pub $($async)? fn delete_token(&self, token: &mut Token, now: Timestamp) -> Result<TokenDeleted, ClientError> {
            let op = token.delete().map_err(ClientError::Token)?;
            let deleted = self
                .send(&op)$(.$await)?
                .map_err(|error| token_failure(token, error, TokenCommand::Delete, now))?;
            token
                .apply(TokenOutcome::Deleted(deleted.clone()))
                .map_err(ClientError::Token)?;
            Ok(deleted)
        }

        /// Looks a stored card up, and applies what the gateway says of it.
        pub $($async)? fn lookup_token(&self, token: &mut Token) -> Result<TokenShown, ClientError> {
            let shown = self.send(&token.lookup())$(.$await)??;
            token.apply(TokenOutcome::Shown(shown.clone())).map_err(ClientError::Token)?;
            Ok(shown)
        }

        /// Settles the stored card's command in doubt (`now`: the caller's clock): the
        /// payment a rebill made (`Some`), or `None`. After a rebill, `None` takes it out of
        /// doubt (the card may be charged again) only once the token's grace policy for
        /// `NONE` is met; until then `in_doubt()` still holds it: retrieve again later.
        pub $($async)? fn reconcile_token(&self, token: &mut Token, now: Timestamp) -> Result<Option<Payment>, ClientError> {
            let outcome = match token.reconcile().map_err(ClientError::Token)? {
                TokenReconcile::Retrieve(op) => TokenOutcome::Retrieved { answer: self.send(&op)$(.$await)??, at: now },
                TokenReconcile::Lookup(op) => TokenOutcome::Shown(self.send(&op)$(.$await)??),
            };
            token.apply(outcome).map_err(ClientError::Token)
        }

        /// Terminates a recurring payment (`RC_TERMINATE`).
        pub $($async)? fn terminate_recurring(
            &self,
            recurring: &mut Recurring,
            params: MerchantParams,
        ) -> Result<Applied<RecurringTerminated, RecurringTransition>, ClientError> {
            let op = recurring.terminate(params).map_err(recurring_error)?;
            let result = self.send(&op)$(.$await)?;
            apply_recurring_result(recurring, result)
        }

        /// Changes a recurring payment's amount (`RC_ADJUST`); refused on the charge day
        /// (KST).
        pub $($async)? fn adjust_recurring(
            &self,
            recurring: &mut Recurring,
            amount: Amount,
            now: Timestamp,
            params: MerchantParams,
        ) -> Result<Applied<RecurringAdjusted, RecurringTransition>, ClientError> {
            let op = recurring.adjust(amount, now, params).map_err(recurring_error)?;
            let result = self.send(&op)$(.$await)?;
            apply_recurring_result(recurring, result)
        }
    };
}

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

    /// Sends any operation and parses its result.
    pub fn send<O: Operation>(&self, op: &O) -> Result<O::Output, ClientError> {
        send_blocking(
            &self.http,
            &self.settings.cfg,
            op,
            &self.settings.policy(),
            self.sleep,
        )
    }

    facade_methods!(;);
}

/// An async client over any [`AsyncHttpClient`], with the runtime's sleep.
#[derive(Debug)]
pub struct AsyncClient<H, S> {
    http: H,
    settings: Settings,
    sleep: S,
}

impl<H, S, F> AsyncClient<H, S>
where
    H: AsyncHttpClient,
    S: Fn(Duration) -> F,
    F: Future<Output = ()>,
{
    /// A client sending through `http`, sleeping between retries with `sleep`
    /// (e.g. `tokio::time::sleep`).
    pub fn new(http: H, cfg: Config, sleep: S) -> Self {
        AsyncClient {
            http,
            settings: Settings::new(cfg),
            sleep,
        }
    }

    /// Sends any operation and parses its result.
    pub async fn send<O: Operation>(&self, op: &O) -> Result<O::Output, ClientError> {
        send(
            &self.http,
            &self.settings.cfg,
            op,
            &self.settings.policy(),
            &self.sleep,
        )
        .await
    }

    facade_methods!(async; .await);
}
