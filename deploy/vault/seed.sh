#!/bin/sh
# Writes SkyFly's static secrets into the dev-mode Vault (KV v2 mount
# "secret", prefix "skyfly"), where secrets.Vault.Secret reads them. Named
# keys (JWT signing, webhook, codec) are created by the services on first
# use under secret/skyfly/keys/<name>.
set -eu
export VAULT_ADDR="${VAULT_ADDR:-http://vault:8200}"

vault kv put -mount=secret skyfly/auth-db dsn="$SKYFLY_AUTH_DSN"
vault kv put -mount=secret skyfly/flight-db dsn="$SKYFLY_FLIGHT_DSN"
vault kv put -mount=secret skyfly/booking-db dsn="$SKYFLY_BOOKING_DSN"
vault kv put -mount=secret skyfly/customer-db dsn="$SKYFLY_CUSTOMER_DSN"
vault kv put -mount=secret skyfly/payment-db dsn="$SKYFLY_PAYMENT_DSN"
vault kv put -mount=secret skyfly/codec-server token="$SKYFLY_CODEC_TOKEN"
echo "vault seeded"
