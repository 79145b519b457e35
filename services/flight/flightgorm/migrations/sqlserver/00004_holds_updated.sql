-- +goose Up
-- The feed of flights whose seat counters changed (ChangedFlights) reads
-- holds by their last change, so that a search service's in-memory seat
-- counters catch up with other processes without scanning.
CREATE INDEX idx_flight_holds_updated ON flight_holds (updated_at);
-- +goose Down
DROP INDEX idx_flight_holds_updated ON flight_holds;
