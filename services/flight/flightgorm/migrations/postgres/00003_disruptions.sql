-- +goose Up
-- Flight disruptions (cancellations and retimes), numbered per flight; the
-- latest one is in force.
CREATE TABLE flight_disruptions (
    flight_id          VARCHAR(32) NOT NULL,
    seq                INTEGER NOT NULL,
    kind               VARCHAR(16) NOT NULL,
    new_departure_utc  TIMESTAMPTZ NULL,
    new_arrival_utc    TIMESTAMPTZ NULL,
    reason             VARCHAR(500) NOT NULL,
    actor              VARCHAR(128) NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (flight_id, seq)
);
-- +goose Down
DROP TABLE flight_disruptions;
