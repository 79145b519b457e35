-- +goose Up
-- The inbox of idempotent consumers: one row per (consumer, event) applied,
-- written in the same transaction as the effect.
CREATE TABLE inbox_events (
    consumer     TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    applied_at   DATETIME NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
-- +goose Down
DROP TABLE inbox_events;
