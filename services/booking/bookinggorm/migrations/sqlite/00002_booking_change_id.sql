-- +goose Up
-- change_id names the change a CHANGING booking belongs to (one at a time).
ALTER TABLE bookings ADD COLUMN change_id VARCHAR(64) NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE bookings DROP COLUMN change_id;
