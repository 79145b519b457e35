-- +goose Up
CREATE TABLE flight_airports (
    code    VARCHAR(3)       NOT NULL PRIMARY KEY,
    name    VARCHAR(200)     NOT NULL,
    city    VARCHAR(100)     NOT NULL,
    country CHAR(2)          NOT NULL,
    zone    VARCHAR(64)      NOT NULL,
    lat     DOUBLE PRECISION NOT NULL,
    lon     DOUBLE PRECISION NOT NULL
);
CREATE TABLE flight_flights (
    id            VARCHAR(32) NOT NULL PRIMARY KEY,
    number        VARCHAR(8)  NOT NULL,
    origin        VARCHAR(3)  NOT NULL REFERENCES flight_airports (code),
    destination   VARCHAR(3)  NOT NULL REFERENCES flight_airports (code),
    departure_utc TIMESTAMPTZ NOT NULL,
    arrival_utc   TIMESTAMPTZ NOT NULL,
    aircraft      VARCHAR(8)  NOT NULL,
    distance_km   INTEGER     NOT NULL,
    CONSTRAINT chk_flight_flights_times CHECK (arrival_utc > departure_utc)
);
CREATE INDEX idx_flight_flights_departure ON flight_flights (departure_utc);
CREATE TABLE flight_inventory (
    flight_id       VARCHAR(32) NOT NULL REFERENCES flight_flights (id),
    cabin           CHAR(1)     NOT NULL CHECK (cabin IN ('F', 'J', 'W', 'Y')),
    capacity        INTEGER     NOT NULL CHECK (capacity > 0),
    seats_available INTEGER     NOT NULL,
    PRIMARY KEY (flight_id, cabin),
    CONSTRAINT chk_flight_inventory_nonnegative CHECK (seats_available >= 0),
    CONSTRAINT chk_flight_inventory_capacity CHECK (seats_available <= capacity)
);
CREATE TABLE flight_quotes (
    id           VARCHAR(64)  NOT NULL PRIMARY KEY,
    flight_ids   VARCHAR(100) NOT NULL,
    fare_id      VARCHAR(8)   NOT NULL,
    adults       INTEGER      NOT NULL,
    children     INTEGER      NOT NULL,
    infants      INTEGER      NOT NULL,
    total_amount BIGINT       NOT NULL,
    currency     CHAR(3)      NOT NULL,
    payload      TEXT         NOT NULL,
    created_at   TIMESTAMPTZ  NOT NULL,
    expires_at   TIMESTAMPTZ  NOT NULL
);
CREATE INDEX idx_flight_quotes_expires ON flight_quotes (expires_at);
CREATE TABLE flight_holds (
    id         VARCHAR(64)  NOT NULL PRIMARY KEY,
    quote_id   VARCHAR(64)  NOT NULL,
    status     VARCHAR(16)  NOT NULL CHECK (status IN ('HELD', 'COMMITTED', 'RELEASED', 'EXPIRED')),
    seats      INTEGER      NOT NULL CHECK (seats >= 0),
    reason     VARCHAR(200) NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ  NOT NULL,
    updated_at TIMESTAMPTZ  NOT NULL,
    expires_at TIMESTAMPTZ  NOT NULL
);
CREATE INDEX idx_flight_holds_status_expires ON flight_holds (status, expires_at);
CREATE TABLE flight_hold_segments (
    hold_id       VARCHAR(64) NOT NULL REFERENCES flight_holds (id),
    flight_id     VARCHAR(32) NOT NULL REFERENCES flight_flights (id),
    cabin         CHAR(1)     NOT NULL,
    booking_class CHAR(1)     NOT NULL,
    seats         INTEGER     NOT NULL CHECK (seats > 0),
    PRIMARY KEY (hold_id, flight_id)
);
CREATE INDEX idx_flight_hold_segments_flight ON flight_hold_segments (flight_id);
-- +goose Down
DROP TABLE flight_hold_segments;
DROP TABLE flight_holds;
DROP TABLE flight_quotes;
DROP TABLE flight_inventory;
DROP TABLE flight_flights;
DROP TABLE flight_airports;
