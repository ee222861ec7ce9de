-- PostgreSQL twin of ../sqlite/0006.
ALTER TABLE users ADD COLUMN display_name TEXT COLLATE "C";
