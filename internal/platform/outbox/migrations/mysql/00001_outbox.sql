-- +goose Up
CREATE TABLE outbox_events (
    seq           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    event_id      VARCHAR(200) NOT NULL,
    topic         VARCHAR(100) NOT NULL,
    aggregate_id  VARCHAR(100) NOT NULL,
    event_type    VARCHAR(100) NOT NULL,
    payload       MEDIUMBLOB   NOT NULL,
    occurred_at   DATETIME(6)  NOT NULL,
    sent_at       DATETIME(6)  NULL,
    attempts      INT          NOT NULL DEFAULT 0,
    UNIQUE KEY uq_outbox_events_event_id (event_id),
    INDEX idx_outbox_events_unsent (sent_at, seq)
);
CREATE TABLE outbox_leases (
    name        VARCHAR(100) NOT NULL PRIMARY KEY,
    owner       VARCHAR(100) NOT NULL,
    expires_at  DATETIME(6)  NOT NULL
);
-- +goose Down
DROP TABLE outbox_leases;
DROP TABLE outbox_events;
