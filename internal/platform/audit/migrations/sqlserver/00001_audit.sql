-- +goose Up
-- The staff audit trail: one hash chain per (chain) in this database, the
-- domain's own chain and, in the auth database, the incident records.
-- Rows are only ever inserted; the head row records each chain's end.
CREATE TABLE audit_log (
    chain       NVARCHAR(32)   NOT NULL,
    seq         BIGINT       NOT NULL,
    at          DATETIME2       NOT NULL,
    actor       NVARCHAR(200)  NOT NULL,
    actor_role  NVARCHAR(32)   NOT NULL,
    action      NVARCHAR(200)  NOT NULL,
    domain      NVARCHAR(32)   NOT NULL,
    customer_id NVARCHAR(64)   NOT NULL,
    resources   NVARCHAR(MAX)       NOT NULL,
    subjects    NVARCHAR(1000) NOT NULL,
    reason      NVARCHAR(MAX)       NOT NULL,
    request_id  NVARCHAR(128)  NOT NULL,
    outcome     NVARCHAR(16)   NOT NULL,
    status      INT       NOT NULL,
    details     NVARCHAR(MAX)       NOT NULL,
    prev_hash   NVARCHAR(64)   NOT NULL,
    hash        NVARCHAR(64)   NOT NULL,
    PRIMARY KEY (chain, seq)
);
CREATE INDEX idx_audit_log_customer ON audit_log (chain, customer_id);
CREATE INDEX idx_audit_log_actor ON audit_log (chain, actor);

CREATE TABLE audit_head (
    chain NVARCHAR(32) NOT NULL PRIMARY KEY,
    seq   BIGINT     NOT NULL,
    hash  NVARCHAR(64) NOT NULL
);
-- +goose Down
DROP TABLE audit_head;
DROP TABLE audit_log;
