#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised: one role and
# one database per SkyFly domain stored here (auth, payment), and a role for
# Temporal, whose auto-setup creates its own databases.
set -eu

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE skyfly_auth LOGIN PASSWORD '${AUTH_DB_PASSWORD}';
CREATE DATABASE auth OWNER skyfly_auth;
CREATE ROLE skyfly_payment LOGIN PASSWORD '${PAYMENT_DB_PASSWORD}';
CREATE DATABASE payment OWNER skyfly_payment;
CREATE ROLE temporal LOGIN CREATEDB PASSWORD '${TEMPORAL_DB_PASSWORD}';
SQL
