-- +goose Up
CREATE TABLE flight_airports (
    code    TEXT NOT NULL PRIMARY KEY,
    name    TEXT NOT NULL,
    city    TEXT NOT NULL,
    country TEXT NOT NULL,
    zone    TEXT NOT NULL,
    lat     REAL NOT NULL,
    lon     REAL NOT NULL
);
CREATE TABLE flight_flights (
    id            TEXT     NOT NULL PRIMARY KEY,
    number        TEXT     NOT NULL,
    origin        TEXT     NOT NULL REFERENCES flight_airports (code),
    destination   TEXT     NOT NULL REFERENCES flight_airports (code),
    departure_utc DATETIME NOT NULL,
    arrival_utc   DATETIME NOT NULL,
    aircraft      TEXT     NOT NULL,
    distance_km   INTEGER  NOT NULL,
    CONSTRAINT chk_flight_flights_times CHECK (arrival_utc > departure_utc)
);
CREATE INDEX idx_flight_flights_departure ON flight_flights (departure_utc);
CREATE TABLE flight_inventory (
    flight_id       TEXT    NOT NULL REFERENCES flight_flights (id),
    cabin           TEXT    NOT NULL CHECK (cabin IN ('F', 'J', 'W', 'Y')),
    capacity        INTEGER NOT NULL CHECK (capacity > 0),
    seats_available INTEGER NOT NULL,
    PRIMARY KEY (flight_id, cabin),
    CONSTRAINT chk_flight_inventory_nonnegative CHECK (seats_available >= 0),
    CONSTRAINT chk_flight_inventory_capacity CHECK (seats_available <= capacity)
);
CREATE TABLE flight_quotes (
    id           TEXT     NOT NULL PRIMARY KEY,
    flight_ids   TEXT     NOT NULL,
    fare_id      TEXT     NOT NULL,
    adults       INTEGER  NOT NULL,
    children     INTEGER  NOT NULL,
    infants      INTEGER  NOT NULL,
    total_amount INTEGER  NOT NULL,
    currency     TEXT     NOT NULL,
    payload      TEXT     NOT NULL,
    created_at   DATETIME NOT NULL,
    expires_at   DATETIME NOT NULL
);
CREATE INDEX idx_flight_quotes_expires ON flight_quotes (expires_at);
CREATE TABLE flight_holds (
    id         TEXT     NOT NULL PRIMARY KEY,
    quote_id   TEXT     NOT NULL,
    status     TEXT     NOT NULL CHECK (status IN ('HELD', 'COMMITTED', 'RELEASED', 'EXPIRED')),
    seats      INTEGER  NOT NULL CHECK (seats >= 0),
    reason     TEXT     NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL
);
CREATE INDEX idx_flight_holds_status_expires ON flight_holds (status, expires_at);
CREATE TABLE flight_hold_segments (
    hold_id       TEXT    NOT NULL REFERENCES flight_holds (id),
    flight_id     TEXT    NOT NULL REFERENCES flight_flights (id),
    cabin         TEXT    NOT NULL,
    booking_class TEXT    NOT NULL,
    seats         INTEGER NOT NULL CHECK (seats > 0),
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
