-- +goose Up
-- Flight disruptions (cancellations and retimes), numbered per flight; the
-- latest one is in force.
CREATE TABLE flight_disruptions (
    flight_id          NVARCHAR(32) NOT NULL,
    seq                INTEGER NOT NULL,
    kind               NVARCHAR(16) NOT NULL,
    new_departure_utc  DATETIME2 NULL,
    new_arrival_utc    DATETIME2 NULL,
    reason             NVARCHAR(500) NOT NULL,
    actor              NVARCHAR(128) NOT NULL,
    created_at         DATETIME2 NOT NULL,
    PRIMARY KEY (flight_id, seq)
);
-- +goose Down
DROP TABLE flight_disruptions;
