-- +goose Up
CREATE TABLE idempotency_keys (
    scope_key     VARCHAR(400) NOT NULL PRIMARY KEY,
    request_hash  VARCHAR(64)  NOT NULL,
    state         VARCHAR(16)  NOT NULL CHECK (state IN ('in_flight', 'done')),
    status_code   INT          NOT NULL DEFAULT 0,
    content_type  VARCHAR(100) NOT NULL DEFAULT '',
    body          MEDIUMBLOB,
    created_at    DATETIME(6)  NOT NULL,
    expires_at    DATETIME(6)  NOT NULL,
    INDEX idx_idempotency_keys_expires (expires_at)
);
-- +goose Down
DROP TABLE idempotency_keys;
