-- PostgreSQL twin of ../sqlite/0009: log-in and reset throttling windows, shared by replicas.
CREATE TABLE throttle (
    key          TEXT COLLATE "C" PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits         BIGINT NOT NULL
);
CREATE INDEX throttle_window ON throttle (window_start);
