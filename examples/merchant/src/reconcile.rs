//! Settling what is in doubt with the gateway: from start-up on, periodically, beside the
//! shop (which serves while a sweep runs).
//!
//! * Orders with a payment in `NeedsReconcile` (a capture or refund whose outcome is
//!   unknown): retrieve the payment and apply the gateway's record.
//! * Orders still awaiting payment past a grace period: their `status_url` notification may
//!   have been lost (the database was down through every delivery, the gateway gave up).
//!   The payment is looked up by order id; one found is recorded as if notified. "Not
//!   found" proves nothing (the gateway's lookup may lag), so the order is simply looked up
//!   again at the next sweep, until a horizon after which the buyer is taken not to have
//!   paid — see [`LOST_PAYMENT_GRACE`] and [`LOST_PAYMENT_HORIZON`].
//! * Commands left `sending` by an instance that stopped between the call and recording its
//!   result (their lease expired): the same retrieve, and the command is closed as
//!   `unknown` with what the gateway says now — never replayed. One whose order has no
//!   payment to ask about is closed as `failed` (nothing could have been sent).
//! * Commands that were written down but never sent (their instance stopped while they
//!   waited for the order): closed as `failed`, nothing having reached the gateway.
//!
//! Orders are swept [`SWEEP_CONCURRENCY`] at a time, each call bounded by
//! [`SWEEP_CALL_TIMEOUT`], so a stalling gateway delays the sweep, not the shop.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use eximbay_core::ops::retrieve::{KeyField, Retrieve, Retrieved};
use eximbay_core::{Lang, OrderId, Payment, PaymentOutcome, PaymentStatus, RemoteStatus};

use crate::commands::{LEASE_SECONDS, money};
use crate::order::Order;
use crate::shop::Shop;
use crate::store::{CommandRecord, Decision, Finish, StoreError};

/// A queued command older than this was left by a stopped instance (a live one gives up
/// waiting long before).
const QUEUED_TIMEOUT_SECONDS: i64 = 600;

/// How many orders one sweep settles at once.
pub const SWEEP_CONCURRENCY: usize = 8;

/// The longest one order's settling may take in a sweep (a retrieve, not a money-moving
/// call, so abandoning it is safe): the next sweep tries again.
pub const SWEEP_CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// An order awaiting payment this long is looked up with the gateway: its notification
/// should have arrived long before (the gateway redelivers for a few minutes at most).
///
/// The order's age is the larger of what the gateway's clock and the database's clock say
/// since it was placed: the gateway's, so that advancing the embedded sandbox's test clock
/// behaves as time passing; the database's, because that test clock stands still otherwise.
pub const LOST_PAYMENT_GRACE: Duration = Duration::from_secs(10 * 60);

/// After this, an order still awaiting payment is no longer looked up: the buyer never
/// paid (closed the window, walked away). A notification arriving later is still applied.
pub const LOST_PAYMENT_HORIZON: Duration = Duration::from_secs(48 * 3600);

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Orders whose payment was retrieved and applied.
    pub reconciled: usize,
    /// Orders awaiting payment whose payment was found with the gateway.
    pub found: usize,
    /// Interrupted commands closed.
    pub interrupted: usize,
    /// Never-sent commands closed.
    pub abandoned: u64,
}

/// One pass over everything in doubt.
pub async fn sweep(shop: &Arc<Shop>) -> Result<Swept, StoreError> {
    let now = shop.db_clock().await?;
    let mut swept = Swept {
        abandoned: shop
            .store
            .abandon_queued(now - QUEUED_TIMEOUT_SECONDS, now)
            .await?,
        ..Swept::default()
    };
    let commands = shop.store.interrupted_commands(now).await?;
    swept.interrupted = bounded(shop, commands, |shop, command| async move {
        close_interrupted(&shop, &command).await
    })
    .await?;
    let in_doubt = shop.store.orders_in_stage("needs_reconcile").await?;
    swept.reconciled = bounded(shop, in_doubt, |shop, order_id| async move {
        reconcile_order(&shop, &order_id).await
    })
    .await?;
    let (grace, horizon) = (LOST_PAYMENT_GRACE.as_secs(), LOST_PAYMENT_HORIZON.as_secs());
    let (gateway_now, db_now) = (shop.gateway_now().0, shop.db_clock().await?);
    let awaiting = shop
        .store
        .orders_awaiting_payment(
            (gateway_now, db_now),
            i64::try_from(grace).unwrap_or(i64::MAX),
            i64::try_from(horizon).unwrap_or(i64::MAX),
        )
        .await?;
    swept.found = bounded(shop, awaiting, |shop, order_id| async move {
        find_lost_payment(&shop, &order_id).await
    })
    .await?;
    Ok(swept)
}

/// Runs `work` on each item, at most [`SWEEP_CONCURRENCY`] at once, each within
/// [`SWEEP_CALL_TIMEOUT`]; counts the items it settled. The first database error is
/// returned once every started item has finished.
async fn bounded<T, F, Fut>(shop: &Arc<Shop>, items: Vec<T>, work: F) -> Result<usize, StoreError>
where
    T: Send + 'static,
    F: Fn(Arc<Shop>, T) -> Fut,
    Fut: Future<Output = Result<bool, StoreError>> + Send + 'static,
{
    let mut running = tokio::task::JoinSet::new();
    let mut settled = 0;
    let mut failed = None;
    let mut collect = |done: Result<Result<Result<bool, StoreError>, _>, _>| match done {
        Ok(Ok(Ok(true))) => settled += 1,
        Ok(Ok(Ok(false))) => {}
        Ok(Ok(Err(error))) => {
            failed.get_or_insert(error);
        }
        Ok(Err(_elapsed)) => tracing::warn!("a sweep call timed out; the next sweep tries again"),
        Err(error) => tracing::error!(%error, "a sweep task failed"),
    };
    for item in items {
        if running.len() >= SWEEP_CONCURRENCY {
            if let Some(done) = running.join_next().await {
                collect(done);
            }
        }
        running.spawn(tokio::time::timeout(
            SWEEP_CALL_TIMEOUT,
            work(shop.clone(), item),
        ));
    }
    while let Some(done) = running.join_next().await {
        collect(done);
    }
    match failed {
        Some(error) => Err(error),
        None => Ok(settled),
    }
}

/// Sweeps at once, then every `sweep_every`, for ever. The shop serves meanwhile.
pub async fn sweeper(shop: Arc<Shop>) {
    loop {
        // Housekeeping: expired sessions and command keys, old sign-in failures (by the
        // database's clock).
        let window = shop.settings.limits.sign_in_window_seconds;
        if let Err(error) = shop.store.expire_auth(window).await {
            tracing::warn!(%error, "expiring sessions failed; retrying at the next sweep");
        }
        match sweep(&shop).await {
            Ok(swept) if swept != Swept::default() => tracing::info!(?swept, "reconciled"),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "sweep failed; retrying at the next one"),
        }
        tokio::time::sleep(shop.settings.sweep_every).await;
    }
}

/// Retrieves one order's payments in doubt and applies the gateway's record, holding the
/// order's lease (so no command is mid-call). `false` when the order was busy or the
/// gateway did not answer; the next sweep tries again.
pub async fn reconcile_order(shop: &Shop, order_id: &str) -> Result<bool, StoreError> {
    let holder = format!("reconcile-{}", uuid::Uuid::new_v4().simple());
    let now = shop.db_clock().await?;
    if !shop
        .store
        .take_lease(order_id, &holder, false, now, now + LEASE_SECONDS)
        .await?
    {
        return Ok(false);
    }
    let applied = retrieve_and_apply(shop, order_id, None).await;
    shop.store.release_lease(order_id, &holder).await?;
    applied
}

/// Looks up, by order id, the payment of an order that is still awaiting one, and records
/// it when the gateway has it. `NONE` ("no such payment") changes nothing: the gateway's
/// lookup may lag behind its payments, so only the horizon ends the search.
pub async fn find_lost_payment(shop: &Shop, order_id: &str) -> Result<bool, StoreError> {
    let holder = format!("find-{}", uuid::Uuid::new_v4().simple());
    let now = shop.db_clock().await?;
    if !shop
        .store
        .take_lease(order_id, &holder, false, now, now + LEASE_SECONDS)
        .await?
    {
        return Ok(false);
    }
    let found = look_up_by_order(shop, order_id).await;
    shop.store.release_lease(order_id, &holder).await?;
    found
}

async fn look_up_by_order(shop: &Shop, order_id: &str) -> Result<bool, StoreError> {
    let Some(order) = shop.store.order(order_id).await? else {
        return Ok(false);
    };
    if order.payment.is_some() {
        return Ok(false);
    }
    let retrieve = Retrieve {
        key_field: KeyField::OrderId,
        order_id: OrderId::new(&order.order_id),
        transaction_id: None,
        currency: order.currency.clone(),
        amount: order.amount.clone(),
        lang: Lang::En,
    };
    let retrieved = match shop.client.send(&retrieve).await {
        Ok(retrieved) => retrieved,
        Err(error) => {
            tracing::warn!(%error, order_id, "lookup by order id failed; the next sweep tries again");
            return Ok(false);
        }
    };
    if retrieved.status == RemoteStatus::None {
        return Ok(false);
    }
    let payment = match payment_found(&order, &retrieved) {
        Ok(payment) => payment,
        Err(error) => {
            tracing::warn!(%error, order_id, "the gateway's record of the order does not fit it");
            return Ok(false);
        }
    };
    let changed = shop
        .store
        .change(order_id, shop.db_clock().await?, None, None, |order| {
            if order.payment.is_some() {
                // The notification arrived meanwhile: it is the record.
                return Decision::Skip;
            }
            order.payment = Some(payment.clone());
            Decision::Apply {
                kind: "reconcile",
                detail: format!(
                    "Found with the gateway (no notification arrived): transaction {}, {} {} \
                     → {}{}",
                    payment.transaction_id(),
                    payment.amount(),
                    payment.currency().code(),
                    order.stage().label(),
                    if order.recurring.is_none() && order.kind.as_str() == "subscription" {
                        ". A lookup names no subscription registration: it is recorded from \
                         the first charge result (or a late notification) that names it"
                    } else {
                        ""
                    }
                ),
            }
        })
        .await?;
    Ok(matches!(changed, crate::store::Changed::Applied(_)))
}

/// The payment the gateway's record of an order describes: started as the record's status
/// says, then brought to the record's balance (a refund made since, a released
/// authorization).
fn payment_found(order: &Order, retrieved: &Retrieved) -> Result<Payment, String> {
    let transaction_id = retrieved
        .transaction_id
        .clone()
        .ok_or("the record names no transaction")?;
    let order_id = OrderId::new(&order.order_id);
    let (currency, amount) = (order.currency.clone(), order.amount.clone());
    let mut payment = match retrieved.status {
        RemoteStatus::Sale => {
            Payment::captured(transaction_id, order_id, currency, amount, Lang::En)
        }
        RemoteStatus::Auth => {
            Payment::authorized(transaction_id, order_id, currency, amount, Lang::En)
        }
        RemoteStatus::Registered => {
            Payment::registered(transaction_id, order_id, currency, amount, Lang::En)
        }
        ref other => return Err(format!("status {other:?}")),
    }
    .map_err(|e| e.to_string())?;
    if payment.status() != PaymentStatus::Registered {
        payment
            .apply(PaymentOutcome::Retrieved(retrieved.clone()))
            .map_err(|e| e.to_string())?;
    }
    Ok(payment)
}

/// Settles one command whose answer could not be recorded (the database failed after the
/// call): retried with a growing pause until the database answers again, then closed with
/// what the gateway says, as an interrupted command is. Gives up after about ten minutes;
/// the sweeper closes it then, once its lease has expired.
pub async fn settle_command_later(shop: Arc<Shop>, key: String) {
    let mut pause = Duration::from_millis(200);
    for _ in 0..80 {
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(10));
        let command = match shop.store.command(&key).await {
            Ok(Some(command)) if command.is_open() => command,
            Ok(_) => return,
            Err(_) => continue,
        };
        let closed = tokio::time::timeout(SWEEP_CALL_TIMEOUT, close_interrupted(&shop, &command));
        if let Ok(Ok(true)) = closed.await {
            return;
        }
    }
}

/// Closes a command whose instance stopped mid-call: its outcome is whatever the gateway
/// now says.
async fn close_interrupted(shop: &Shop, command: &CommandRecord) -> Result<bool, StoreError> {
    let now = shop.db_clock().await?;
    let key = &command.command_key;
    if !shop
        .store
        .take_lease(&command.order_id, key, false, now, now + LEASE_SECONDS)
        .await?
    {
        return Ok(false);
    }
    if matches!(command.kind.as_str(), "adjust" | "terminate") {
        // No retrieve exists for a registration: the next charge result tells.
        let finish = Finish {
            command_key: key.clone(),
            state: "unknown",
            message: "Interrupted before its result was recorded: the next charge result \
                      will show whether it took effect. Sending it again is safe."
                .to_owned(),
        };
        shop.store
            .finish_unchanged(&command.order_id, &finish, now)
            .await?;
        return Ok(true);
    }
    let order = shop.store.order(&command.order_id).await?;
    let has_payment = order
        .as_ref()
        .is_some_and(|o| match &command.transaction_id {
            Some(tid) => o.payment_by_id(tid).is_some(),
            None => o.payment.is_some(),
        });
    if !has_payment {
        // A payment command is built from the payment: with none, nothing was sent.
        let finish = Finish {
            command_key: key.clone(),
            state: "failed",
            message: "Closed after its instance stopped: the order has no such payment, so \
                      nothing was sent to the gateway."
                .to_owned(),
        };
        shop.store
            .finish_unchanged(&command.order_id, &finish, now)
            .await?;
        return Ok(true);
    }
    let closed = retrieve_and_apply(shop, &command.order_id, Some(command)).await?;
    if !closed {
        // The gateway did not answer: free the order so the next sweep tries again.
        shop.store.release_lease(&command.order_id, key).await?;
    }
    Ok(closed)
}

/// Retrieve, then apply the gateway's record (closing `command` with it, when given): for
/// a command, the payment it was about; otherwise every payment of the order in doubt.
async fn retrieve_and_apply(
    shop: &Shop,
    order_id: &str,
    command: Option<&CommandRecord>,
) -> Result<bool, StoreError> {
    let Some(order) = shop.store.order(order_id).await? else {
        return Ok(false);
    };
    let targets: Vec<&Payment> = match command {
        Some(command) => match &command.transaction_id {
            Some(tid) => order.payment_by_id(tid).into_iter().collect(),
            None => order.payment.iter().collect(),
        },
        None => order
            .payments()
            .filter(|p| p.status() == PaymentStatus::NeedsReconcile)
            .collect(),
    };
    if targets.is_empty() {
        return Ok(false);
    }
    let mut answers = Vec::new();
    for payment in targets {
        match shop.client.send(&payment.reconcile()).await {
            Ok(retrieved) => {
                answers.push((payment.transaction_id().as_str().to_owned(), retrieved))
            }
            Err(error) => {
                tracing::warn!(%error, order_id, "retrieve failed; the next sweep tries again");
                return Ok(false);
            }
        }
    }
    // The command's closing message is only known once applied: decide first on a copy.
    let mut probe = order.clone();
    let mut message = String::new();
    for (tid, retrieved) in &answers {
        let applied = probe.payment_by_id_mut(tid).map(|p| {
            p.apply(PaymentOutcome::Retrieved(retrieved.clone()))
                .is_ok()
        });
        if let (Some(true), Some(p)) = (applied, probe.payment_by_id(tid)) {
            message = format!(
                "{}, {} {} refundable",
                probe.stage().label(),
                money(p.refundable(), p.currency().exponent()),
                p.currency().code()
            );
        }
    }
    let finish = command.map(|command| Finish {
        command_key: command.command_key.clone(),
        state: "unknown",
        message: format!("Interrupted before its result was recorded; the gateway says: {message}"),
    });
    shop.store
        .change(
            order_id,
            shop.db_clock().await?,
            None,
            finish.as_ref(),
            |order| {
                let mut details = Vec::new();
                let mut misfits = Vec::new();
                for (tid, retrieved) in &answers {
                    let Some(payment) = order.payment_by_id_mut(tid) else {
                        continue;
                    };
                    match payment.apply(PaymentOutcome::Retrieved(retrieved.clone())) {
                        Ok(transition) => details.push(format!(
                            "Checked with the gateway: {tid} {:?} → {:?}",
                            transition.from, transition.to
                        )),
                        Err(error) => misfits.push(format!(
                            "The gateway's record of {tid} did not fit: {error}"
                        )),
                    }
                }
                if details.is_empty() && misfits.is_empty() {
                    Decision::Skip
                } else if details.is_empty() {
                    Decision::Refuse {
                        kind: "reconcile",
                        detail: misfits.join("; "),
                    }
                } else {
                    details.extend(misfits);
                    Decision::Apply {
                        kind: "reconcile",
                        detail: details.join("; "),
                    }
                }
            },
        )
        .await?;
    Ok(true)
}
