-- +goose Up
CREATE TABLE auth_users (
    id          VARCHAR(36)  NOT NULL PRIMARY KEY,
    issuer      VARCHAR(255) NOT NULL,
    subject     VARCHAR(255) NOT NULL,
    email       VARCHAR(320) NOT NULL DEFAULT '',
    name        VARCHAR(200) NOT NULL DEFAULT '',
    roles       VARCHAR(200) NOT NULL DEFAULT '',
    disabled    BOOLEAN      NOT NULL DEFAULT FALSE,
    created_at  DATETIME  NOT NULL,
    updated_at  DATETIME  NOT NULL,
    CONSTRAINT uq_auth_users_identity UNIQUE (issuer, subject)
);
CREATE TABLE auth_passwords (
    user_id     VARCHAR(36)  NOT NULL PRIMARY KEY REFERENCES auth_users (id) ON DELETE CASCADE,
    hash        VARCHAR(255) NOT NULL,
    updated_at  DATETIME  NOT NULL
);
CREATE TABLE auth_totp_secrets (
    user_id     VARCHAR(36)  NOT NULL PRIMARY KEY REFERENCES auth_users (id) ON DELETE CASCADE,
    ciphertext  BLOB        NOT NULL,
    key_id      VARCHAR(100) NOT NULL,
    created_at  DATETIME  NOT NULL
);
CREATE TABLE auth_totp_used (
    user_id     VARCHAR(36)  NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
    step        BIGINT       NOT NULL,
    used_at     DATETIME  NOT NULL,
    PRIMARY KEY (user_id, step)
);
CREATE TABLE auth_sessions (
    id             VARCHAR(36)  NOT NULL PRIMARY KEY,
    user_id        VARCHAR(36)  NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
    method         VARCHAR(20)  NOT NULL,
    created_at     DATETIME  NOT NULL,
    expires_at     DATETIME  NOT NULL,
    revoked_at     DATETIME  NULL,
    revoke_reason  VARCHAR(200) NOT NULL DEFAULT ''
);
CREATE INDEX idx_auth_sessions_user ON auth_sessions (user_id);
CREATE INDEX idx_auth_sessions_revoked ON auth_sessions (revoked_at);
CREATE TABLE auth_refresh_tokens (
    hash        VARCHAR(64)  NOT NULL PRIMARY KEY,
    session_id  VARCHAR(36)  NOT NULL REFERENCES auth_sessions (id) ON DELETE CASCADE,
    created_at  DATETIME  NOT NULL,
    expires_at  DATETIME  NOT NULL,
    rotated_at  DATETIME  NULL,
    revoked_at  DATETIME  NULL
);
CREATE INDEX idx_auth_refresh_tokens_session ON auth_refresh_tokens (session_id);
CREATE INDEX idx_auth_refresh_tokens_expires ON auth_refresh_tokens (expires_at);
CREATE TABLE auth_oidc_states (
    state_hash     VARCHAR(64)   NOT NULL PRIMARY KEY,
    nonce          VARCHAR(100)  NOT NULL,
    code_verifier  VARCHAR(200)  NOT NULL,
    redirect_uri   VARCHAR(2000) NOT NULL,
    created_at     DATETIME   NOT NULL,
    expires_at     DATETIME   NOT NULL
);
CREATE INDEX idx_auth_oidc_states_expires ON auth_oidc_states (expires_at);
CREATE TABLE auth_login_flows (
    id_hash      VARCHAR(64)  NOT NULL PRIMARY KEY,
    kind         VARCHAR(20)  NOT NULL CHECK (kind IN ('login', 'mfa', 'challenge')),
    email        VARCHAR(320) NOT NULL,
    user_id      VARCHAR(36)  NOT NULL DEFAULT '',
    created_at   DATETIME  NOT NULL,
    expires_at   DATETIME  NOT NULL,
    consumed_at  DATETIME  NULL
);
CREATE INDEX idx_auth_login_flows_expires ON auth_login_flows (expires_at);
CREATE TABLE auth_throttles (
    throttle_key     VARCHAR(400) NOT NULL PRIMARY KEY,
    failures         INTEGER      NOT NULL CHECK (failures >= 0),
    last_failure_at  DATETIME  NOT NULL
);
CREATE TABLE auth_security_events (
    id           VARCHAR(36)   NOT NULL PRIMARY KEY,
    occurred_at  DATETIME   NOT NULL,
    kind         VARCHAR(40)   NOT NULL,
    user_id      VARCHAR(36)   NOT NULL DEFAULT '',
    session_id   VARCHAR(80)   NOT NULL DEFAULT '',
    ip           VARCHAR(64) NOT NULL DEFAULT '',
    detail       VARCHAR(1000) NOT NULL DEFAULT ''
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
