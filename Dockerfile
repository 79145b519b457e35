# syntax=docker/dockerfile:1.7
# One image for every SkyFly role: `skyfly gateway`, `skyfly service <domain>`,
# `skyfly codec-server`, `skyfly migrate <domain>` ...

# The web app (web/), embedded into the binary from web/dist.
FROM node:22.17-alpine3.22 AS web
WORKDIR /web
ENV PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
COPY web/package.json web/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

FROM golang:1.26.8-alpine3.22 AS build
WORKDIR /src
# Pure Go: modernc SQLite and FerretDB need no cgo (ARCHITECTURE.md).
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
COPY --from=web /web/dist/ web/dist/
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -ldflags="-s -w" -o /out/skyfly ./cmd/skyfly

FROM alpine:3.22
# ca-certificates: TLS to Temporal Cloud, Vault, OIDC; tzdata: airport zones;
# busybox wget serves the compose healthchecks.
RUN apk add --no-cache ca-certificates tzdata \
 && adduser -D -H -u 10001 skyfly \
 && mkdir -p /var/lib/skyfly \
 && chown skyfly /var/lib/skyfly \
 && chmod 0700 /var/lib/skyfly
COPY --from=build /out/skyfly /usr/local/bin/skyfly
USER 10001
ENV SKYFLY_DATA_DIR=/var/lib/skyfly SKYFLY_LOG_FORMAT=json
EXPOSE 8080 8081 8090
ENTRYPOINT ["/usr/local/bin/skyfly"]
CMD ["--help"]
