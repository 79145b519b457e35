-- +goose Up
CREATE TABLE idempotency_keys (
    scope_key     TEXT    NOT NULL PRIMARY KEY,
    request_hash  TEXT    NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('in_flight', 'done')),
    status_code   INTEGER NOT NULL DEFAULT 0,
    content_type  TEXT    NOT NULL DEFAULT '',
    body          BLOB,
    created_at    DATETIME NOT NULL,
    expires_at    DATETIME NOT NULL
);
CREATE INDEX idx_idempotency_keys_expires ON idempotency_keys (expires_at);
-- +goose Down
DROP TABLE idempotency_keys;
