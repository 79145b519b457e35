-- +goose Up
-- The staff audit trail: one hash chain per (chain) in this database, the
-- domain's own chain and, in the auth database, the incident records.
-- Rows are only ever inserted; the head row records each chain's end.
CREATE TABLE audit_log (
    chain       VARCHAR(32)   NOT NULL,
    seq         BIGINT       NOT NULL,
    at          TIMESTAMPTZ       NOT NULL,
    actor       VARCHAR(200)  NOT NULL,
    actor_role  VARCHAR(32)   NOT NULL,
    action      VARCHAR(200)  NOT NULL,
    domain      VARCHAR(32)   NOT NULL,
    customer_id VARCHAR(64)   NOT NULL,
    resources   TEXT       NOT NULL,
    subjects    VARCHAR(1000) NOT NULL,
    reason      TEXT       NOT NULL,
    request_id  VARCHAR(128)  NOT NULL,
    outcome     VARCHAR(16)   NOT NULL,
    status      INTEGER       NOT NULL,
    details     TEXT       NOT NULL,
    prev_hash   VARCHAR(64)   NOT NULL,
    hash        VARCHAR(64)   NOT NULL,
    PRIMARY KEY (chain, seq)
);
CREATE INDEX idx_audit_log_customer ON audit_log (chain, customer_id);
CREATE INDEX idx_audit_log_actor ON audit_log (chain, actor);

CREATE TABLE audit_head (
    chain VARCHAR(32) NOT NULL PRIMARY KEY,
    seq   BIGINT     NOT NULL,
    hash  VARCHAR(64) NOT NULL
);
-- +goose Down
DROP TABLE audit_head;
DROP TABLE audit_log;
