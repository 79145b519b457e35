-- +goose Up
-- Per-route sales counters, kept by the analytics consumer of booking events.
CREATE TABLE route_sales (
    origin       TEXT NOT NULL,
    destination  TEXT NOT NULL,
    currency     TEXT NOT NULL,
    confirmed    INTEGER NOT NULL DEFAULT 0,
    cancelled    INTEGER NOT NULL DEFAULT 0,
    seats_sold   INTEGER NOT NULL DEFAULT 0,
    revenue      INTEGER NOT NULL DEFAULT 0,
    updated_at   DATETIME NOT NULL,
    PRIMARY KEY (origin, destination, currency)
);
-- +goose Down
DROP TABLE route_sales;
