#!/usr/bin/env bash
# Scale-out benchmark (docs/BENCHMARKS.md "Scale-out", issue #15).
#
# For each Temporal server (dev: the pinned CLI's dev server on a SQLite
# file; pg: bin/temporal-pg, the same server version on PostgreSQL) and each
# worker count N, it starts the split deployment from scratch as separate
# processes: auth, customer, payment once, N booking and N flight services
# (HTTP API + Temporal worker each, all N on the same task queues), the
# gateway; runs the same `skyfly bench` booking load; and keeps the bench
# report (bookings/s, reserve+confirm p50/p99, T13), each process's CPU over
# the load window, a `top` snapshot, the Temporal server's persistence
# latency and the workers' schedule-to-start latencies. Every process it
# starts is stopped at the end of each run.
#
# Stores are shared by the N processes of a domain, so they are the real
# servers, in databases of their own (dropped and recreated per run; never
# the shared `test` database): auth, payment, booking on PostgreSQL
# (skyfly_so_*), flight on MariaDB (skyfly_so_flight), customer on the
# embedded FerretDB (one process). temporal-pg uses temporal and
# temporal_visibility, recreated per run too.
#
#   make build temporal-pg
#   deploy/scaleout.sh                       # servers "dev pg", workers "1 2 4"
#   SERVERS=pg WORKERS="2" CUSTOMERS=8 DURATION=40s deploy/scaleout.sh
#   MTLS=1 SERVERS=dev WORKERS=1 deploy/scaleout.sh   # the same with mTLS between every process
#
# Results: $OUT (default /tmp/skyfly-scaleout)/<server>-<N>/, summary in
# $OUT/summary.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${SKYFLY_BIN:-$ROOT/bin/skyfly}
TEMPORAL=${SKYFLY_TEMPORAL_BIN:-$ROOT/bin/temporal}
TEMPORAL_PG=${TEMPORAL_PG_BIN:-$ROOT/bin/temporal-pg}
SERVERS=${SERVERS:-"dev pg"}
WORKERS=${WORKERS:-"1 2 4"}
CUSTOMERS=${CUSTOMERS:-8}
DURATION=${DURATION:-40s}
OUT=${OUT:-/tmp/skyfly-scaleout}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
MYSQL=${MYSQL:-mysql://root@127.0.0.1:3306}
REDIS=${REDIS:-redis://127.0.0.1:6379/7}
PORT_BASE=${PORT_BASE:-18100}
MTLS=${MTLS:-0}
TEMPORAL_PORT=${TEMPORAL_PORT:-17233}

pids=()
stop_all() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do
		for _ in $(seq 1 40); do kill -0 "$p" 2>/dev/null || break; sleep 0.25; done
		kill -KILL "$p" 2>/dev/null || true
	done
	pids=()
}
trap stop_all EXIT
trap 'stop_all; exit 130' INT TERM

# start NAME CMD...: a background process whose pid is remembered under NAME.
declare -A pid_of
start() {
	local name=$1
	shift
	"$@" >"$RUN/$name.log" 2>&1 &
	pids+=($!)
	pid_of[$name]=$!
}

# With MTLS=1 every service requires a client certificate of the run's CA:
# the runner's curl presents the gateway's.
curl_s() {
	if [ "$MTLS" = 1 ]; then
		curl --cacert "$RUN/tls/ca.pem" --cert "$RUN/tls/gateway.pem" --key "$RUN/tls/gateway-key.pem" "$@"
	else
		curl "$@"
	fi
}

wait_http() { # URL SECONDS
	for _ in $(seq 1 $(($2 * 4))); do curl_s -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.25; done
	echo "timeout waiting for $1" >&2
	return 1
}

# cpu_ticks PID: utime+stime in clock ticks.
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# metric_sum FILE NAME LABELFILTER: the sum over the series of NAME matching LABELFILTER.
metric_sum() { awk -v n="$2" -v f="$3" '{split($1, k, "{")} k[1] == n && $1 ~ f {s+=$2} END {printf "%.6f", s+0}' "$1"; }

fresh_databases() {
	local db
	for db in skyfly_so_auth skyfly_so_payment skyfly_so_booking temporal temporal_visibility; do
		psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
	done
	for db in skyfly_so_auth skyfly_so_payment skyfly_so_booking; do psql -q "$PG/postgres" -c "CREATE DATABASE $db" >/dev/null; done
	mysql -h127.0.0.1 -uroot -e "DROP DATABASE IF EXISTS skyfly_so_flight; CREATE DATABASE skyfly_so_flight"
}

run_one() { # SERVER N
	local server=$1 n=$2 i
	RUN=$OUT/$server-$n
	[ "$MTLS" = 1 ] && RUN=$RUN-mtls
	rm -rf "$RUN" && mkdir -p "$RUN/data"
	fresh_databases
	local tport=$TEMPORAL_PORT tmetrics=$((PORT_BASE + 90)) scheme=http tlsdir=
	if [ "$MTLS" = 1 ]; then scheme=https tlsdir=$RUN/tls; fi
	export SKYFLY_DEV=true SKYFLY_LOG_LEVEL=warn SKYFLY_DATA_DIR=$RUN/data SKYFLY_TLS_DIR=$tlsdir \
		SKYFLY_REDIS_URL=$REDIS SKYFLY_RATE_LIMIT_RPS=100000 \
		SKYFLY_TEMPORAL_ADDRESS=127.0.0.1:$tport SKYFLY_TEMPORAL_NAMESPACE=default \
		SKYFLY_AUTH_DSN="$PG/skyfly_so_auth?sslmode=disable" \
		SKYFLY_PAYMENT_DSN="$PG/skyfly_so_payment?sslmode=disable" \
		SKYFLY_BOOKING_DSN="$PG/skyfly_so_booking?sslmode=disable" \
		SKYFLY_FLIGHT_DSN="$MYSQL/skyfly_so_flight" \
		SKYFLY_GATEWAY_ADDR=127.0.0.1:$PORT_BASE SKYFLY_PUBLIC_URL=http://127.0.0.1:$PORT_BASE \
		SKYFLY_AUTH_URL=$scheme://127.0.0.1:$((PORT_BASE + 1)) \
		SKYFLY_CUSTOMER_URL=$scheme://127.0.0.1:$((PORT_BASE + 2)) \
		SKYFLY_PAYMENT_URL=$scheme://127.0.0.1:$((PORT_BASE + 3)) \
		SKYFLY_FLIGHT_URL=$scheme://127.0.0.1:$((PORT_BASE + 10)) \
		SKYFLY_BOOKING_URL=$scheme://127.0.0.1:$((PORT_BASE + 20))

	if [ "$server" = dev ]; then
		start temporal "$TEMPORAL" server start-dev --headless --ip 127.0.0.1 --port "$tport" \
			--db-filename "$RUN/data/temporal.db" --metrics-port "$tmetrics" --log-level warn \
			--search-attribute SkyflyPNR=Keyword --search-attribute SkyflyBookingStatus=Keyword \
			--search-attribute SkyflyCustomerId=Keyword --search-attribute SkyflyFlightId=KeywordList
		wait_http "http://127.0.0.1:$tmetrics/metrics" 60
		until "$TEMPORAL" operator namespace describe -n default --address "127.0.0.1:$tport" >/dev/null 2>&1; do sleep 0.5; done
	else
		start temporal "$TEMPORAL_PG" -port "$tport" -metrics-port "$tmetrics"
		for _ in $(seq 1 240); do grep -q '^READY' "$RUN/temporal.log" && break; sleep 0.5; done
		grep -q '^READY' "$RUN/temporal.log" || { echo "temporal-pg did not start" >&2; tail "$RUN/temporal.log" >&2; return 1; }
		"$BIN" admin search-attributes >"$RUN/search-attributes.log" 2>&1
	fi

	if [ "$MTLS" = 1 ]; then "$BIN" certs init >"$RUN/certs.log" 2>&1; fi
	"$BIN" migrate all >"$RUN/migrate.log" 2>&1
	"$BIN" seed >"$RUN/seed.log" 2>&1

	SKYFLY_SERVICE_ADDR=127.0.0.1:$((PORT_BASE + 1)) start auth "$BIN" service auth
	wait_http "$scheme://127.0.0.1:$((PORT_BASE + 1))/readyz" 60
	SKYFLY_SERVICE_ADDR=127.0.0.1:$((PORT_BASE + 2)) start customer "$BIN" service customer
	SKYFLY_SERVICE_ADDR=127.0.0.1:$((PORT_BASE + 3)) start payment "$BIN" service payment
	for i in $(seq 1 "$n"); do
		SKYFLY_SERVICE_ADDR=127.0.0.1:$((PORT_BASE + 9 + i)) start "flight$i" "$BIN" service flight
		SKYFLY_SERVICE_ADDR=127.0.0.1:$((PORT_BASE + 19 + i)) start "booking$i" "$BIN" service booking
	done
	start gateway "$BIN" gateway
	for port in $((PORT_BASE + 2)) $((PORT_BASE + 3)); do wait_http "$scheme://127.0.0.1:$port/readyz" 60; done
	for i in $(seq 1 "$n"); do
		wait_http "$scheme://127.0.0.1:$((PORT_BASE + 9 + i))/readyz" 60
		wait_http "$scheme://127.0.0.1:$((PORT_BASE + 19 + i))/readyz" 60
	done
	wait_http "http://127.0.0.1:$PORT_BASE/api/v1/health" 60
	curl -fsS "http://127.0.0.1:$tmetrics/metrics" >"$RUN/temporal-metrics-before.txt"

	# The load: the same for every run.
	local name before=() after=() names=("${!pid_of[@]}")
	for name in "${names[@]}"; do before+=("$(cpu_ticks "${pid_of[$name]}")"); done
	uptime >"$RUN/uptime-start.txt"
	"$BIN" bench --gateway "http://127.0.0.1:$PORT_BASE" --customers "$CUSTOMERS" --duration "$DURATION" \
		--contention 0.2 --cancel 0.1 --baseline 0 --wait 60s >"$RUN/bench.txt" 2>"$RUN/bench.err" &
	local bench=$!
	local secs=${DURATION%s}
	sleep $((secs / 2))
	top -b -c -n 1 -w 200 | head -30 >"$RUN/top.txt"
	sleep $((secs - secs / 2))
	for name in "${names[@]}"; do after+=("$(cpu_ticks "${pid_of[$name]}")"); done
	uptime >"$RUN/uptime-end.txt"
	wait "$bench" || true
	curl -fsS "http://127.0.0.1:$tmetrics/metrics" >"$RUN/temporal-metrics-after.txt"
	for i in $(seq 1 "$n"); do
		curl_s -fsS "$scheme://127.0.0.1:$((PORT_BASE + 9 + i))/metrics" >"$RUN/metrics-flight$i.txt"
		curl_s -fsS "$scheme://127.0.0.1:$((PORT_BASE + 19 + i))/metrics" >"$RUN/metrics-booking$i.txt"
	done

	# What is still open when the run ends (bookings cut off inside their
	# hold are expected; anything else is a T13 failure to look into).
	# The bench counts a booking cut off in its confirm as expected, not one
	# cut off in its reserve (the workflow started, the HTTP answer was
	# dropped): on a loaded machine these are most of what is still running,
	# so the runner checks that everything still running is a booking HELD
	# inside its hold, which its expiry closes and releases.
	local tq=(--address "127.0.0.1:$tport" -n default)
	"$TEMPORAL" workflow list "${tq[@]}" --query "ExecutionStatus = 'Running'" >"$RUN/running-workflows.txt" 2>&1 || true
	count() { "$TEMPORAL" workflow count "${tq[@]}" --query "$1" 2>/dev/null | sed -n 's/^Total: *//p' || true; }
	# A confirmed booking's workflow may still be notifying: give what is
	# neither HELD nor closed two more minutes.
	for _ in $(seq 1 120); do
		count "ExecutionStatus = 'Running'" >"$RUN/running.count"
		count "ExecutionStatus = 'Running' AND WorkflowType = 'BookingWorkflow' AND SkyflyBookingStatus = 'HELD'" >"$RUN/running-held.count"
		[ "$(cat "$RUN/running-held.count")" -ge "$(cat "$RUN/running.count")" ] 2>/dev/null && break
		sleep 1
	done
	"$TEMPORAL" workflow list "${tq[@]}" --query "ExecutionStatus = 'Running'" >"$RUN/running-workflows-end.txt" 2>&1 || true

	# CPU per process over the load window, in cores (1.00 = one core busy).
	local hz
	hz=$(getconf CLK_TCK)
	for idx in "${!names[@]}"; do
		awk -v n="${names[$idx]}" -v b="${before[$idx]}" -v a="${after[$idx]}" -v hz="$hz" -v s="$secs" \
			'BEGIN {printf "%-10s %5.2f\n", n, (a-b)/hz/s}'
	done | sort -k2 -nr >"$RUN/cpu.txt"
	stop_all
	summarize "$server" "$n"
}

summarize() { # SERVER N
	local server=$1 n=$2 b=$RUN/bench.txt
	local rate rc t13 cpu persist s2s_act s2s_wft
	rate=$(sed -n 's/.*confirmed (\([0-9.]*\) bookings\/s).*/\1/p' "$b")
	rc=$(awk '$1=="reserve+confirm" {print $4" / "$6}' "$b")
	# T13 holds when the databases check passed and no check failed.
	local running held
	running=$(cat "$RUN/running.count") held=$(cat "$RUN/running-held.count")
	if grep -q '^T13 OK' "$b" && [ -n "$running" ] && [ "$held" -ge "$running" ]; then
		t13="OK ($held HELD, in their hold)"
	else
		t13="FAIL: $(grep '^T13 FAIL' "$b" | cut -c11- | tr '\n' ' ' || true)running $running, HELD $held"
	fi
	cpu=$(head -4 "$RUN/cpu.txt" | awk '{printf "%s%s %.2f", (NR>1?", ":""), $1, $2}')
	local s0 c0 s1 c1
	s0=$(metric_sum "$RUN/temporal-metrics-before.txt" persistence_latency_sum '')
	c0=$(metric_sum "$RUN/temporal-metrics-before.txt" persistence_latency_count '')
	s1=$(metric_sum "$RUN/temporal-metrics-after.txt" persistence_latency_sum '')
	c1=$(metric_sum "$RUN/temporal-metrics-after.txt" persistence_latency_count '')
	persist=$(awk -v a="$s0" -v b="$c0" -v c="$s1" -v d="$c1" 'BEGIN {if (d>b) printf "%.1f ms over %d calls", 1000*(c-a)/(d-b), d-b; else print "n/a"}')
	# The persistence operation the server spent most time in during the run.
	persist="$persist; most time in $(awk '
		{split($1, k, "{")} k[1] == "persistence_latency_sum" || k[1] == "persistence_latency_count" {
			match($1, /operation="[A-Za-z]+"/); op = substr($1, RSTART+11, RLENGTH-12)
			v = (FILENAME ~ /before/ ? -$2 : $2); if (k[1] ~ /sum$/) s[op] += v; else c[op] += v }
		END { for (op in s) if (s[op] > best) { best = s[op]; b = op }
			if (b != "") printf "%s (%.1f ms mean, %d calls)", b, 1000*s[b]/c[b], c[b] }' \
		"$RUN/temporal-metrics-before.txt" "$RUN/temporal-metrics-after.txt")"
	s2s() { # metric name over every worker's /metrics: mean
		cat "$RUN"/metrics-*.txt | awk -v m="$1" '{split($1, k, "{")} k[1] == m"_sum" {s+=$2} k[1] == m"_count" {c+=$2} END {if (c>0) printf "%.0f ms (%d)", 1000*s/c, c; else print "n/a"}'
	}
	s2s_act=$(s2s temporal_temporal_activity_schedule_to_start_latency_seconds)
	s2s_wft=$(s2s temporal_temporal_workflow_task_schedule_to_start_latency_seconds)
	[ "$MTLS" = 1 ] && server="$server, mTLS"
	printf '| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s → %s |\n' "$server" "$n" "$rate" "$rc" "$t13" "$cpu" "$persist" \
		"$s2s_wft" "$s2s_act" "$(awk '{print $(NF-2)}' "$RUN/uptime-start.txt" | tr -d ,)" "$(awk '{print $(NF-2)}' "$RUN/uptime-end.txt" | tr -d ,)" |
		tee -a "$OUT/summary.md"
}

mkdir -p "$OUT"
[ -s "$OUT/summary.md" ] || echo "| server | booking+flight processes | bookings/s | reserve+confirm p50 / p99 | T13 | CPU (cores) of the busiest processes | Temporal persistence latency (mean) | workflow task schedule-to-start (mean, n) | activity schedule-to-start (mean, n) | load average 1 min (start → end) |" >>"$OUT/summary.md"
[ "$(wc -l <"$OUT/summary.md")" -gt 1 ] || echo "|---|---:|---:|---|---|---|---|---|---|---|" >>"$OUT/summary.md"
for server in $SERVERS; do
	for n in $WORKERS; do
		echo "== $server, $n booking + $n flight processes ($(date -u +%T), $(uptime | sed 's/.*load/load/'))" >&2
		run_one "$server" "$n"
	done
done
