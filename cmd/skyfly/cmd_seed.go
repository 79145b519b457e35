package main

import (
	"context"
	"fmt"
	"io"
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
	verifier, _, err := newVerifier(p)
	if err != nil {
		return err
	}
	d := p.deps(nil, verifier)
	for _, dd := range domains() {
		if err := dd.migrate(ctx, d); err != nil {
			return fmt.Errorf("migrate %s: %w", dd.name, err)
		}
	}
	doms, err := wireDomains(ctx, d)
	if err != nil {
		return err
	}
	defer func() {
		for _, dom := range doms {
			closeDomain(p.log, dom)
		}
	}()
	lines, err := seedAll(ctx, doms)
	if err != nil {
		return err
	}
	printBox(stdout, "seeded", lines)
	return nil
}
