//! The command journal: commands written down before the gateway is called, the order's
//! lease a command holds while it talks to the gateway, and what the sweeper finds left
//! behind.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{CommandRecord, Finish, NewCommand, Store, StoreError, Tx};

const SELECT_COMMAND: &str = "SELECT command_key, order_id, kind, amount, reason, state, message, \
     created_at, transaction_id, operator FROM commands";

impl Store {
    /// An order's commands, newest first.
    pub async fn commands(&self, order_id: &str) -> Result<Vec<CommandRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "{SELECT_COMMAND} WHERE order_id = $1 ORDER BY created_at DESC, command_key"
        ))
        .bind(order_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(read_command).collect()
    }

    /// One command.
    pub async fn command(&self, command_key: &str) -> Result<Option<CommandRecord>, StoreError> {
        let row = sqlx::query(&format!("{SELECT_COMMAND} WHERE command_key = $1"))
            .bind(command_key)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| read_command(&r)).transpose()
    }

    /// Writes a command down (`queued`) before anything is sent. `Ok(None)`: new;
    /// `Ok(Some(existing))`: this key was written before — a resubmitted form — and nothing
    /// new must happen.
    pub async fn journal(
        &self,
        command: &NewCommand<'_>,
        at: i64,
    ) -> Result<Option<CommandRecord>, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO commands (command_key, order_id, kind, amount, reason, state, message, \
             created_at, finished_at, transaction_id, operator) \
             VALUES ($1, $2, $3, $4, $5, 'queued', NULL, $6, NULL, $7, $8) \
             ON CONFLICT (command_key) DO NOTHING",
        )
        .bind(command.command_key)
        .bind(command.order_id)
        .bind(command.kind)
        .bind(command.amount)
        .bind(command.reason)
        .bind(at)
        .bind(command.transaction_id)
        .bind(command.operator)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if inserted == 1 {
            Ok(None)
        } else {
            self.command(command.command_key).await
        }
    }

    /// Takes the order's lease for `holder` until `until`, when it is free or expired, and —
    /// for a journalled command — marks the command `sending` in the same transaction.
    /// `false`: someone else holds it (or the command was abandoned meanwhile).
    pub async fn take_lease(
        &self,
        order_id: &str,
        holder: &str,
        journalled: bool,
        now: i64,
        until: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let taken = sqlx::query(
            "UPDATE orders SET lease = $1, lease_until = $2 \
             WHERE order_id = $3 AND (lease IS NULL OR lease_until < $4 OR lease = $1)",
        )
        .bind(holder)
        .bind(until)
        .bind(order_id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if taken != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        if journalled {
            let marked = sqlx::query(
                "UPDATE commands SET state = 'sending' \
                 WHERE command_key = $1 AND state IN ('queued', 'sending')",
            )
            .bind(holder)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if marked != 1 {
                tx.rollback().await?;
                return Ok(false);
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Releases the lease `holder` took (a no-op when it has lost it).
    pub async fn release_lease(&self, order_id: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE orders SET lease = NULL, lease_until = NULL WHERE order_id = $1 AND lease = $2",
        )
        .bind(order_id)
        .bind(holder)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Ends a command that changed nothing on the order (refused before sending, nothing
    /// sent), and releases its lease.
    pub async fn finish_unchanged(
        &self,
        order_id: &str,
        finish: &Finish,
        at: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        finish_command(&mut tx, order_id, finish, at).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Commands that were sending when their instance stopped: `sending`, with a lease
    /// that is no longer theirs or has expired. Their outcome is unknown until reconciled.
    pub async fn interrupted_commands(&self, now: i64) -> Result<Vec<CommandRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.command_key, c.order_id, c.kind, c.amount, c.reason, c.state, c.message, \
             c.created_at, c.transaction_id, c.operator FROM commands c JOIN orders o ON o.order_id = c.order_id \
             WHERE c.state = 'sending' \
             AND (o.lease IS NULL OR o.lease <> c.command_key OR o.lease_until < $1) \
             ORDER BY c.created_at",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(read_command).collect()
    }

    /// Commands written down but never sent, older than `cutoff`: their instance stopped
    /// while they waited for the lease. Nothing was sent; they are marked `failed`.
    pub async fn abandon_queued(&self, cutoff: i64, now: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "UPDATE commands SET state = 'failed', finished_at = $1, \
             message = 'Stopped before it was sent: nothing reached the gateway. Submit it again.' \
             WHERE state = 'queued' AND created_at < $2",
        )
        .bind(now)
        .bind(cutoff)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }
}

pub(super) async fn finish_command(
    tx: &mut Tx,
    order_id: &str,
    finish: &Finish,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE commands SET state = $1, message = $2, finished_at = $3 WHERE command_key = $4",
    )
    .bind(finish.state)
    .bind(&finish.message)
    .bind(at)
    .bind(&finish.command_key)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE orders SET lease = NULL, lease_until = NULL WHERE order_id = $1 AND lease = $2",
    )
    .bind(order_id)
    .bind(&finish.command_key)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn read_command(row: &AnyRow) -> Result<CommandRecord, StoreError> {
    Ok(CommandRecord {
        command_key: row.try_get("command_key")?,
        order_id: row.try_get("order_id")?,
        kind: row.try_get("kind")?,
        amount: row.try_get("amount")?,
        reason: row.try_get("reason")?,
        state: row.try_get("state")?,
        message: row.try_get("message")?,
        created_at: row.try_get("created_at")?,
        transaction_id: row.try_get("transaction_id")?,
        operator: row.try_get("operator")?,
    })
}
