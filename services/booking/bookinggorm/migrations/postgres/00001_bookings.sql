-- +goose Up
CREATE TABLE bookings (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    pnr VARCHAR(6) NOT NULL,
    customer_id VARCHAR(64) NOT NULL,
    status VARCHAR(20) NOT NULL,
    version BIGINT NOT NULL,
    hold_id VARCHAR(64) NOT NULL,
    hold_expires_at TIMESTAMPTZ NULL,
    payment_id VARCHAR(64) NOT NULL,
    currency VARCHAR(3) NOT NULL,
    total_amount BIGINT NOT NULL,
    paid_amount BIGINT NOT NULL,
    refunded_amount BIGINT NOT NULL,
    fare_json TEXT NOT NULL,
    contact_email VARCHAR(254) NOT NULL,
    contact_phone VARCHAR(16) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT ck_bookings_amounts CHECK (total_amount >= 0 AND paid_amount >= 0 AND refunded_amount >= 0)
);
CREATE UNIQUE INDEX ux_bookings_pnr ON bookings (pnr);
CREATE INDEX ix_bookings_customer ON bookings (customer_id, created_at);
CREATE INDEX ix_bookings_status ON bookings (status, created_at);
CREATE INDEX ix_bookings_created ON bookings (created_at, id);

CREATE TABLE booking_passengers (
    booking_id VARCHAR(64) NOT NULL,
    seq INTEGER NOT NULL,
    id VARCHAR(80) NOT NULL,
    type VARCHAR(3) NOT NULL,
    title VARCHAR(20) NOT NULL,
    given_name VARCHAR(60) NOT NULL,
    family_name VARCHAR(60) NOT NULL,
    date_of_birth VARCHAR(10) NOT NULL,
    gender VARCHAR(1) NOT NULL,
    infant_of INTEGER NULL,
    document_json TEXT NULL,
    PRIMARY KEY (booking_id, seq),
    CONSTRAINT fk_booking_passengers FOREIGN KEY (booking_id) REFERENCES bookings (id)
);

CREATE TABLE booking_segments (
    booking_id VARCHAR(64) NOT NULL,
    seq INTEGER NOT NULL,
    flight_id VARCHAR(64) NOT NULL,
    flight_number VARCHAR(10) NOT NULL,
    origin VARCHAR(3) NOT NULL,
    destination VARCHAR(3) NOT NULL,
    departure_time TIMESTAMPTZ NOT NULL,
    arrival_time TIMESTAMPTZ NOT NULL,
    departure_zone VARCHAR(64) NOT NULL,
    arrival_zone VARCHAR(64) NOT NULL,
    international BOOLEAN NOT NULL,
    PRIMARY KEY (booking_id, seq),
    CONSTRAINT fk_booking_segments FOREIGN KEY (booking_id) REFERENCES bookings (id)
);
CREATE INDEX ix_booking_segments_flight ON booking_segments (flight_id);

CREATE TABLE booking_tickets (
    number VARCHAR(13) NOT NULL PRIMARY KEY,
    booking_id VARCHAR(64) NOT NULL,
    passenger_id VARCHAR(80) NOT NULL,
    status VARCHAR(10) NOT NULL,
    issued_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT fk_booking_tickets FOREIGN KEY (booking_id) REFERENCES bookings (id)
);
CREATE INDEX ix_booking_tickets_booking ON booking_tickets (booking_id);

CREATE TABLE booking_history (
    booking_id VARCHAR(64) NOT NULL,
    seq INTEGER NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    from_status VARCHAR(20) NOT NULL,
    to_status VARCHAR(20) NOT NULL,
    event VARCHAR(64) NOT NULL,
    actor VARCHAR(128) NOT NULL,
    reason VARCHAR(500) NOT NULL,
    PRIMARY KEY (booking_id, seq),
    CONSTRAINT fk_booking_history FOREIGN KEY (booking_id) REFERENCES bookings (id)
);

CREATE TABLE booking_cancel_quotes (
    quote_id VARCHAR(64) NOT NULL PRIMARY KEY,
    booking_id VARCHAR(64) NOT NULL,
    currency VARCHAR(3) NOT NULL,
    refund_amount BIGINT NOT NULL,
    penalty_amount BIGINT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT fk_booking_cancel_quotes FOREIGN KEY (booking_id) REFERENCES bookings (id)
);

CREATE TABLE booking_changes (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    booking_id VARCHAR(64) NOT NULL,
    status VARCHAR(20) NOT NULL,
    payload_json TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT fk_booking_changes FOREIGN KEY (booking_id) REFERENCES bookings (id)
);
CREATE INDEX ix_booking_changes_booking ON booking_changes (booking_id);

-- +goose Down
DROP TABLE booking_changes;
DROP TABLE booking_cancel_quotes;
DROP TABLE booking_history;
DROP TABLE booking_tickets;
DROP TABLE booking_segments;
DROP TABLE booking_passengers;
DROP TABLE bookings;
