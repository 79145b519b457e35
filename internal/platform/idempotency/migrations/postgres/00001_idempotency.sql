-- +goose Up
CREATE TABLE idempotency_keys (
    scope_key     VARCHAR(400) NOT NULL PRIMARY KEY,
    request_hash  VARCHAR(64)  NOT NULL,
    state         VARCHAR(16)  NOT NULL CHECK (state IN ('in_flight', 'done')),
    status_code   INTEGER      NOT NULL DEFAULT 0,
    content_type  VARCHAR(100) NOT NULL DEFAULT '',
    body          BYTEA,
    created_at    TIMESTAMPTZ  NOT NULL,
    expires_at    TIMESTAMPTZ  NOT NULL
);
CREATE INDEX idx_idempotency_keys_expires ON idempotency_keys (expires_at);
-- +goose Down
DROP TABLE idempotency_keys;
