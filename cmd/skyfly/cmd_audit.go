package main

import (
	"context"
	"errors"
	"io"
)

// runAudit is owned by the payment work.
func runAudit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return errors.New("not built yet")
}
