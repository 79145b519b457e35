package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/skyfly/skyfly/temporal/queues"
)

// runAdmin holds one-off operator tasks against a real cluster.
func runAdmin(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "search-attributes" {
		return errors.New("usage: skyfly admin search-attributes [flags]   (register SkyFly's search attributes on the namespace)")
	}
	cfg, _, err := loadConfig("admin search-attributes", args[1:], getenv, stderr, nil)
	if err != nil {
		return err
	}
	p, err := newPlatform(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer p.close()
	tc, err := dialTemporal(ctx, p)
	if err != nil {
		return err
	}
	defer tc.Close()
	added, err := queues.RegisterSearchAttributes(ctx, tc, cfg.TemporalNamespace)
	if err != nil {
		return err
	}
	if len(added) == 0 {
		fmt.Fprintf(stdout, "namespace %s already has every SkyFly search attribute\n", cfg.TemporalNamespace)
		return nil
	}
	fmt.Fprintf(stdout, "namespace %s: added %v\n", cfg.TemporalNamespace, added)
	return nil
}
