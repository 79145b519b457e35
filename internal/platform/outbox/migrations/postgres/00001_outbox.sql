-- +goose Up
CREATE TABLE outbox_events (
    seq           BIGSERIAL    PRIMARY KEY,
    event_id      VARCHAR(200) NOT NULL UNIQUE,
    topic         VARCHAR(100) NOT NULL,
    aggregate_id  VARCHAR(100) NOT NULL,
    event_type    VARCHAR(100) NOT NULL,
    payload       BYTEA        NOT NULL,
    occurred_at   TIMESTAMPTZ  NOT NULL,
    sent_at       TIMESTAMPTZ,
    attempts      INTEGER      NOT NULL DEFAULT 0
);
CREATE INDEX idx_outbox_events_unsent ON outbox_events (sent_at, seq);
CREATE TABLE outbox_leases (
    name        VARCHAR(100) PRIMARY KEY,
    owner       VARCHAR(100) NOT NULL,
    expires_at  TIMESTAMPTZ  NOT NULL
);
-- +goose Down
DROP TABLE outbox_leases;
DROP TABLE outbox_events;
