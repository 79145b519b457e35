-- +goose Up
CREATE TABLE payment_intents (
    id              NVARCHAR(40)  NOT NULL PRIMARY KEY,
    booking_id      NVARCHAR(64)  NOT NULL,
    customer_id     NVARCHAR(64)  NOT NULL DEFAULT '',
    provider        NVARCHAR(32)  NOT NULL,
    provider_ref    NVARCHAR(64)  NOT NULL DEFAULT '',
    status          NVARCHAR(32)  NOT NULL CHECK (status IN ('requires_payment_method','requires_action','authorized','captured','partially_refunded','refunded','canceled','failed')),
    amount          BIGINT     NOT NULL CHECK (amount > 0),
    currency        NVARCHAR(3)   NOT NULL,
    captured        BIGINT     NOT NULL DEFAULT 0,
    refunded        BIGINT     NOT NULL DEFAULT 0,
    token           NVARCHAR(100) NOT NULL DEFAULT '',
    brand           NVARCHAR(32)  NOT NULL DEFAULT '',
    last4           NVARCHAR(4)   NOT NULL DEFAULT '',
    next_action_url NVARCHAR(500) NOT NULL DEFAULT '',
    decline_code    NVARCHAR(64)  NOT NULL DEFAULT '',
    version         BIGINT     NOT NULL,
    created_at      DATETIME2      NOT NULL,
    updated_at      DATETIME2      NOT NULL,
    CONSTRAINT chk_payment_intents_money CHECK (captured >= 0 AND captured <= amount AND refunded >= 0 AND refunded <= captured)
);
CREATE INDEX idx_payment_intents_booking ON payment_intents (booking_id);

CREATE TABLE payment_operations (
    idempotency_key NVARCHAR(255) NOT NULL PRIMARY KEY,
    kind            NVARCHAR(16)  NOT NULL,
    payment_id      NVARCHAR(40)  NOT NULL,
    request_hash    NVARCHAR(64)  NOT NULL,
    state           NVARCHAR(16)  NOT NULL CHECK (state IN ('in_flight', 'done')),
    decline_code    NVARCHAR(64)  NOT NULL DEFAULT '',
    lease_until     DATETIME2      NOT NULL,
    created_at      DATETIME2      NOT NULL
);

CREATE TABLE payment_webhook_events (
    id          NVARCHAR(100) NOT NULL PRIMARY KEY,
    type        NVARCHAR(64)  NOT NULL,
    payment_id  NVARCHAR(40)  NOT NULL,
    payload     NVARCHAR(MAX)    NOT NULL,
    outcome     NVARCHAR(32)  NOT NULL,
    received_at DATETIME2      NOT NULL
);
CREATE INDEX idx_payment_webhook_events_payment ON payment_webhook_events (payment_id);

CREATE TABLE payment_signals (
    event_id        NVARCHAR(100) NOT NULL PRIMARY KEY,
    booking_id      NVARCHAR(64)  NOT NULL,
    payment_id      NVARCHAR(40)  NOT NULL,
    type            NVARCHAR(64)  NOT NULL,
    status          NVARCHAR(32)  NOT NULL,
    attempts        INTEGER   NOT NULL DEFAULT 0,
    next_attempt_at DATETIME2      NOT NULL,
    delivered_at    DATETIME2      NULL,
    gave_up         BIT       NOT NULL DEFAULT 0,
    last_error      NVARCHAR(1000) NOT NULL DEFAULT ''
);
CREATE INDEX idx_payment_signals_due ON payment_signals (delivered_at, gave_up, next_attempt_at);

CREATE TABLE payment_audit_log (
    seq          BIGINT     NOT NULL PRIMARY KEY,
    at           DATETIME2      NOT NULL,
    actor        NVARCHAR(200) NOT NULL,
    action       NVARCHAR(64)  NOT NULL,
    payment_id   NVARCHAR(40)  NOT NULL,
    reason       NVARCHAR(1000) NOT NULL DEFAULT '',
    before_state NVARCHAR(MAX)    NOT NULL,
    after_state  NVARCHAR(MAX)    NOT NULL,
    prev_hash    NVARCHAR(64)  NOT NULL,
    hash         NVARCHAR(64)  NOT NULL
);
CREATE INDEX idx_payment_audit_log_payment ON payment_audit_log (payment_id);

CREATE TABLE payment_audit_head (
    id   INTEGER  NOT NULL PRIMARY KEY,
    seq  BIGINT    NOT NULL,
    hash NVARCHAR(64) NOT NULL
);
INSERT INTO payment_audit_head (id, seq, hash) VALUES (1, 0, '');

CREATE TABLE sandbox_charges (
    id           NVARCHAR(40)  NOT NULL PRIMARY KEY,
    payment_id   NVARCHAR(40)  NOT NULL,
    token        NVARCHAR(100) NOT NULL,
    amount       BIGINT     NOT NULL,
    currency     NVARCHAR(3)   NOT NULL,
    status       NVARCHAR(32)  NOT NULL,
    brand        NVARCHAR(32)  NOT NULL DEFAULT '',
    last4        NVARCHAR(4)   NOT NULL DEFAULT '',
    decline_code NVARCHAR(64)  NOT NULL DEFAULT '',
    captured     BIGINT     NOT NULL DEFAULT 0,
    refunded     BIGINT     NOT NULL DEFAULT 0,
    complete_at  DATETIME2      NULL,
    created_at   DATETIME2      NOT NULL,
    updated_at   DATETIME2      NOT NULL
);
CREATE INDEX idx_sandbox_charges_payment ON sandbox_charges (payment_id);
CREATE INDEX idx_sandbox_charges_complete ON sandbox_charges (status, complete_at);

CREATE TABLE sandbox_requests (
    idempotency_key NVARCHAR(255) NOT NULL,
    op              NVARCHAR(16)  NOT NULL,
    request_hash    NVARCHAR(64)  NOT NULL,
    charge_id       NVARCHAR(40)  NOT NULL,
    response        NVARCHAR(MAX)    NOT NULL,
    created_at      DATETIME2      NOT NULL,
    PRIMARY KEY (idempotency_key, op)
);

CREATE TABLE sandbox_webhooks (
    event_id        NVARCHAR(100) NOT NULL PRIMARY KEY,
    payload         NVARCHAR(MAX)    NOT NULL,
    attempts        INTEGER   NOT NULL DEFAULT 0,
    next_attempt_at DATETIME2      NOT NULL,
    delivered_at    DATETIME2      NULL,
    gave_up         BIT       NOT NULL DEFAULT 0,
    last_error      NVARCHAR(1000) NOT NULL DEFAULT ''
);
CREATE INDEX idx_sandbox_webhooks_due ON sandbox_webhooks (delivered_at, gave_up, next_attempt_at);

-- +goose Down
DROP TABLE sandbox_webhooks;
DROP TABLE sandbox_requests;
DROP TABLE sandbox_charges;
DROP TABLE payment_audit_head;
DROP TABLE payment_audit_log;
DROP TABLE payment_signals;
DROP TABLE payment_webhook_events;
DROP TABLE payment_operations;
DROP TABLE payment_intents;
