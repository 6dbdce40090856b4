-- One schema for SQLite and PostgreSQL: TEXT and BIGINT only, no serial ids, no booleans.

-- An order and the core's state machines for it, serialised with serde. Every change is a
-- compare-and-swap on `version`; a money-moving command holds the order's lease (`lease`,
-- until `lease_until`, unix seconds) while it talks to the gateway.
CREATE TABLE orders (
    order_id         TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    product          TEXT NOT NULL,
    transaction_type TEXT NOT NULL,
    currency         TEXT NOT NULL,
    amount           TEXT NOT NULL,
    buyer            TEXT NOT NULL,
    email            TEXT NOT NULL,
    payment          TEXT,
    recurring        TEXT,
    hold             TEXT,
    stage            TEXT NOT NULL,
    version          BIGINT NOT NULL,
    lease            TEXT,
    lease_until      BIGINT,
    created_at       BIGINT NOT NULL
);

-- What happened to an order, one row per version (every change bumps it).
CREATE TABLE order_events (
    order_id TEXT NOT NULL REFERENCES orders (order_id),
    version  BIGINT NOT NULL,
    at       BIGINT NOT NULL,
    kind     TEXT NOT NULL,
    detail   TEXT NOT NULL,
    PRIMARY KEY (order_id, version)
);

-- Notifications applied, by identity (transaction id | status | rescode): inserted in the
-- same transaction as the change they make, so no two instances apply one twice.
CREATE TABLE deliveries (
    delivery_key TEXT PRIMARY KEY,
    order_id     TEXT NOT NULL,
    at           BIGINT NOT NULL
);

-- The command journal: a money-moving command is written here before the gateway is called
-- (`queued`), marked `sending` when it holds the order's lease, and finished (`done`,
-- `refused`, `declined`, `failed`, `unknown`) when its result has been applied.
CREATE TABLE commands (
    command_key TEXT PRIMARY KEY,
    order_id    TEXT NOT NULL REFERENCES orders (order_id),
    kind        TEXT NOT NULL,
    amount      TEXT,
    reason      TEXT,
    state       TEXT NOT NULL,
    message     TEXT,
    created_at  BIGINT NOT NULL,
    finished_at BIGINT
);

CREATE INDEX orders_by_stage ON orders (stage);
CREATE INDEX commands_by_order ON commands (order_id, created_at);
CREATE INDEX commands_by_state ON commands (state);
