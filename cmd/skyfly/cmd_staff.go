package main

import (
	"context"
	"errors"
	"io"
)

// runStaff is owned by the auth work.
func runStaff(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return errors.New("not built yet")
}
