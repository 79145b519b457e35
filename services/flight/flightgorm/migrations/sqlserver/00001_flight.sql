-- +goose Up
CREATE TABLE flight_airports (
    code    NVARCHAR(3)       NOT NULL PRIMARY KEY,
    name    NVARCHAR(200)     NOT NULL,
    city    NVARCHAR(100)     NOT NULL,
    country NCHAR(2)          NOT NULL,
    zone    NVARCHAR(64)      NOT NULL,
    lat     FLOAT            NOT NULL,
    lon     FLOAT            NOT NULL
);
CREATE TABLE flight_flights (
    id            NVARCHAR(32) NOT NULL PRIMARY KEY,
    number        NVARCHAR(8)  NOT NULL,
    origin        NVARCHAR(3)  NOT NULL REFERENCES flight_airports (code),
    destination   NVARCHAR(3)  NOT NULL REFERENCES flight_airports (code),
    departure_utc DATETIME2   NOT NULL,
    arrival_utc   DATETIME2   NOT NULL,
    aircraft      NVARCHAR(8)  NOT NULL,
    distance_km   INTEGER     NOT NULL,
    CONSTRAINT chk_flight_flights_times CHECK (arrival_utc > departure_utc)
);
CREATE INDEX idx_flight_flights_departure ON flight_flights (departure_utc);
CREATE TABLE flight_inventory (
    flight_id       NVARCHAR(32) NOT NULL REFERENCES flight_flights (id),
    cabin           NCHAR(1)     NOT NULL CHECK (cabin IN ('F', 'J', 'W', 'Y')),
    capacity        INTEGER     NOT NULL CHECK (capacity > 0),
    seats_available INTEGER     NOT NULL,
    PRIMARY KEY (flight_id, cabin),
    CONSTRAINT chk_flight_inventory_nonnegative CHECK (seats_available >= 0),
    CONSTRAINT chk_flight_inventory_capacity CHECK (seats_available <= capacity)
);
CREATE TABLE flight_quotes (
    id           NVARCHAR(64)  NOT NULL PRIMARY KEY,
    flight_ids   NVARCHAR(100) NOT NULL,
    fare_id      NVARCHAR(8)   NOT NULL,
    adults       INTEGER      NOT NULL,
    children     INTEGER      NOT NULL,
    infants      INTEGER      NOT NULL,
    total_amount BIGINT       NOT NULL,
    currency     NCHAR(3)      NOT NULL,
    payload      NVARCHAR(MAX) NOT NULL,
    created_at   DATETIME2    NOT NULL,
    expires_at   DATETIME2    NOT NULL
);
CREATE INDEX idx_flight_quotes_expires ON flight_quotes (expires_at);
CREATE TABLE flight_holds (
    id         NVARCHAR(64)  NOT NULL PRIMARY KEY,
    quote_id   NVARCHAR(64)  NOT NULL,
    status     NVARCHAR(16)  NOT NULL CHECK (status IN ('HELD', 'COMMITTED', 'RELEASED', 'EXPIRED')),
    seats      INTEGER      NOT NULL CHECK (seats >= 0),
    reason     NVARCHAR(200) NOT NULL DEFAULT '',
    created_at DATETIME2    NOT NULL,
    updated_at DATETIME2    NOT NULL,
    expires_at DATETIME2    NOT NULL
);
CREATE INDEX idx_flight_holds_status_expires ON flight_holds (status, expires_at);
CREATE TABLE flight_hold_segments (
    hold_id       NVARCHAR(64) NOT NULL REFERENCES flight_holds (id),
    flight_id     NVARCHAR(32) NOT NULL REFERENCES flight_flights (id),
    cabin         NCHAR(1)     NOT NULL,
    booking_class NCHAR(1)     NOT NULL,
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
