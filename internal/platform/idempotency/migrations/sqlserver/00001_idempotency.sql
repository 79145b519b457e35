-- +goose Up
CREATE TABLE idempotency_keys (
    scope_key     NVARCHAR(400) NOT NULL PRIMARY KEY,
    request_hash  NVARCHAR(64)  NOT NULL,
    state         NVARCHAR(16)  NOT NULL CHECK (state IN ('in_flight', 'done')),
    status_code   INT           NOT NULL DEFAULT 0,
    content_type  NVARCHAR(100) NOT NULL DEFAULT '',
    body          VARBINARY(MAX),
    created_at    DATETIME2     NOT NULL,
    expires_at    DATETIME2     NOT NULL
);
CREATE INDEX idx_idempotency_keys_expires ON idempotency_keys (expires_at);
-- +goose Down
DROP TABLE idempotency_keys;
