// Command skyfly runs every SkyFly role from one binary: the whole platform
// on the embedded default (dev), the gateway, one domain service with its
// Temporal worker, migrations, seeding, the load generator and the codec
// server.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `skyfly: the SkyFly flight booking platform

usage: skyfly <command> [flags]

commands:
  dev                      everything in one process on the embedded default
  gateway                  the API gateway only
  service <domain>         one domain's HTTP API and Temporal worker
                           (auth, flight, booking, customer, payment)
  migrate <domain|all>     apply a domain's schema migrations
  seed                     demo airports, schedule, inventory and staff users
  bench                    the load generator with invariant checks
  codec-server             the payload codec endpoint for the Temporal UI
  staff create             create a staff account (prints its TOTP URI)
  audit verify             verify an audit hash chain (--domain auth|flight|booking|
                           customer|payment|incident; default: payment intents)
  incident open|update|close|list
                           append-only incident records (a hash chain in the auth db)
  admin search-attributes  register SkyFly's search attributes on a cluster
  config                   print the configuration table (markdown)
  certs init               the mTLS development CA and service certificates (SKYFLY_TLS_DIR)

Every command takes the flags of the configuration table; run
'skyfly <command> -h' to see them. Environment variables set the same values.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "skyfly:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "dev":
		return runDev(ctx, rest, getenv, stdout, stderr)
	case "gateway":
		return runGateway(ctx, rest, getenv, stdout, stderr)
	case "service":
		return runService(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, getenv, stdout, stderr)
	case "seed":
		return runSeed(ctx, rest, getenv, stdout, stderr)
	case "bench":
		return runBench(ctx, rest, getenv, stdout, stderr)
	case "codec-server":
		return runCodecServer(ctx, rest, getenv, stdout, stderr)
	case "staff":
		return runStaff(ctx, rest, getenv, stdout, stderr)
	case "audit":
		return runAudit(ctx, rest, getenv, stdout, stderr)
	case "incident":
		return runIncident(ctx, rest, getenv, stdout, stderr)
	case "admin":
		return runAdmin(ctx, rest, getenv, stdout, stderr)
	case "config":
		return runConfig(stdout)
	case "certs":
		return runCerts(ctx, rest, getenv, stdout, stderr)
	}
	return fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
}
