-- +goose Up
CREATE TABLE outbox_events (
    seq           BIGINT IDENTITY(1,1) PRIMARY KEY,
    event_id      NVARCHAR(200)  NOT NULL UNIQUE,
    topic         NVARCHAR(100)  NOT NULL,
    aggregate_id  NVARCHAR(100)  NOT NULL,
    event_type    NVARCHAR(100)  NOT NULL,
    payload       VARBINARY(MAX) NOT NULL,
    occurred_at   DATETIME2      NOT NULL,
    sent_at       DATETIME2      NULL,
    attempts      INT            NOT NULL DEFAULT 0
);
CREATE INDEX idx_outbox_events_unsent ON outbox_events (sent_at, seq);
CREATE TABLE outbox_leases (
    name        NVARCHAR(100) PRIMARY KEY,
    owner       NVARCHAR(100) NOT NULL,
    expires_at  DATETIME2     NOT NULL
);
-- +goose Down
DROP TABLE outbox_leases;
DROP TABLE outbox_events;
