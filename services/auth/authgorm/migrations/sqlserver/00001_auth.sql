-- +goose Up
CREATE TABLE auth_users (
    id          NVARCHAR(36)  NOT NULL PRIMARY KEY,
    issuer      NVARCHAR(255) NOT NULL,
    subject     NVARCHAR(255) NOT NULL,
    email       NVARCHAR(320) NOT NULL DEFAULT '',
    name        NVARCHAR(200) NOT NULL DEFAULT '',
    roles       NVARCHAR(200) NOT NULL DEFAULT '',
    disabled    BIT          NOT NULL DEFAULT 0,
    created_at  DATETIME2  NOT NULL,
    updated_at  DATETIME2  NOT NULL,
    CONSTRAINT uq_auth_users_identity UNIQUE (issuer, subject)
);
CREATE TABLE auth_passwords (
    user_id     NVARCHAR(36)  NOT NULL PRIMARY KEY REFERENCES auth_users (id) ON DELETE CASCADE,
    hash        NVARCHAR(255) NOT NULL,
    updated_at  DATETIME2  NOT NULL
);
CREATE TABLE auth_totp_secrets (
    user_id     NVARCHAR(36)  NOT NULL PRIMARY KEY REFERENCES auth_users (id) ON DELETE CASCADE,
    ciphertext  VARBINARY(512)        NOT NULL,
    key_id      NVARCHAR(100) NOT NULL,
    created_at  DATETIME2  NOT NULL
);
CREATE TABLE auth_totp_used (
    user_id     NVARCHAR(36)  NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
    step        BIGINT       NOT NULL,
    used_at     DATETIME2  NOT NULL,
    PRIMARY KEY (user_id, step)
);
CREATE TABLE auth_sessions (
    id             NVARCHAR(36)  NOT NULL PRIMARY KEY,
    user_id        NVARCHAR(36)  NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
    method         NVARCHAR(20)  NOT NULL,
    created_at     DATETIME2  NOT NULL,
    expires_at     DATETIME2  NOT NULL,
    revoked_at     DATETIME2  NULL,
    revoke_reason  NVARCHAR(200) NOT NULL DEFAULT ''
);
CREATE INDEX idx_auth_sessions_user ON auth_sessions (user_id);
CREATE INDEX idx_auth_sessions_revoked ON auth_sessions (revoked_at);
CREATE TABLE auth_refresh_tokens (
    hash        VARCHAR(64)  NOT NULL PRIMARY KEY,
    session_id  NVARCHAR(36)  NOT NULL REFERENCES auth_sessions (id) ON DELETE CASCADE,
    created_at  DATETIME2  NOT NULL,
    expires_at  DATETIME2  NOT NULL,
    rotated_at  DATETIME2  NULL,
    revoked_at  DATETIME2  NULL
);
CREATE INDEX idx_auth_refresh_tokens_session ON auth_refresh_tokens (session_id);
CREATE INDEX idx_auth_refresh_tokens_expires ON auth_refresh_tokens (expires_at);
CREATE TABLE auth_oidc_states (
    state_hash     VARCHAR(64)   NOT NULL PRIMARY KEY,
    nonce          NVARCHAR(100)  NOT NULL,
    code_verifier  NVARCHAR(200)  NOT NULL,
    redirect_uri   NVARCHAR(2000) NOT NULL,
    created_at     DATETIME2   NOT NULL,
    expires_at     DATETIME2   NOT NULL
);
CREATE INDEX idx_auth_oidc_states_expires ON auth_oidc_states (expires_at);
CREATE TABLE auth_login_flows (
    id_hash      VARCHAR(64)  NOT NULL PRIMARY KEY,
    kind         NVARCHAR(20)  NOT NULL CHECK (kind IN ('login', 'mfa', 'challenge')),
    email        NVARCHAR(320) NOT NULL,
    user_id      NVARCHAR(36)  NOT NULL DEFAULT '',
    created_at   DATETIME2  NOT NULL,
    expires_at   DATETIME2  NOT NULL,
    consumed_at  DATETIME2  NULL
);
CREATE INDEX idx_auth_login_flows_expires ON auth_login_flows (expires_at);
CREATE TABLE auth_throttles (
    throttle_key     NVARCHAR(400) NOT NULL PRIMARY KEY,
    failures         INTEGER      NOT NULL CHECK (failures >= 0),
    last_failure_at  DATETIME2  NOT NULL
);
CREATE TABLE auth_security_events (
    id           NVARCHAR(36)   NOT NULL PRIMARY KEY,
    occurred_at  DATETIME2   NOT NULL,
    kind         NVARCHAR(40)   NOT NULL,
    user_id      NVARCHAR(36)   NOT NULL DEFAULT '',
    session_id   NVARCHAR(80)   NOT NULL DEFAULT '',
    ip           NVARCHAR(64) NOT NULL DEFAULT '',
    detail       NVARCHAR(1000) NOT NULL DEFAULT ''
);
CREATE INDEX idx_auth_security_events_user ON auth_security_events (user_id, occurred_at);
-- +goose Down
DROP TABLE auth_security_events;
DROP TABLE auth_throttles;
DROP TABLE auth_login_flows;
DROP TABLE auth_oidc_states;
DROP TABLE auth_refresh_tokens;
DROP TABLE auth_sessions;
DROP TABLE auth_totp_used;
DROP TABLE auth_totp_secrets;
DROP TABLE auth_passwords;
DROP TABLE auth_users;
