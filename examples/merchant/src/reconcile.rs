//! Settling what is in doubt with the gateway: at start-up and then periodically.
//!
//! * Orders in `NeedsReconcile` (a capture or refund whose outcome is unknown): retrieve the
//!   payment and apply the gateway's record.
//! * Commands left `sending` by an instance that stopped between the call and recording its
//!   result (their lease expired): the same retrieve, and the command is closed as
//!   `unknown` with what the gateway says now — never replayed.
//! * Commands that were written down but never sent (their instance stopped while they
//!   waited for the order): closed as `failed`, nothing having reached the gateway.

use std::sync::Arc;

use eximbay_core::PaymentOutcome;

use crate::commands::{LEASE_SECONDS, money};
use crate::shop::Shop;
use crate::store::{CommandRecord, Decision, Finish, StoreError};

/// A queued command older than this was left by a stopped instance (a live one gives up
/// waiting long before).
const QUEUED_TIMEOUT_SECONDS: i64 = 600;

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Orders whose payment was retrieved and applied.
    pub reconciled: usize,
    /// Interrupted commands closed.
    pub interrupted: usize,
    /// Never-sent commands closed.
    pub abandoned: u64,
}

/// One pass over everything in doubt.
pub async fn sweep(shop: &Shop) -> Result<Swept, StoreError> {
    let now = shop.wall_clock();
    let mut swept = Swept {
        abandoned: shop
            .store
            .abandon_queued(now - QUEUED_TIMEOUT_SECONDS, now)
            .await?,
        ..Swept::default()
    };
    for command in shop.store.interrupted_commands(now).await? {
        if close_interrupted(shop, &command).await? {
            swept.interrupted += 1;
        }
    }
    for order_id in shop.store.orders_in_stage("needs_reconcile").await? {
        if reconcile_order(shop, &order_id).await? {
            swept.reconciled += 1;
        }
    }
    Ok(swept)
}

/// Sweeps every `sweep_every`, for ever.
pub async fn sweeper(shop: Arc<Shop>) {
    loop {
        tokio::time::sleep(shop.settings.sweep_every).await;
        match sweep(&shop).await {
            Ok(swept) if swept != Swept::default() => tracing::info!(?swept, "reconciled"),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "sweep failed; retrying at the next one"),
        }
    }
}

/// Retrieves one order's payment and applies the gateway's record, holding the order's
/// lease (so no command is mid-call). `false` when the order was busy or the gateway did
/// not answer; the next sweep tries again.
pub async fn reconcile_order(shop: &Shop, order_id: &str) -> Result<bool, StoreError> {
    let holder = format!("reconcile-{}", uuid::Uuid::new_v4().simple());
    let now = shop.wall_clock();
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

/// Closes a command whose instance stopped mid-call: its outcome is whatever the gateway
/// now says.
async fn close_interrupted(shop: &Shop, command: &CommandRecord) -> Result<bool, StoreError> {
    let now = shop.wall_clock();
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
    let closed = retrieve_and_apply(shop, &command.order_id, Some(key)).await?;
    if !closed {
        // The gateway did not answer: free the order so the next sweep tries again.
        shop.store.release_lease(&command.order_id, key).await?;
    }
    Ok(closed)
}

/// Retrieve, then apply the gateway's record (closing `command` with it, when given).
async fn retrieve_and_apply(
    shop: &Shop,
    order_id: &str,
    command: Option<&str>,
) -> Result<bool, StoreError> {
    let Some(order) = shop.store.order(order_id).await? else {
        return Ok(false);
    };
    let Some(payment) = &order.payment else {
        return Ok(false);
    };
    let retrieved = match shop.client.send(&payment.reconcile()).await {
        Ok(retrieved) => retrieved,
        Err(error) => {
            tracing::warn!(%error, order_id, "retrieve failed; the next sweep tries again");
            return Ok(false);
        }
    };
    let mut message = String::new();
    let finish = |message: &str| {
        command.map(|key| Finish {
            command_key: key.to_owned(),
            state: "unknown",
            message: format!(
                "Interrupted before its result was recorded; the gateway says: {message}"
            ),
        })
    };
    // The message is only known once applied; decide first, then write with it.
    let mut probe = order.clone();
    let applied = probe.payment.as_mut().is_some_and(|p| {
        p.apply(PaymentOutcome::Retrieved(retrieved.clone()))
            .is_ok()
    });
    if let (true, Some(p)) = (applied, &probe.payment) {
        message = format!(
            "{}, {} {} refundable",
            probe.stage().label(),
            money(p.refundable(), p.currency().exponent()),
            p.currency().code()
        );
    }
    let finish = finish(&message);
    shop.store
        .change(
            order_id,
            shop.wall_clock(),
            None,
            finish.as_ref(),
            |order| {
                let Some(payment) = order.payment.as_mut() else {
                    return Decision::Skip;
                };
                match payment.apply(PaymentOutcome::Retrieved(retrieved.clone())) {
                    Ok(transition) => Decision::Apply {
                        kind: "reconcile",
                        detail: format!(
                            "Checked with the gateway: {:?} → {:?}",
                            transition.from, transition.to
                        ),
                    },
                    Err(error) => Decision::Refuse {
                        kind: "reconcile",
                        detail: format!("The gateway's record did not fit: {error}"),
                    },
                }
            },
        )
        .await?;
    Ok(true)
}
