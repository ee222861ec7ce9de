-- PostgreSQL twin of ../sqlite/0005: browser sessions (tower-sessions records, MessagePack).
-- The store binds the expiry as a timestamp (in SQLite that lands as text despite INTEGER).
CREATE TABLE sessions (
    id          TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    data        BYTEA NOT NULL,
    expiry_date TIMESTAMPTZ NOT NULL
);
