package main

import (
	"context"
	"errors"
	"io"
)

// runSeed is owned by the flight work.
func runSeed(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return errors.New("not built yet")
}
