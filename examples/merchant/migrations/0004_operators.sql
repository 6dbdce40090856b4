-- Who may use the back office, and what each of them did. TEXT and BIGINT only, as in 0001.

-- Operators, created with `eximbay-merchant operator add NAME`. `password_hash` is an argon2id
-- PHC string (salt and parameters included); the password itself is never stored.
CREATE TABLE operators (
    name          TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

-- Signed-in sessions, in the database so that every instance knows them. Keyed by the
-- SHA-256 of the cookie's token: a copy of this table signs nobody in. `csrf` is the token
-- every back-office form of this session carries.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    operator   TEXT NOT NULL REFERENCES operators (name),
    csrf       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Failed sign-ins, by subject (`name:<operator>` and `client:<address>`), counted over a
-- window to refuse further attempts.
CREATE TABLE sign_in_failures (
    subject TEXT NOT NULL,
    at      BIGINT NOT NULL
);

-- Command keys minted with the order page, one per button: the command journal accepts a
-- key only for the order, the action and the operator it was minted for.
CREATE TABLE command_keys (
    command_key TEXT PRIMARY KEY,
    order_id    TEXT NOT NULL REFERENCES orders (order_id),
    action      TEXT NOT NULL,
    operator    TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);

-- Who gave each command (NULL for commands journalled before operators existed).
ALTER TABLE commands ADD COLUMN operator TEXT;

CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX sign_in_failures_by_subject ON sign_in_failures (subject, at);
CREATE INDEX command_keys_by_expiry ON command_keys (expires_at);
