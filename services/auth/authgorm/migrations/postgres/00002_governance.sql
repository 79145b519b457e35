-- +goose Up
-- Staff access governance: TOTP recovery codes (HMAC-SHA256 under the
-- otp-hash key, single use) and two-person MFA reset requests.
CREATE TABLE auth_recovery_codes (
    user_id      VARCHAR(36)  NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
    code_hash    VARCHAR(64)  NOT NULL,
    key_version  INTEGER      NOT NULL,
    created_at   TIMESTAMPTZ  NOT NULL,
    used_at      TIMESTAMPTZ  NULL,
    PRIMARY KEY (user_id, code_hash)
);
CREATE TABLE auth_mfa_resets (
    id            VARCHAR(36)   NOT NULL PRIMARY KEY,
    user_id       VARCHAR(36)   NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
    requested_by  VARCHAR(36)   NOT NULL,
    reason        VARCHAR(1000) NOT NULL,
    created_at    TIMESTAMPTZ   NOT NULL,
    expires_at    TIMESTAMPTZ   NOT NULL,
    approved_by   VARCHAR(36)   NOT NULL DEFAULT '',
    approved_at   TIMESTAMPTZ   NULL,
    CHECK (approved_by = '' OR approved_by <> requested_by)
);
CREATE INDEX idx_auth_mfa_resets_user ON auth_mfa_resets (user_id);
-- +goose Down
DROP TABLE auth_mfa_resets;
DROP TABLE auth_recovery_codes;
