//! The blocking facade: [`BlockingClient::call`] is a machine's two halves with a blocking
//! send between them, and every named method is one `call` (its async twin is
//! [`AsyncClient`](super::AsyncClient)).

use std::time::Duration;

use super::{Output, Settings, absorb};
use crate::ask;
use crate::authentication::{AuthenticationTransition, PayerAuthentication};
use crate::client_error::{ClientError, Refusal};
use crate::codes::TransactionType;
use crate::config::Config;
use crate::drive::{SyncHttpClient, send_blocking};
use crate::ids::OrderId;
use crate::machine::{Applied, Ask, StateMachine, TransitionOf};
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
use crate::payment::{Payment, PaymentTransition};
use crate::recurring::{Recurring, RecurringTransition};
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

    /// Asks `machine` for what `ask` calls for: produces the operation (a refusal is
    /// [`ClientError::Machine`] with `sent: false`, and nothing is sent), sends it, and
    /// absorbs how the call finished ([`absorb`]).
    pub fn call<M, A>(
        &self,
        machine: &mut M,
        ask: A,
    ) -> Result<Applied<Output<A, M>, TransitionOf<M>>, ClientError>
    where
        M: StateMachine,
        M::Refusal: Into<Refusal>,
        A: Ask<M>,
        Output<A, M>: Clone,
    {
        let (op, command) = machine.produce(&ask).map_err(ClientError::not_sent)?;
        let result = self.send(&op);
        absorb(machine, command, result, |answer| ask.read(&op, answer))
    }

    /// Captures an authorized payment.
    pub fn capture(
        &self,
        payment: &mut Payment,
    ) -> Result<Applied<Captured, PaymentTransition>, ClientError> {
        self.call(payment, ask::Capture)
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
        self.call(
            payment,
            ask::RefundFull {
                command_key,
                reason,
            },
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
        let ask = ask::RefundPartial {
            amount,
            command_key,
            reason,
        };
        self.call(payment, ask)
    }

    /// Retrieves the payment from the gateway and applies its true state.
    pub fn reconcile(
        &self,
        payment: &mut Payment,
    ) -> Result<Applied<Retrieved, PaymentTransition>, ClientError> {
        self.call(payment, ask::Reconcile)
    }

    /// Looks the payment up with the legacy `QUERY` (DirectProcessor; needs the secret
    /// key) and applies its true state: the reconcile of merchants on the legacy
    /// payment window, interchangeable with [`reconcile`](Self::reconcile).
    pub fn reconcile_by_query(
        &self,
        payment: &mut Payment,
    ) -> Result<Applied<Retrieved, PaymentTransition>, ClientError> {
        self.call(payment, ask::ReconcileByQuery)
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
        let ask = ask::Confirm {
            transaction_type,
            now,
        };
        self.call(authentication, ask)
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
        self.call(authentication, ask::ReconcileAuthentication { now })
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
        let ask = ask::Rebill {
            order_id,
            amount,
            currency,
            products,
            now,
        };
        self.call(token, ask)
    }

    /// Deletes a stored card (irreversible); `now` is the caller's clock when sending.
    /// After an ambiguous outcome: `reconcile_token` (a look-up).
    pub fn delete_token(
        &self,
        token: &mut Token,
        now: Timestamp,
    ) -> Result<Applied<TokenDeleted, TokenTransition>, ClientError> {
        self.call(token, ask::DeleteToken { now })
    }

    /// Looks a stored card up, and applies what the gateway says of it; `now` is the
    /// caller's clock.
    pub fn lookup_token(
        &self,
        token: &mut Token,
        now: Timestamp,
    ) -> Result<Applied<TokenShown, TokenTransition>, ClientError> {
        self.call(token, ask::LookupToken { now })
    }

    /// Settles the stored card's command in doubt (`now`: the caller's clock): the
    /// payment a rebill made (event `Found`), or nothing yet. After a rebill, `NONE` takes
    /// it out of doubt (event `NeverMade`: the card may be charged again) only once the
    /// token's grace policy for `NONE` is met; until then `in_doubt()` still holds it
    /// (event `StillInDoubt`): retrieve again later. Its call depends on what is in doubt
    /// (a retrieve or a look-up), so it returns the transition without an answer.
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
        self.call(recurring, ask::TerminateRecurring { params })
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
        let ask = ask::AdjustRecurring {
            amount,
            now,
            params,
        };
        self.call(recurring, ask)
    }
}
