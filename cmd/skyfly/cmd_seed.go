package main

import (
	"context"
	"io"

	"go.temporal.io/sdk/client"

	"github.com/skyfly/skyfly/temporal/tclient"
)

// runSeed applies every domain's migrations and seeds its demo data
// (airports, schedule, inventory, staff users). Seeding is idempotent.
func runSeed(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := loadConfig("seed", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	p, err := newPlatform(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer p.close()
	stopMongo, err := ensureCustomerDB(ctx, p)
	if err != nil {
		return err
	}
	defer stopMongo()
	verifier, _, err := newVerifier(p, nil, "gateway", nil)
	if err != nil {
		return err
	}
	// Wiring needs a Temporal client but seeding never calls it: a lazy
	// client connects only if something uses it.
	opts, err := tclient.Options(cfg)
	if err != nil {
		return err
	}
	tc, err := client.NewLazyClient(opts)
	if err != nil {
		return err
	}
	defer tc.Close()
	doms, closeDomains, err := startDomains(ctx, p.deps(tc, verifier))
	if err != nil {
		return err
	}
	defer closeDomains()
	lines, err := seedAll(ctx, doms)
	if err != nil {
		return err
	}
	printBox(stdout, "seeded", lines)
	return nil
}
