-- +goose Up
CREATE TABLE payment_intents (
    id              VARCHAR(40)  NOT NULL PRIMARY KEY,
    booking_id      VARCHAR(64)  NOT NULL,
    customer_id     VARCHAR(64)  NOT NULL DEFAULT '',
    provider        VARCHAR(32)  NOT NULL,
    provider_ref    VARCHAR(64)  NOT NULL DEFAULT '',
    status          VARCHAR(32)  NOT NULL CHECK (status IN ('requires_payment_method','requires_action','authorized','captured','partially_refunded','refunded','canceled','failed')),
    amount          BIGINT     NOT NULL CHECK (amount > 0),
    currency        VARCHAR(3)   NOT NULL,
    captured        BIGINT     NOT NULL DEFAULT 0,
    refunded        BIGINT     NOT NULL DEFAULT 0,
    token           VARCHAR(100) NOT NULL DEFAULT '',
    brand           VARCHAR(32)  NOT NULL DEFAULT '',
    last4           VARCHAR(4)   NOT NULL DEFAULT '',
    next_action_url VARCHAR(500) NOT NULL DEFAULT '',
    decline_code    VARCHAR(64)  NOT NULL DEFAULT '',
    version         BIGINT     NOT NULL,
    created_at      TIMESTAMPTZ      NOT NULL,
    updated_at      TIMESTAMPTZ      NOT NULL,
    CONSTRAINT chk_payment_intents_money CHECK (captured >= 0 AND captured <= amount AND refunded >= 0 AND refunded <= captured)
);
CREATE INDEX idx_payment_intents_booking ON payment_intents (booking_id);

CREATE TABLE payment_operations (
    idempotency_key VARCHAR(255) NOT NULL PRIMARY KEY,
    kind            VARCHAR(16)  NOT NULL,
    payment_id      VARCHAR(40)  NOT NULL,
    request_hash    VARCHAR(64)  NOT NULL,
    state           VARCHAR(16)  NOT NULL CHECK (state IN ('in_flight', 'done')),
    decline_code    VARCHAR(64)  NOT NULL DEFAULT '',
    lease_until     TIMESTAMPTZ      NOT NULL,
    created_at      TIMESTAMPTZ      NOT NULL
);

CREATE TABLE payment_webhook_events (
    id          VARCHAR(100) NOT NULL PRIMARY KEY,
    type        VARCHAR(64)  NOT NULL,
    payment_id  VARCHAR(40)  NOT NULL,
    payload     TEXT    NOT NULL,
    outcome     VARCHAR(32)  NOT NULL,
    received_at TIMESTAMPTZ      NOT NULL
);
CREATE INDEX idx_payment_webhook_events_payment ON payment_webhook_events (payment_id);

CREATE TABLE payment_signals (
    event_id        VARCHAR(100) NOT NULL PRIMARY KEY,
    booking_id      VARCHAR(64)  NOT NULL,
    payment_id      VARCHAR(40)  NOT NULL,
    type            VARCHAR(64)  NOT NULL,
    status          VARCHAR(32)  NOT NULL,
    attempts        INTEGER   NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ      NOT NULL,
    delivered_at    TIMESTAMPTZ      NULL,
    gave_up         BOOLEAN       NOT NULL DEFAULT FALSE,
    last_error      VARCHAR(1000) NOT NULL DEFAULT ''
);
CREATE INDEX idx_payment_signals_due ON payment_signals (delivered_at, gave_up, next_attempt_at);

CREATE TABLE payment_audit_log (
    seq          BIGINT     NOT NULL PRIMARY KEY,
    at           TIMESTAMPTZ      NOT NULL,
    actor        VARCHAR(200) NOT NULL,
    action       VARCHAR(64)  NOT NULL,
    payment_id   VARCHAR(40)  NOT NULL,
    reason       VARCHAR(1000) NOT NULL DEFAULT '',
    before_state TEXT    NOT NULL,
    after_state  TEXT    NOT NULL,
    prev_hash    VARCHAR(64)  NOT NULL,
    hash         VARCHAR(64)  NOT NULL
);
CREATE INDEX idx_payment_audit_log_payment ON payment_audit_log (payment_id);

CREATE TABLE payment_audit_head (
    id   INTEGER  NOT NULL PRIMARY KEY,
    seq  BIGINT    NOT NULL,
    hash VARCHAR(64) NOT NULL
);
INSERT INTO payment_audit_head (id, seq, hash) VALUES (1, 0, '');

CREATE TABLE sandbox_charges (
    id           VARCHAR(40)  NOT NULL PRIMARY KEY,
    payment_id   VARCHAR(40)  NOT NULL,
    token        VARCHAR(100) NOT NULL,
    amount       BIGINT     NOT NULL,
    currency     VARCHAR(3)   NOT NULL,
    status       VARCHAR(32)  NOT NULL,
    brand        VARCHAR(32)  NOT NULL DEFAULT '',
    last4        VARCHAR(4)   NOT NULL DEFAULT '',
    decline_code VARCHAR(64)  NOT NULL DEFAULT '',
    captured     BIGINT     NOT NULL DEFAULT 0,
    refunded     BIGINT     NOT NULL DEFAULT 0,
    complete_at  TIMESTAMPTZ      NULL,
    created_at   TIMESTAMPTZ      NOT NULL,
    updated_at   TIMESTAMPTZ      NOT NULL
);
CREATE INDEX idx_sandbox_charges_payment ON sandbox_charges (payment_id);
CREATE INDEX idx_sandbox_charges_complete ON sandbox_charges (status, complete_at);

CREATE TABLE sandbox_requests (
    idempotency_key VARCHAR(255) NOT NULL,
    op              VARCHAR(16)  NOT NULL,
    request_hash    VARCHAR(64)  NOT NULL,
    charge_id       VARCHAR(40)  NOT NULL,
    response        TEXT    NOT NULL,
    created_at      TIMESTAMPTZ      NOT NULL,
    PRIMARY KEY (idempotency_key, op)
);

CREATE TABLE sandbox_webhooks (
    event_id        VARCHAR(100) NOT NULL PRIMARY KEY,
    payload         TEXT    NOT NULL,
    attempts        INTEGER   NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ      NOT NULL,
    delivered_at    TIMESTAMPTZ      NULL,
    gave_up         BOOLEAN       NOT NULL DEFAULT FALSE,
    last_error      VARCHAR(1000) NOT NULL DEFAULT ''
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
