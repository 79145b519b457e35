package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/skyfly/skyfly/api/authapi"
	"github.com/skyfly/skyfly/services/auth"
)

const staffUsage = `usage:
  skyfly staff create --email <email> --role <agent|supervisor|admin> [--password <password>] [config flags]
      creates a staff account and prints its password (generated unless given),
      TOTP secret and otpauth:// URI for an authenticator app
  skyfly staff disable --email <email> [--reason <text>] [config flags]
      disables the account and revokes its sessions at once
  skyfly staff totp --email <email> [config flags]
      development only: prints the account's current TOTP code`

// runStaff manages staff accounts.
func runStaff(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(staffUsage)
	}
	sub := args[0]
	own, rest, err := splitFlags(args[1:], "email", "role", "password", "reason")
	if err != nil {
		return fmt.Errorf("%w\n%s", err, staffUsage)
	}
	if sub != "create" && sub != "totp" && sub != "disable" {
		return fmt.Errorf("unknown staff command %q\n%s", sub, staffUsage)
	}
	if own["email"] == "" {
		return fmt.Errorf("--email is required\n%s", staffUsage)
	}
	cfg, _, err := loadConfig("staff "+sub, rest, getenv, stderr, nil)
	if err != nil {
		return err
	}
	if sub == "totp" && !cfg.Dev {
		return errors.New("skyfly staff totp is for development only (SKYFLY_DEV=true)")
	}
	p, err := newPlatform(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer p.close()
	d := p.deps(nil, nil)
	if err := migrateAuth(ctx, d); err != nil {
		return err
	}
	var notifier auth.RevocationNotifier
	if p.redis != nil {
		notifier = authapi.NewRedisRevocations(p.redis)
	}
	svc, _, _, db, err := openAuth(ctx, d, nil, notifier)
	if err != nil {
		return err
	}
	defer db.Close()

	if sub == "disable" {
		u, err := svc.StaffUser(ctx, own["email"])
		if err != nil {
			return fmt.Errorf("disable %s: %w", own["email"], err)
		}
		reason := own["reason"]
		if reason == "" {
			reason = "disabled with skyfly staff disable"
		}
		if err := svc.DisableUser(ctx, u.ID, reason); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "staff account %s disabled; its sessions are revoked\n", u.Email)
		return nil
	}

	if sub == "totp" {
		code, err := svc.StaffTOTPCode(ctx, own["email"])
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, code)
		return nil
	}
	if own["role"] == "" {
		return fmt.Errorf("--role is required\n%s", staffUsage)
	}
	e, err := svc.CreateStaff(ctx, own["email"], own["role"], own["password"])
	if err != nil {
		return err
	}
	password := e.Password
	if own["password"] != "" {
		password = "(as given)"
	}
	fmt.Fprintf(stdout, "staff account created\n  id:          %s\n  email:       %s\n  role:        %s\n  password:    %s\n  TOTP secret: %s\n  otpauth URI: %s\n  recovery codes (each works once in place of a TOTP code; shown only now):\n    %s\n",
		e.User.ID, e.User.Email, strings.Join(e.User.Roles, ","), password, e.TOTPSecret, e.TOTPURI, strings.Join(e.RecoveryCodes, "\n    "))
	return nil
}

// splitFlags takes the named flags (-name v, --name v, --name=v) out of
// args and returns them with the remaining arguments.
func splitFlags(args []string, names ...string) (map[string]string, []string, error) {
	own := map[string]string{}
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || !contains(names, name) {
			rest = append(rest, a)
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return nil, nil, fmt.Errorf("flag --%s needs a value", name)
			}
			i++
			value = args[i]
		}
		own[name] = value
	}
	return own, rest, nil
}
