#!/bin/sh
# Registers SkyFly's search attributes (temporal/queues.SearchAttributes) on
# the namespace, idempotently, then keeps the admin-tools container running
# for operators (docker compose exec temporal-admin-tools temporal ...).
set -eu
ns="${TEMPORAL_NAMESPACE:-default}"

until temporal operator namespace describe --namespace "$ns" >/dev/null 2>&1; do
  echo "waiting for namespace $ns"
  sleep 2
done

register() {
  if temporal operator search-attribute list --namespace "$ns" | grep -qw "$1"; then
    echo "search attribute $1 exists"
  else
    temporal operator search-attribute create --namespace "$ns" --name "$1" --type "$2"
  fi
}
register SkyflyPNR Keyword
register SkyflyBookingStatus Keyword
register SkyflyCustomerId Keyword
register SkyflyFlightId KeywordList

exec tail -f /dev/null
