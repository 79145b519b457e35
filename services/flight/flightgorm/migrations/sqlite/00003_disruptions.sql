-- +goose Up
-- Flight disruptions (cancellations and retimes), numbered per flight; the
-- latest one is in force.
CREATE TABLE flight_disruptions (
    flight_id          TEXT NOT NULL,
    seq                INTEGER NOT NULL,
    kind               TEXT NOT NULL,
    new_departure_utc  DATETIME NULL,
    new_arrival_utc    DATETIME NULL,
    reason             TEXT NOT NULL,
    actor              TEXT NOT NULL,
    created_at         DATETIME NOT NULL,
    PRIMARY KEY (flight_id, seq)
);
-- +goose Down
DROP TABLE flight_disruptions;
