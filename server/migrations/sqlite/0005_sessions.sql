-- Browser sessions (tower-sessions records, MessagePack). Created here rather than by the
-- session store at start-up, so that every table is in the migrations.
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY NOT NULL,
    data BLOB NOT NULL,
    expiry_date INTEGER NOT NULL
);
