package main

import (
	"context"
	"errors"
	"io"
)

// runCodecServer is owned by the platform work.
func runCodecServer(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return errors.New("not built yet")
}
