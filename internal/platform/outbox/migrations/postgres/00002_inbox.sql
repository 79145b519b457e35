-- +goose Up
-- The inbox of idempotent consumers: one row per (consumer, event) applied,
-- written in the same transaction as the effect.
CREATE TABLE inbox_events (
    consumer     VARCHAR(100) NOT NULL,
    event_id     VARCHAR(200) NOT NULL,
    applied_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
-- +goose Down
DROP TABLE inbox_events;
