-- +goose Up
-- Per-route sales counters, kept by the analytics consumer of booking events.
CREATE TABLE route_sales (
    origin       NVARCHAR(3) NOT NULL,
    destination  NVARCHAR(3) NOT NULL,
    currency     NVARCHAR(3) NOT NULL,
    confirmed    BIGINT NOT NULL DEFAULT 0,
    cancelled    BIGINT NOT NULL DEFAULT 0,
    seats_sold   BIGINT NOT NULL DEFAULT 0,
    revenue      BIGINT NOT NULL DEFAULT 0,
    updated_at   DATETIME2 NOT NULL,
    PRIMARY KEY (origin, destination, currency)
);
-- +goose Down
DROP TABLE route_sales;
