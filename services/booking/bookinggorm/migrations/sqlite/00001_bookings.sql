-- +goose Up
CREATE TABLE bookings (
    id TEXT NOT NULL PRIMARY KEY,
    pnr TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    status TEXT NOT NULL,
    version INTEGER NOT NULL,
    hold_id TEXT NOT NULL,
    hold_expires_at DATETIME NULL,
    payment_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    total_amount INTEGER NOT NULL,
    paid_amount INTEGER NOT NULL,
    refunded_amount INTEGER NOT NULL,
    fare_json TEXT NOT NULL,
    contact_email TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    CONSTRAINT ck_bookings_amounts CHECK (total_amount >= 0 AND paid_amount >= 0 AND refunded_amount >= 0)
);
CREATE UNIQUE INDEX ux_bookings_pnr ON bookings (pnr);
CREATE INDEX ix_bookings_customer ON bookings (customer_id, created_at);
CREATE INDEX ix_bookings_status ON bookings (status, created_at);
CREATE INDEX ix_bookings_created ON bookings (created_at, id);

CREATE TABLE booking_passengers (
    booking_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    id TEXT NOT NULL,
    type TEXT NOT NULL,
    title TEXT NOT NULL,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    gender TEXT NOT NULL,
    infant_of INTEGER NULL,
    document_json TEXT NULL,
    PRIMARY KEY (booking_id, seq),
    CONSTRAINT fk_booking_passengers FOREIGN KEY (booking_id) REFERENCES bookings (id)
);

CREATE TABLE booking_segments (
    booking_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    flight_id TEXT NOT NULL,
    flight_number TEXT NOT NULL,
    origin TEXT NOT NULL,
    destination TEXT NOT NULL,
    departure_time DATETIME NOT NULL,
    arrival_time DATETIME NOT NULL,
    departure_zone TEXT NOT NULL,
    arrival_zone TEXT NOT NULL,
    international BOOLEAN NOT NULL,
    PRIMARY KEY (booking_id, seq),
    CONSTRAINT fk_booking_segments FOREIGN KEY (booking_id) REFERENCES bookings (id)
);
CREATE INDEX ix_booking_segments_flight ON booking_segments (flight_id);

CREATE TABLE booking_tickets (
    number TEXT NOT NULL PRIMARY KEY,
    booking_id TEXT NOT NULL,
    passenger_id TEXT NOT NULL,
    status TEXT NOT NULL,
    issued_at DATETIME NOT NULL,
    CONSTRAINT fk_booking_tickets FOREIGN KEY (booking_id) REFERENCES bookings (id)
);
CREATE INDEX ix_booking_tickets_booking ON booking_tickets (booking_id);

CREATE TABLE booking_history (
    booking_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at DATETIME NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    event TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (booking_id, seq),
    CONSTRAINT fk_booking_history FOREIGN KEY (booking_id) REFERENCES bookings (id)
);

CREATE TABLE booking_cancel_quotes (
    quote_id TEXT NOT NULL PRIMARY KEY,
    booking_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    refund_amount INTEGER NOT NULL,
    penalty_amount INTEGER NOT NULL,
    expires_at DATETIME NOT NULL,
    created_at DATETIME NOT NULL,
    CONSTRAINT fk_booking_cancel_quotes FOREIGN KEY (booking_id) REFERENCES bookings (id)
);

CREATE TABLE booking_changes (
    id TEXT NOT NULL PRIMARY KEY,
    booking_id TEXT NOT NULL,
    status TEXT NOT NULL,
    payload_json TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
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
