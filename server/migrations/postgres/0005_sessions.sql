-- PostgreSQL twin of ../sqlite/0005: browser sessions (tower-sessions records, MessagePack).
CREATE TABLE sessions (
    id          TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    data        BYTEA NOT NULL,
    expiry_date BIGINT NOT NULL
);
