//! The operator's commands, carried out so that money is never moved twice or lost:
//!
//! 1. **written down** in the journal under the form's key before anything is sent (a
//!    resubmitted form finds its command there and gets its result, nothing more);
//! 2. **one at a time per order**: the command takes the order's lease (marking itself
//!    `sending` in the same transaction) and builds the request from the order as it is then;
//! 3. **sent** with the async adapter, which knows a safe failure from an unknown outcome;
//! 4. **applied to the order as it is after the call** — reloaded, compare-and-swapped, and
//!    the command finished in the same transaction — so a swap lost to a notification never
//!    loses a refund. An unknown outcome leaves the payment in `NeedsReconcile` and the
//!    sweeper settles it with the gateway; an instance that dies between 3 and 4 leaves the
//!    command `sending`, which the sweeper finds once its lease expires.
//!
//! Steps 3 and 4 are the core's machine shape split across the database: the command is
//! built and its call's finish kept (`send.rs`), then absorbed into the order as reloaded
//! (`carry_out`), as the client's facade absorbs it into a payment held in memory.

use std::time::{Duration, Instant};

use eximbay_core::{Amount, Finished, PaymentStatus, StateMachine};
use rust_decimal::Decimal;

use self::send::{Sent, send_to_payment, send_to_recurring};
use crate::order::Order;
use crate::shop::Shop;
use crate::store::{CommandRecord, Decision, Finish, NewCommand, StoreError};

/// How long a command holds its order's lease: longer than the adapter's timeouts and
/// retries together, so a live command never loses it.
pub const LEASE_SECONDS: i64 = 300;

/// What the operator asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Capture an authorization.
    Capture,
    /// Refund part of the payment.
    Refund(Amount),
    /// Refund everything still refundable (release an authorization).
    RefundFull,
    /// Refund everything still refundable of another payment of the order, by transaction
    /// id: the extra payment of a buyer who paid twice.
    RefundExtra(String),
    /// Ask the gateway for the payment's true state.
    Reconcile,
    /// Change the subscription's monthly amount.
    Adjust(Amount),
    /// End the subscription.
    Terminate,
}

impl Action {
    /// As journalled.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Capture => "capture",
            Action::Refund(_) => "refund",
            Action::RefundFull => "refund_full",
            Action::RefundExtra(_) => "refund_extra",
            Action::Reconcile => "reconcile",
            Action::Adjust(_) => "adjust",
            Action::Terminate => "terminate",
        }
    }

    fn amount(&self) -> Option<String> {
        match self {
            Action::Refund(a) | Action::Adjust(a) => Some(a.to_string()),
            _ => None,
        }
    }

    /// The payment it is about when not the order's first.
    fn transaction_id(&self) -> Option<&str> {
        match self {
            Action::RefundExtra(transaction_id) => Some(transaction_id),
            _ => None,
        }
    }
}

mod send;

/// A command's end, before it is written.
struct Ending {
    state: &'static str,
    message: String,
}

impl Ending {
    fn new(state: &'static str, message: impl Into<String>) -> Self {
        Ending {
            state,
            message: message.into(),
        }
    }

    fn finish(self, key: &str) -> Finish {
        Finish {
            command_key: key.to_owned(),
            state: self.state,
            message: self.message,
        }
    }
}

/// Why a command could not be carried out to its recorded end.
#[derive(Debug)]
pub enum RunError {
    /// The database failed before anything was sent: nothing reached the gateway.
    NotSent(StoreError),
    /// The gateway was called, then the database failed before its answer was recorded:
    /// the gateway may have done it. The command stays `sending` holding the order's lease
    /// until it is settled with the gateway ([`crate::reconcile::settle_command_later`],
    /// else the sweeper once the lease expires).
    Unrecorded(StoreError),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::NotSent(e) => write!(f, "nothing sent: {e}"),
            RunError::Unrecorded(e) => write!(f, "sent, answer not recorded: {e}"),
        }
    }
}

impl std::error::Error for RunError {}

impl From<StoreError> for RunError {
    fn from(e: StoreError) -> Self {
        RunError::NotSent(e)
    }
}

/// Runs one command given by `operator`; `key` is the form's. Returns the command as
/// journalled, finished.
pub async fn run(
    shop: &Shop,
    order_id: &str,
    key: &str,
    action: Action,
    reason: Option<&str>,
    operator: &str,
) -> Result<CommandRecord, RunError> {
    let amount = action.amount();
    let new = NewCommand {
        command_key: key,
        order_id,
        kind: action.kind(),
        amount: amount.as_deref(),
        reason,
        transaction_id: action.transaction_id(),
        operator: Some(operator),
    };
    if let Some(existing) = shop.store.journal(&new, shop.db_clock().await?).await? {
        // A resubmitted form: its command already ran (or is running). Nothing new is sent.
        return Ok(existing);
    }
    if !take_lease(shop, order_id, key, true).await? {
        let ending = Ending::new(
            "failed",
            "Another operation on this order took too long; nothing was sent. Try again.",
        );
        shop.store
            .finish_unchanged(order_id, &ending.finish(key), shop.db_clock().await?)
            .await?;
    } else {
        let by = Attribution { key, operator };
        let sent = carry_out(shop, order_id, by, &action, reason).await?;
        if sent {
            return shop
                .store
                .command(key)
                .await
                .and_then(|c| c.ok_or(StoreError::NotFound))
                .map_err(RunError::Unrecorded);
        }
    }
    Ok(shop.store.command(key).await?.ok_or(StoreError::NotFound)?)
}

/// Waits for the order's lease (another command on the same order is talking to the
/// gateway) up to the configured wait.
pub async fn take_lease(
    shop: &Shop,
    order_id: &str,
    holder: &str,
    journalled: bool,
) -> Result<bool, StoreError> {
    let deadline = Instant::now() + shop.settings.lease_wait;
    loop {
        let now = shop.db_clock().await?;
        if shop
            .store
            .take_lease(order_id, holder, journalled, now, now + LEASE_SECONDS)
            .await?
        {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        // Jittered, so waiting commands do not retry in lockstep.
        let jitter = u64::from(uuid::Uuid::new_v4().as_bytes()[0] % 20);
        tokio::time::sleep(Duration::from_millis(5 + jitter)).await;
    }
}

/// Holding the lease: build from the order as it is, send, apply to the order as it is then.
/// `Ok(true)` when the gateway was called.
async fn carry_out(
    shop: &Shop,
    order_id: &str,
    by: Attribution<'_>,
    action: &Action,
    reason: Option<&str>,
) -> Result<bool, RunError> {
    let key = by.key;
    let order = shop
        .store
        .order(order_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let result = match action {
        Action::Capture
        | Action::Refund(_)
        | Action::RefundFull
        | Action::RefundExtra(_)
        | Action::Reconcile => {
            let payment = match action.transaction_id() {
                Some(transaction_id) => order.payment_by_id(transaction_id),
                None => order.payment.as_ref(),
            };
            match payment {
                None => Err(Ending::new(
                    "refused",
                    "There is no such payment on this order; nothing was sent.",
                )),
                Some(payment) => send_to_payment(shop, payment, key, action, reason).await,
            }
        }
        Action::Adjust(_) | Action::Terminate => match &order.recurring {
            None => Err(Ending::new(
                "refused",
                "This order has no subscription; nothing was sent.",
            )),
            Some(_) if over_monthly_bound(shop, action) => Err(Ending::new(
                "refused",
                format!(
                    "Not sent: above the highest monthly amount the shop allows ({} {}).",
                    money(
                        shop.settings.limits.max_monthly_amount,
                        order.currency.exponent()
                    ),
                    order.currency.code()
                ),
            )),
            Some(recurring) => send_to_recurring(shop, recurring, action).await,
        },
    };
    let sent = result.is_ok();
    let now = match shop.db_clock().await {
        Ok(now) => now,
        Err(error) if sent => return Err(RunError::Unrecorded(error)),
        Err(error) => return Err(RunError::NotSent(error)),
    };
    let recorded = match result {
        Err(ending) | Ok(Sent::Unchanged(ending)) => {
            shop.store
                .finish_unchanged(order_id, &ending.finish(key), now)
                .await
        }
        // The call's finish is absorbed into the order as it is now, as the client's facade
        // would absorb it into a payment held in memory.
        Ok(Sent::Payment(sent, ending)) => {
            let applied = move |order: &mut Order| {
                let payment = order.payment_by_id_mut(&sent.transaction_id)?;
                let absorbed = payment.absorb(sent.command.clone(), sent.finished.clone());
                Some(absorbed.map(drop).map_err(|e| {
                    // An answer that does not fit the payment does not say what the gateway
                    // did: the payment is put in doubt, and the sweeper settles it.
                    let _ = payment.absorb(sent.command.clone(), Finished::OutcomeUnknown);
                    e.to_string()
                }))
            };
            apply_to_order(shop, order_id, now, action, &by, ending, applied).await
        }
        Ok(Sent::Recurring(outcome, ending)) => {
            let applied = |order: &mut Order| {
                let recurring = order.recurring.as_mut()?;
                Some(
                    recurring
                        .apply(outcome.clone())
                        .map(drop)
                        .map_err(|e| e.to_string()),
                )
            };
            apply_to_order(shop, order_id, now, action, &by, ending, applied).await
        }
    };
    match recorded {
        Ok(()) => Ok(sent),
        Err(error) if sent => Err(RunError::Unrecorded(error)),
        Err(error) => Err(RunError::NotSent(error)),
    }
}

/// Whether `action` sets a monthly amount above [`crate::shop::Limits::max_monthly_amount`].
fn over_monthly_bound(shop: &Shop, action: &Action) -> bool {
    matches!(action, Action::Adjust(amount)
        if amount.value() > shop.settings.limits.max_monthly_amount)
}

/// Which command, given by whom (for the order's history).
#[derive(Clone, Copy)]
struct Attribution<'a> {
    key: &'a str,
    operator: &'a str,
}

/// Applies a sent command's outcome to the order as it is now, and finishes the command, in
/// one change. `applied` is `None` when the order has nothing to apply it to.
async fn apply_to_order(
    shop: &Shop,
    order_id: &str,
    now: i64,
    action: &Action,
    by: &Attribution<'_>,
    ending: Ending,
    mut applied: impl FnMut(&mut Order) -> Option<Result<(), String>>,
) -> Result<(), StoreError> {
    // How the command ends depends on whether the answer fits the order as it is now (the
    // command holds the order's lease, so only a notification can change it meanwhile).
    let mut probe = shop.store.order(order_id).await?;
    let ending = match probe.as_mut().and_then(&mut applied) {
        Some(Err(misfit)) => Ending::new(
            "unknown",
            format!(
                "The gateway's answer did not fit the order ({misfit}): the gateway may have \
                 done it — checking with the gateway; the order shows the result once known. \
                 Do not repeat it."
            ),
        ),
        _ => ending,
    };
    let finish = ending.finish(by.key);
    let detail = format!(
        "{} ({}) by {}: {}",
        action.kind(),
        short(by.key),
        by.operator,
        finish.message
    );
    shop.store
        .change(order_id, now, None, Some(&finish), |order| {
            let in_doubt = |order: &Order| {
                order
                    .payments()
                    .filter(|p| p.status() == PaymentStatus::NeedsReconcile)
                    .count()
            };
            let in_doubt_before = in_doubt(order);
            match applied(order) {
                Some(Ok(())) => Decision::Apply {
                    kind: "command",
                    detail: detail.clone(),
                },
                // A payment was put in doubt: written, for the sweeper to settle.
                Some(Err(e)) if in_doubt(order) > in_doubt_before => Decision::Apply {
                    kind: "command",
                    detail: format!(
                        "The gateway's answer did not fit the order: {e}. Checking with \
                             the gateway."
                    ),
                },
                Some(Err(e)) => Decision::Refuse {
                    kind: "command",
                    detail: format!("The gateway's answer did not fit the order: {e}"),
                },
                None => Decision::Skip,
            }
        })
        .await
        .map(|_| ())
}

fn short(key: &str) -> &str {
    key.get(..8).unwrap_or(key)
}

/// Formats an amount of `currency` to its exponent (`5` USD → `5.00`).
pub fn money(value: Decimal, exponent: u32) -> String {
    format!("{:.*}", exponent as usize, value)
}
