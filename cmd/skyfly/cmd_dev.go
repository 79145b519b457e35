package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/skyfly/skyfly/internal/platform/config"
)

func runDev(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return errors.New("not built yet")
}

func runGateway(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return errors.New("not built yet")
}

func runService(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return errors.New("not built yet")
}

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return errors.New("not built yet")
}

func runConfig(stdout io.Writer) error {
	_, err := fmt.Fprint(stdout, config.MarkdownTable())
	return err
}
