-- +goose Up
CREATE TABLE bookings (
    id NVARCHAR(64) NOT NULL PRIMARY KEY,
    pnr NVARCHAR(6) NOT NULL,
    customer_id NVARCHAR(64) NOT NULL,
    status NVARCHAR(20) NOT NULL,
    version BIGINT NOT NULL,
    hold_id NVARCHAR(64) NOT NULL,
    hold_expires_at DATETIME2(6) NULL,
    payment_id NVARCHAR(64) NOT NULL,
    currency NVARCHAR(3) NOT NULL,
    total_amount BIGINT NOT NULL,
    paid_amount BIGINT NOT NULL,
    refunded_amount BIGINT NOT NULL,
    fare_json NVARCHAR(MAX) NOT NULL,
    contact_email NVARCHAR(254) NOT NULL,
    contact_phone NVARCHAR(16) NOT NULL,
    created_at DATETIME2(6) NOT NULL,
    updated_at DATETIME2(6) NOT NULL,
    CONSTRAINT ck_bookings_amounts CHECK (total_amount >= 0 AND paid_amount >= 0 AND refunded_amount >= 0)
);
CREATE UNIQUE INDEX ux_bookings_pnr ON bookings (pnr);
CREATE INDEX ix_bookings_customer ON bookings (customer_id, created_at);
CREATE INDEX ix_bookings_status ON bookings (status, created_at);
CREATE INDEX ix_bookings_created ON bookings (created_at, id);

CREATE TABLE booking_passengers (
    booking_id NVARCHAR(64) NOT NULL,
    seq INT NOT NULL,
    id NVARCHAR(80) NOT NULL,
    type NVARCHAR(3) NOT NULL,
    title NVARCHAR(20) NOT NULL,
    given_name NVARCHAR(60) NOT NULL,
    family_name NVARCHAR(60) NOT NULL,
    date_of_birth NVARCHAR(10) NOT NULL,
    gender NVARCHAR(1) NOT NULL,
    infant_of INT NULL,
    document_json NVARCHAR(MAX) NULL,
    PRIMARY KEY (booking_id, seq),
    CONSTRAINT fk_booking_passengers FOREIGN KEY (booking_id) REFERENCES bookings (id)
);

CREATE TABLE booking_segments (
    booking_id NVARCHAR(64) NOT NULL,
    seq INT NOT NULL,
    flight_id NVARCHAR(64) NOT NULL,
    flight_number NVARCHAR(10) NOT NULL,
    origin NVARCHAR(3) NOT NULL,
    destination NVARCHAR(3) NOT NULL,
    departure_time DATETIME2(6) NOT NULL,
    arrival_time DATETIME2(6) NOT NULL,
    departure_zone NVARCHAR(64) NOT NULL,
    arrival_zone NVARCHAR(64) NOT NULL,
    international BIT NOT NULL,
    PRIMARY KEY (booking_id, seq),
    CONSTRAINT fk_booking_segments FOREIGN KEY (booking_id) REFERENCES bookings (id)
);
CREATE INDEX ix_booking_segments_flight ON booking_segments (flight_id);

CREATE TABLE booking_tickets (
    number NVARCHAR(13) NOT NULL PRIMARY KEY,
    booking_id NVARCHAR(64) NOT NULL,
    passenger_id NVARCHAR(80) NOT NULL,
    status NVARCHAR(10) NOT NULL,
    issued_at DATETIME2(6) NOT NULL,
    CONSTRAINT fk_booking_tickets FOREIGN KEY (booking_id) REFERENCES bookings (id)
);
CREATE INDEX ix_booking_tickets_booking ON booking_tickets (booking_id);

CREATE TABLE booking_history (
    booking_id NVARCHAR(64) NOT NULL,
    seq INT NOT NULL,
    at DATETIME2(6) NOT NULL,
    from_status NVARCHAR(20) NOT NULL,
    to_status NVARCHAR(20) NOT NULL,
    event NVARCHAR(64) NOT NULL,
    actor NVARCHAR(128) NOT NULL,
    reason NVARCHAR(500) NOT NULL,
    PRIMARY KEY (booking_id, seq),
    CONSTRAINT fk_booking_history FOREIGN KEY (booking_id) REFERENCES bookings (id)
);

CREATE TABLE booking_cancel_quotes (
    quote_id NVARCHAR(64) NOT NULL PRIMARY KEY,
    booking_id NVARCHAR(64) NOT NULL,
    currency NVARCHAR(3) NOT NULL,
    refund_amount BIGINT NOT NULL,
    penalty_amount BIGINT NOT NULL,
    expires_at DATETIME2(6) NOT NULL,
    created_at DATETIME2(6) NOT NULL,
    CONSTRAINT fk_booking_cancel_quotes FOREIGN KEY (booking_id) REFERENCES bookings (id)
);

CREATE TABLE booking_changes (
    id NVARCHAR(64) NOT NULL PRIMARY KEY,
    booking_id NVARCHAR(64) NOT NULL,
    status NVARCHAR(20) NOT NULL,
    payload_json NVARCHAR(MAX) NOT NULL,
    created_at DATETIME2(6) NOT NULL,
    updated_at DATETIME2(6) NOT NULL,
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
