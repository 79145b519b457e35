package secrets

import (
	"context"
	"errors"
	"fmt"
)

// ErrNotHeld is returned for a key this process may not use: it belongs to
// another process (the access-token signing key is the auth service's).
var ErrNotHeld = errors.New("secrets: key not held by this process")

// Restrict returns p limited to the keys and secrets holds admits; every
// other name answers ErrNotHeld, so no code path of the process can reach
// them through its provider. (Deployments back this with the store's own
// access control, e.g. one Vault policy per service.)
func Restrict(p Provider, holds func(name string) bool) Provider {
	return restricted{p: p, holds: holds}
}

type restricted struct {
	p     Provider
	holds func(string) bool
}

func (r restricted) check(name string) error {
	if !r.holds(name) {
		return fmt.Errorf("%w: %s", ErrNotHeld, name)
	}
	return nil
}

func (r restricted) Current(ctx context.Context, name string) (Key, error) {
	if err := r.check(name); err != nil {
		return Key{}, err
	}
	return r.p.Current(ctx, name)
}

func (r restricted) Version(ctx context.Context, name string, version int) (Key, error) {
	if err := r.check(name); err != nil {
		return Key{}, err
	}
	return r.p.Version(ctx, name, version)
}

func (r restricted) Versions(ctx context.Context, name string) ([]Key, error) {
	if err := r.check(name); err != nil {
		return nil, err
	}
	return r.p.Versions(ctx, name)
}

func (r restricted) Rotate(ctx context.Context, name string) (Key, error) {
	if err := r.check(name); err != nil {
		return Key{}, err
	}
	return r.p.Rotate(ctx, name)
}

func (r restricted) Destroy(ctx context.Context, name string) error {
	if err := r.check(name); err != nil {
		return err
	}
	return r.p.Destroy(ctx, name)
}

func (r restricted) Secret(ctx context.Context, name string) (map[string]string, error) {
	if err := r.check(name); err != nil {
		return nil, err
	}
	return r.p.Secret(ctx, name)
}
