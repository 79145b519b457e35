-- +goose Up
-- change_id names the change a CHANGING booking belongs to (one at a time).
ALTER TABLE bookings ADD change_id VARCHAR(64) NOT NULL CONSTRAINT df_bookings_change_id DEFAULT '';

-- +goose Down
ALTER TABLE bookings DROP CONSTRAINT df_bookings_change_id;
ALTER TABLE bookings DROP COLUMN change_id;
