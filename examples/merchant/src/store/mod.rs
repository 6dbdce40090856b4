//! Orders in SQL: SQLite (a file, the default) or PostgreSQL, through sqlx's `Any` driver, so
//! one set of queries and one migration serve both.
//!
//! Three rules make several app instances on one database safe:
//! * every change to an order is a compare-and-swap on its `version` inside a transaction
//!   ([`Store::change`]): a writer that lost the race reloads and decides again;
//! * a notification is applied in the same transaction that records its identity under a
//!   unique key (`deliveries`), so two instances never apply one twice;
//! * a money-moving command is written down (`commands`) before the gateway is called and
//!   holds the order's lease while it talks to the gateway; its result is applied to the
//!   order as it is *then* (reloaded), so losing a swap after the call never loses a refund.

use eximbay_core::{Amount, Currency, Payment, Recurring};
use serde::Serialize;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Connection, Row};

use crate::order::{Order, OrderKind};

mod auth;
mod journal;
pub use auth::{KeyBinding, SessionRecord};
use journal::finish_command;

/// The migrations in `migrations/`, embedded in the binary and run at start.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How often a compare-and-swap is retried before giving up (each retry means another
/// writer changed the order in between, so this is only reached under a pathological load).
const MAX_SWAP_ATTEMPTS: usize = 200;

/// How long a request waits for a database connection before it is told the database is
/// unavailable (a stopped PostgreSQL is reported after this, not after sqlx's 30 s default).
const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// What can go wrong in the store.
#[derive(Debug)]
pub enum StoreError {
    /// The database refused or failed.
    Database(sqlx::Error),
    /// A stored value does not read back (a state machine refused its own record).
    Corrupt(String),
    /// No such order.
    NotFound,
    /// Too many concurrent writers on one order.
    Contended,
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Database(e) => write!(f, "database: {e}"),
            StoreError::Corrupt(what) => write!(f, "stored record unreadable: {what}"),
            StoreError::NotFound => f.write_str("no such order"),
            StoreError::Contended => f.write_str("the order is changing too fast; try again"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(e)
    }
}

/// One line of an order's history.
#[derive(Clone, Debug, Serialize)]
pub struct Event {
    /// The order's version this event made.
    pub version: i64,
    /// When (unix seconds).
    pub at: i64,
    /// `created`, `notification`, `command`, `reconcile`, `refused`, …
    pub kind: String,
    /// What happened, for people.
    pub detail: String,
}

/// A command in the journal.
#[derive(Clone, Debug, Serialize)]
pub struct CommandRecord {
    /// The key the form carried: a resubmitted form carries the same one.
    pub command_key: String,
    /// The order.
    pub order_id: String,
    /// `capture`, `refund`, `refund_full`, `adjust`, `terminate`, `reconcile`.
    pub kind: String,
    /// The amount asked for, when the command has one.
    pub amount: Option<String>,
    /// The refund reason, when given.
    pub reason: Option<String>,
    /// The payment it is about, when not the order's first (an extra payment's refund).
    pub transaction_id: Option<String>,
    /// `queued`, `sending`, or how it ended: `done`, `refused`, `declined`, `failed`,
    /// `unknown` (the gateway did not confirm; reconciled).
    pub state: String,
    /// What happened, for people.
    pub message: Option<String>,
    /// When it was written down.
    pub created_at: i64,
    /// Who gave it (`None` for commands from before operators existed).
    pub operator: Option<String>,
}

impl CommandRecord {
    /// Whether it is still running (or was interrupted).
    pub fn is_open(&self) -> bool {
        matches!(self.state.as_str(), "queued" | "sending")
    }
}

/// A new command to write down before anything is sent.
#[derive(Clone, Debug)]
pub struct NewCommand<'a> {
    /// The form's key.
    pub command_key: &'a str,
    /// The order.
    pub order_id: &'a str,
    /// What it does.
    pub kind: &'a str,
    /// The amount, when it has one.
    pub amount: Option<&'a str>,
    /// The reason, when given.
    pub reason: Option<&'a str>,
    /// The payment it is about, when not the order's first (an extra payment's refund).
    pub transaction_id: Option<&'a str>,
    /// The signed-in operator who gave it.
    pub operator: Option<&'a str>,
}

/// How a command ended, written in the same transaction as the change it made.
#[derive(Clone, Debug)]
pub struct Finish {
    /// The command.
    pub command_key: String,
    /// Its final state.
    pub state: &'static str,
    /// What happened, for people.
    pub message: String,
}

/// What a [`Store::change`] decider wants done with the order it was handed.
#[derive(Clone, Debug)]
pub enum Decision {
    /// Write the changed order, record the event (and the delivery, if any).
    Apply {
        /// Event kind.
        kind: &'static str,
        /// Event detail.
        detail: String,
    },
    /// Change nothing but record why (a refused notification): the delivery is not recorded,
    /// so a genuine one with the same identity is still applied later.
    Refuse {
        /// Event kind.
        kind: &'static str,
        /// Event detail.
        detail: String,
    },
    /// Write nothing.
    Skip,
}

/// What [`Store::change`] did.
#[derive(Clone, Debug)]
pub enum Changed {
    /// The order as written.
    Applied(Order),
    /// Nothing changed; the refusal was recorded.
    Refused(Order),
    /// Nothing written.
    Skipped(Order),
    /// The delivery was applied before (by this instance or another).
    Duplicate,
}

/// The order store.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    /// SQLite: `BEGIN IMMEDIATE`, so a transaction that will write takes the write lock up
    /// front (waiting for it) instead of failing when two readers both try to write.
    begin: Option<&'static str>,
}

impl Store {
    /// Connects (`sqlite://file.db`, `sqlite::memory:`, `postgres://…`) and runs the
    /// migrations. A SQLite file is created when missing.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let sqlite = url.starts_with("sqlite:");
        let url = if sqlite && !url.contains("mode=") && !url.contains(":memory:") {
            format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
        } else {
            url.to_owned()
        };
        // SQLite has one writer at a time: one connection serialises the writers instead of
        // failing them with "database is locked". PostgreSQL takes a pool.
        let connections = if sqlite { 1 } else { 8 };
        let pool = AnyPoolOptions::new()
            .max_connections(connections)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // A connection handed back still inside a transaction is closed, never reused.
            // SQLite rolls a transaction back by itself on some errors (a full disk, an I/O
            // error); sqlx's own rollback then fails and its transaction counter stays at
            // 1, so every later `BEGIN IMMEDIATE` on that connection would be refused
            // ("begin_with at non-zero transaction depth") until a restart. The ping first
            // lets the connection finish the rollback sqlx queued when the transaction was
            // dropped, so only a connection that really is out of step is closed.
            .after_release(|connection, _| {
                Box::pin(async move {
                    connection.ping().await?;
                    Ok(!connection.is_in_transaction())
                })
            })
            .connect(&url)
            .await?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Database(e.into()))?;
        Ok(Store {
            pool,
            begin: sqlite.then_some("BEGIN IMMEDIATE"),
        })
    }

    /// "Now" by the database's clock (unix seconds): the one clock every instance sharing
    /// the database agrees on, for leases and for how old a record is. Each instance's own
    /// clock may be off by any amount; the database's is the same for all of them.
    pub async fn now(&self) -> Result<i64, StoreError> {
        let query = format!("SELECT {} AS now", self.now_sql());
        let row = sqlx::query(&query).fetch_one(&self.pool).await?;
        Ok(row.try_get("now")?)
    }

    /// [`Store::now`] as an SQL expression, for a query that compares with "now" or stores
    /// it (session and key expiry) in the statement itself, on the database's clock.
    fn now_sql(&self) -> &'static str {
        if self.begin.is_some() {
            "CAST(strftime('%s', 'now') AS BIGINT)"
        } else {
            "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS BIGINT)"
        }
    }

    /// The connection pool, for tooling and tests that need the database itself (a
    /// `PRAGMA`, a look at a table) rather than orders.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self.begin {
            Some(statement) => self.pool.begin_with(statement).await?,
            None => self.pool.begin().await?,
        })
    }

    /// Adds a new order (version 1, with its `created` event).
    pub async fn insert_order(
        &self,
        order: &Order,
        at: i64,
        detail: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO orders (order_id, kind, product, transaction_type, currency, amount, \
             buyer, email, payment, recurring, hold, stage, version, lease, lease_until, created_at, \
             placed_at_gateway) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, NULL, $9, 1, NULL, NULL, $10, $11)",
        )
        .bind(&order.order_id)
        .bind(order.kind.as_str())
        .bind(&order.product)
        .bind(&order.transaction_type)
        .bind(order.currency.code())
        .bind(order.amount.as_str())
        .bind(&order.buyer)
        .bind(&order.email)
        .bind(order.stage().key())
        .bind(at)
        .bind(order.placed_at_gateway)
        .execute(&mut *tx)
        .await?;
        insert_event(&mut tx, &order.order_id, 1, at, "created", detail).await?;
        tx.commit().await?;
        Ok(())
    }

    /// One order.
    pub async fn order(&self, order_id: &str) -> Result<Option<Order>, StoreError> {
        let row = sqlx::query(&format!("{SELECT_ORDER} WHERE order_id = $1"))
            .bind(order_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| read_order(&r)).transpose()
    }

    /// All orders, newest first.
    pub async fn orders(&self) -> Result<Vec<Order>, StoreError> {
        let rows = sqlx::query(&format!(
            "{SELECT_ORDER} ORDER BY created_at DESC, order_id DESC"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(read_order).collect()
    }

    /// One page of orders, newest first: at most `limit` from `offset` on.
    pub async fn orders_page(&self, limit: i64, offset: i64) -> Result<Vec<Order>, StoreError> {
        let rows = sqlx::query(&format!(
            "{SELECT_ORDER} ORDER BY created_at DESC, order_id DESC LIMIT $1 OFFSET $2"
        ))
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(read_order).collect()
    }

    /// The ids of orders in one stage (`needs_reconcile` for the sweeper).
    pub async fn orders_in_stage(&self, stage: &str) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT order_id FROM orders WHERE stage = $1 ORDER BY order_id")
            .bind(stage)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get("order_id"))
            .collect::<Result<_, _>>()?)
    }

    /// Orders still awaiting payment whose age is past `grace` seconds and within
    /// `horizon` seconds, oldest first. An order's age is the larger of its age on the
    /// gateway's clock and on the database's (`now` is both, in that order): see
    /// [`crate::reconcile::LOST_PAYMENT_GRACE`].
    pub async fn orders_awaiting_payment(
        &self,
        (gateway_now, wall_now): (i64, i64),
        grace: i64,
        horizon: i64,
    ) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT order_id FROM orders WHERE stage = 'awaiting_payment' \
             AND (COALESCE(placed_at_gateway, created_at) <= $1 OR created_at <= $2) \
             AND COALESCE(placed_at_gateway, created_at) >= $3 AND created_at >= $4 \
             ORDER BY created_at, order_id",
        )
        .bind(gateway_now.saturating_sub(grace))
        .bind(wall_now.saturating_sub(grace))
        .bind(gateway_now.saturating_sub(horizon))
        .bind(wall_now.saturating_sub(horizon))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get("order_id"))
            .collect::<Result<_, _>>()?)
    }

    /// An order's history, oldest first.
    pub async fn events(&self, order_id: &str) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, at, kind, detail FROM order_events WHERE order_id = $1 ORDER BY version",
        )
        .bind(order_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Event {
                    version: r.try_get("version")?,
                    at: r.try_get("at")?,
                    kind: r.try_get("kind")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }

    /// How many notifications were applied for an order.
    pub async fn delivery_count(&self, order_id: &str) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM deliveries WHERE order_id = $1")
            .bind(order_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// The compare-and-swap every change goes through: load the order, let `decide` change
    /// it, and write it back only if its version is still the one loaded — else reload and
    /// decide again. `delivery` (a notification's identity) is recorded with an applied
    /// change, in the same transaction, and a delivery already recorded is
    /// [`Changed::Duplicate`]. `finish` ends a command (and releases its lease) with the
    /// change.
    pub async fn change(
        &self,
        order_id: &str,
        at: i64,
        delivery: Option<&str>,
        finish: Option<&Finish>,
        mut decide: impl FnMut(&mut Order) -> Decision,
    ) -> Result<Changed, StoreError> {
        for _ in 0..MAX_SWAP_ATTEMPTS {
            let mut tx = self.begin().await?;
            let row = sqlx::query(&format!("{SELECT_ORDER} WHERE order_id = $1"))
                .bind(order_id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else {
                return Err(StoreError::NotFound);
            };
            let mut order = read_order(&row)?;
            if let Some(key) = delivery {
                let seen = sqlx::query("SELECT 1 AS seen FROM deliveries WHERE delivery_key = $1")
                    .bind(key)
                    .fetch_optional(&mut *tx)
                    .await?;
                if seen.is_some() {
                    tx.rollback().await?;
                    return Ok(Changed::Duplicate);
                }
            }
            let loaded_version = order.version;
            let (kind, detail, applied) = match decide(&mut order) {
                Decision::Apply { kind, detail } => (kind, detail, true),
                Decision::Refuse { kind, detail } => {
                    // Whatever the decider touched is dropped: reload what was stored.
                    order = read_order(&row)?;
                    (kind, detail, false)
                }
                Decision::Skip => {
                    if let Some(finish) = finish {
                        finish_command(&mut tx, order_id, finish, at).await?;
                    }
                    tx.commit().await?;
                    return Ok(Changed::Skipped(read_order(&row)?));
                }
            };
            let payment = order.payment.as_ref().map(to_json).transpose()?;
            let recurring = order.recurring.as_ref().map(to_json).transpose()?;
            let extra_payments = Some(&order.extra_payments)
                .filter(|extra| !extra.is_empty())
                .map(to_json)
                .transpose()?;
            let swapped = sqlx::query(
                "UPDATE orders SET payment = $1, recurring = $2, hold = $3, stage = $4, \
                 version = $5, extra_payments = $8 WHERE order_id = $6 AND version = $7",
            )
            .bind(payment)
            .bind(recurring)
            .bind(order.hold.clone())
            .bind(order.stage().key())
            .bind(loaded_version + 1)
            .bind(order_id)
            .bind(loaded_version)
            .bind(extra_payments)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if swapped != 1 {
                // Another writer got there first: decide again on what it wrote.
                tx.rollback().await?;
                continue;
            }
            order.version = loaded_version + 1;
            insert_event(&mut tx, order_id, order.version, at, kind, &detail).await?;
            if let (true, Some(key)) = (applied, delivery) {
                let recorded = sqlx::query(
                    "INSERT INTO deliveries (delivery_key, order_id, at) VALUES ($1, $2, $3) \
                     ON CONFLICT (delivery_key) DO NOTHING",
                )
                .bind(key)
                .bind(order_id)
                .bind(at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if recorded != 1 {
                    tx.rollback().await?;
                    return Ok(Changed::Duplicate);
                }
            }
            if let Some(finish) = finish {
                finish_command(&mut tx, order_id, finish, at).await?;
            }
            tx.commit().await?;
            return Ok(if applied {
                Changed::Applied(order)
            } else {
                Changed::Refused(order)
            });
        }
        Err(StoreError::Contended)
    }
}

const SELECT_ORDER: &str = "SELECT order_id, kind, product, transaction_type, currency, amount, \
     buyer, email, payment, recurring, hold, version, created_at, placed_at_gateway, \
     extra_payments FROM orders";

pub(crate) type Tx = sqlx::Transaction<'static, sqlx::Any>;

async fn insert_event(
    tx: &mut Tx,
    order_id: &str,
    version: i64,
    at: i64,
    kind: &str,
    detail: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO order_events (order_id, version, at, kind, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(order_id)
    .bind(version)
    .bind(at)
    .bind(kind)
    .bind(detail)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn read_order(row: &AnyRow) -> Result<Order, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(what.to_owned());
    let currency = Currency::from_code(&row.try_get::<String, _>("currency")?);
    let amount = Amount::parse_in(&row.try_get::<String, _>("amount")?, &currency)
        .map_err(|e| StoreError::Corrupt(format!("order amount: {e}")))?;
    let payment: Option<String> = row.try_get("payment")?;
    let recurring: Option<String> = row.try_get("recurring")?;
    let extra_payments: Option<String> = row.try_get("extra_payments")?;
    Ok(Order {
        order_id: row.try_get("order_id")?,
        kind: OrderKind::from_key(&row.try_get::<String, _>("kind")?)
            .ok_or_else(|| corrupt("order kind"))?,
        product: row.try_get("product")?,
        transaction_type: row.try_get("transaction_type")?,
        currency,
        amount,
        buyer: row.try_get("buyer")?,
        email: row.try_get("email")?,
        payment: payment
            .map(|text| serde_json::from_str::<Payment>(&text))
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("payment: {e}")))?,
        recurring: recurring
            .map(|text| serde_json::from_str::<Recurring>(&text))
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("recurring: {e}")))?,
        extra_payments: extra_payments
            .map(|text| serde_json::from_str::<Vec<Payment>>(&text))
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("extra payments: {e}")))?
            .unwrap_or_default(),
        hold: row.try_get("hold")?,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        placed_at_gateway: row.try_get("placed_at_gateway")?,
    })
}
