-- +goose Up
CREATE TABLE outbox_events (
    seq           INTEGER  PRIMARY KEY AUTOINCREMENT,
    event_id      TEXT     NOT NULL UNIQUE,
    topic         TEXT     NOT NULL,
    aggregate_id  TEXT     NOT NULL,
    event_type    TEXT     NOT NULL,
    payload       BLOB     NOT NULL,
    occurred_at   DATETIME NOT NULL,
    sent_at       DATETIME,
    attempts      INTEGER  NOT NULL DEFAULT 0
);
CREATE INDEX idx_outbox_events_unsent ON outbox_events (sent_at, seq);
CREATE TABLE outbox_leases (
    name        TEXT     PRIMARY KEY,
    owner       TEXT     NOT NULL,
    expires_at  DATETIME NOT NULL
);
-- +goose Down
DROP TABLE outbox_leases;
DROP TABLE outbox_events;
