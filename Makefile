# SkyFly: `make dev` starts the whole platform, `make test` runs every test.
SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/bin
# One SQLite (modernc, pure Go) only: see docs in ARCHITECTURE.md.
export CGO_ENABLED ?= 0
export GIN_MODE ?= release

TEMPORAL_CLI_VERSION := v1.5.1
STATICCHECK_VERSION := v0.8.2
WORKFLOWCHECK_VERSION := v0.6.0

# Backing services for tests (make test); .ci/run starts them when down.
export SKYFLY_TEST_POSTGRES_DSN ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
export SKYFLY_TEST_MYSQL_DSN ?= mysql://root@127.0.0.1:3306/test
export SKYFLY_TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
# Tools tests call are the pinned ones make installs into ./bin, never a
# developer's ~/go/bin (.ci/run proves it by running without it on PATH).
export SKYFLY_TEMPORAL_BIN ?= $(BIN)/temporal
export SKYFLY_WORKFLOWCHECK_BIN ?= $(BIN)/workflowcheck

.PHONY: dev build web test vet lint unit race fuzz e2e clean tools temporal-pg chaos

dev: $(BIN)/temporal build
	$(BIN)/skyfly dev

# The web app (web/) is built first: the binary embeds web/dist. A plain
# `go build` before it works too and serves a "web app not built" page.
build: web
	$(GO) build -o $(BIN)/skyfly ./cmd/skyfly

# npm ci only when package-lock.json is newer than the installed tree.
# Playwright must never download its own browsers: the tests use Debian's
# chromium (.ci/run installs it).
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund

web: web/node_modules/.package-lock.json
	cd web && npm run build

$(BIN)/temporal:
	@echo "installing the temporal CLI $(TEMPORAL_CLI_VERSION) into ./bin (a few minutes, once)"
	GOBIN=$(BIN) $(GO) install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION)

$(BIN)/staticcheck:
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(BIN)/workflowcheck:
	GOBIN=$(BIN) $(GO) install go.temporal.io/sdk/contrib/tools/workflowcheck@$(WORKFLOWCHECK_VERSION)

tools: $(BIN)/temporal $(BIN)/staticcheck $(BIN)/workflowcheck

# A Temporal server on PostgreSQL (tools/temporal-pg, its own go.mod pinned to
# go.temporal.io/server v1.29.1, the server the temporal CLI above embeds) for
# the scale-out benchmark (docs/BENCHMARKS.md "Scale-out"); not part of make test.
temporal-pg: $(BIN)/temporal-pg
$(BIN)/temporal-pg: tools/temporal-pg/main.go tools/temporal-pg/go.mod
	cd tools/temporal-pg && $(GO) build -o $(BIN)/temporal-pg .

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

lint: $(BIN)/staticcheck $(BIN)/workflowcheck
	$(BIN)/staticcheck ./...
	@if [ -d workflows ]; then echo "workflowcheck ./workflows/... (ACCEPTANCE T2)"; $(BIN)/workflowcheck ./workflows/...; fi

# Every test, including the dev-server and end-to-end ones.
unit: $(BIN)/temporal $(BIN)/workflowcheck
	$(GO) test -count=1 -p 2 -timeout 12m ./...

# The race detector over the packages where concurrency is the point: stores
# under contention (no overbooking, exactly-once charge, token rotation, the
# audit chain), idempotency, rate and in-flight limits, in-memory seat
# counters, secrets and codec key caches, certificate reloads, the outbox
# relays. Packages without shared state (seed generation, config, load
# generator, OIDC test providers) stay out: under -race they cost CI minutes
# and guard nothing. It needs cgo.
RACE_PKGS := ./internal/platform/audit ./internal/platform/eventbus ./internal/platform/outbox \
	./internal/platform/idempotency ./internal/platform/secrets ./internal/platform/sqldb \
	./internal/platform/mtls ./internal/platform/inproc ./internal/platform/policy ./api/gateway \
	./services/auth ./services/auth/authgorm ./services/booking ./services/booking/bookinggorm \
	./services/customer ./services/customer/customermongo ./services/flight ./services/flight/flightgorm \
	./services/flight/flightredis ./services/payment ./services/payment/paymentgorm ./temporal/codec
race: $(BIN)/temporal
	CGO_ENABLED=1 $(GO) test -race -count=1 -p 2 -timeout 12m $(RACE_PKGS)

# Native fuzz targets (issue #14): each runs FUZZTIME (2,000 new inputs; a
# count, not a duration: a time-boxed run can end in a spurious "context
# deadline exceeded", golang/go#75804, unfixed in Go 1.26) on top of its
# checked-in corpus (testdata/fuzz), which `go test` replays every run.
FUZZTIME ?= 2000x
FUZZ_TARGETS := \
	./temporal/codec:FuzzCodec_RoundTripAndTampering \
	./temporal/codec:FuzzCodec_DecodeArbitraryPayloads \
	./services/payment:FuzzVerifySignature \
	./services/booking:FuzzValidatePassengers \
	./api/authn:FuzzVerify \
	./api/flightapi:FuzzSearchParameters \
	./api/flightapi:FuzzQuoteBody
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; name=$${t##*:}; \
	  echo "fuzz $$name ($$pkg, $(FUZZTIME))"; $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg; done

# Browser tests (web/e2e): Playwright drives /usr/bin/chromium against a
# real `skyfly dev` the tests start on free ports with a temporary data dir.
CHROMIUM ?= /usr/bin/chromium
e2e: $(BIN)/temporal build
	@test -x $(CHROMIUM) || { echo "e2e: $(CHROMIUM) is missing (apt-get install -y chromium; .ci/run installs it)"; exit 1; }
	cd web && SKYFLY_BIN=$(BIN)/skyfly SKYFLY_CHROMIUM=$(CHROMIUM) npx playwright test

test: tools vet lint unit race fuzz e2e

# The chaos run (issue #14, docs/BENCHMARKS.md "Chaos"): the split deployment
# under skyfly bench while worker processes, the Temporal server and the
# network to Redis die and come back; T13 must hold. About 3 minutes of both
# cores, so not part of make test.
chaos: $(BIN)/temporal
	SKYFLY_CHAOS=1 $(GO) test -count=1 -timeout 15m -run TestChaos -v ./cmd/skyfly/

clean:
	rm -rf $(BIN)/skyfly .skyfly web/node_modules web/test-results
	find web/dist -mindepth 1 ! -name .gitkeep -delete
