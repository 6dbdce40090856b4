//! Who may use the back office, in the database so that every instance agrees: operators
//! (with their password hashes), signed-in sessions, failed sign-ins (for the limit) and the
//! command keys minted with the order page.
//!
//! Hashing and token-making live in [`crate::auth`]; this file only stores what it is given.
//! Every expiry and window is on the database's clock, in the statement itself (a lifetime
//! or a window in seconds goes in, never an instant): instances sharing the database agree
//! on when a session, a key or a failure ends, whatever their own clocks say.

use sqlx::Row;

use super::{Store, StoreError};

/// A signed-in session, as stored.
#[derive(Clone)]
pub struct SessionRecord {
    /// Who signed in.
    pub operator: String,
    /// The token every form of this session carries.
    pub csrf: String,
}

// The CSRF token is a secret of the session: keep it out of logs.
impl std::fmt::Debug for SessionRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRecord")
            .field("operator", &self.operator)
            .finish_non_exhaustive()
    }
}

/// A minted command key, as stored: what it may be used for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyBinding {
    /// The order it was minted for.
    pub order_id: String,
    /// The action (`capture`, `refund`, …).
    pub action: String,
    /// The operator it was minted for.
    pub operator: String,
}

impl Store {
    /// Creates an operator, or sets a new password hash for an existing one (then signs
    /// that operator out everywhere). Returns whether the operator is new.
    pub async fn put_operator(
        &self,
        name: &str,
        password_hash: &str,
        at: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let updated = sqlx::query("UPDATE operators SET password_hash = $1 WHERE name = $2")
            .bind(password_hash)
            .bind(name)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if updated == 1 {
            sqlx::query("DELETE FROM sessions WHERE operator = $1")
                .bind(name)
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query(
                "INSERT INTO operators (name, password_hash, created_at) VALUES ($1, $2, $3)",
            )
            .bind(name)
            .bind(password_hash)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(updated == 0)
    }

    /// An operator's password hash, if the operator exists.
    pub async fn operator_hash(&self, name: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT password_hash FROM operators WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("password_hash")).transpose()?)
    }

    /// How many operators there are (none: the first-run hint is printed).
    pub async fn operator_count(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM operators")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// Records a session (by its token's hash), valid for `lifetime_seconds` from now by the
    /// database's clock.
    pub async fn insert_session(
        &self,
        token_hash: &str,
        operator: &str,
        csrf: &str,
        lifetime_seconds: i64,
    ) -> Result<(), StoreError> {
        let now = self.now_sql();
        let statement = format!(
            "INSERT INTO sessions (token_hash, operator, csrf, created_at, expires_at) \
             VALUES ($1, $2, $3, {now}, {now} + $4)"
        );
        sqlx::query(&statement)
            .bind(token_hash)
            .bind(operator)
            .bind(csrf)
            .bind(lifetime_seconds)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The session with this token hash, if it has not expired by the database's clock.
    pub async fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let query = format!(
            "SELECT operator, csrf FROM sessions WHERE token_hash = $1 AND expires_at > {}",
            self.now_sql()
        );
        let row = sqlx::query(&query)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(SessionRecord {
                operator: r.try_get("operator")?,
                csrf: r.try_get("csrf")?,
            })
        })
        .transpose()
    }

    /// Ends a session (sign-out).
    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records a failed sign-in for each subject, now by the database's clock.
    pub async fn record_sign_in_failure(&self, subjects: &[&str]) -> Result<(), StoreError> {
        let statement = format!(
            "INSERT INTO sign_in_failures (subject, at) VALUES ($1, {})",
            self.now_sql()
        );
        let mut tx = self.begin().await?;
        for subject in subjects {
            sqlx::query(&statement)
                .bind(*subject)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Failed sign-ins for `subject` within the last `window_seconds` (database's clock).
    pub async fn sign_in_failures(
        &self,
        subject: &str,
        window_seconds: i64,
    ) -> Result<i64, StoreError> {
        let query = format!(
            "SELECT COUNT(*) AS n FROM sign_in_failures WHERE subject = $1 AND at > {} - $2",
            self.now_sql()
        );
        let row = sqlx::query(&query)
            .bind(subject)
            .bind(window_seconds)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// Forgets a subject's failures (after a successful sign-in).
    pub async fn clear_sign_in_failures(&self, subject: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sign_in_failures WHERE subject = $1")
            .bind(subject)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records command keys minted for one page: `(key, action)` pairs for `order_id` and
    /// `operator`, valid for `lifetime_seconds` from now by the database's clock.
    pub async fn mint_command_keys(
        &self,
        order_id: &str,
        operator: &str,
        keys: &[(String, &str)],
        lifetime_seconds: i64,
    ) -> Result<(), StoreError> {
        let statement = format!(
            "INSERT INTO command_keys (command_key, order_id, action, operator, expires_at) \
             VALUES ($1, $2, $3, $4, {} + $5)",
            self.now_sql()
        );
        let mut tx = self.begin().await?;
        for (key, action) in keys {
            sqlx::query(&statement)
                .bind(key)
                .bind(order_id)
                .bind(*action)
                .bind(operator)
                .bind(lifetime_seconds)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// What a minted key may be used for, if it was minted and has not expired by the
    /// database's clock.
    pub async fn command_key(&self, command_key: &str) -> Result<Option<KeyBinding>, StoreError> {
        let query = format!(
            "SELECT order_id, action, operator FROM command_keys \
             WHERE command_key = $1 AND expires_at > {}",
            self.now_sql()
        );
        let row = sqlx::query(&query)
            .bind(command_key)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(KeyBinding {
                order_id: r.try_get("order_id")?,
                action: r.try_get("action")?,
                operator: r.try_get("operator")?,
            })
        })
        .transpose()
    }

    /// Deletes expired sessions and command keys, and failures older than
    /// `failure_window_seconds` (the sweeper's housekeeping), all by the database's clock.
    /// Returns how many rows went.
    pub async fn expire_auth(&self, failure_window_seconds: i64) -> Result<u64, StoreError> {
        let now = self.now_sql();
        let mut gone = 0;
        for table in ["sessions", "command_keys"] {
            let statement = format!("DELETE FROM {table} WHERE expires_at <= {now}");
            gone += sqlx::query(&statement)
                .execute(&self.pool)
                .await?
                .rows_affected();
        }
        let statement = format!("DELETE FROM sign_in_failures WHERE at <= {now} - $1");
        gone += sqlx::query(&statement)
            .bind(failure_window_seconds)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(gone)
    }
}
