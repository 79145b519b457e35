package main

import (
	"bytes"
	"context"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStaffCreate_BootstrapsTheFirstAdminWithRecoveryCodes: the CLI stays
// the way to create the first admin, who then manages staff through the API
// (issue #10); it hands over the recovery codes once, like the API.
func TestStaffCreate_BootstrapsTheFirstAdminWithRecoveryCodes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	getenv := func(k string) string { return map[string]string{"SKYFLY_DATA_DIR": dir}[k] }
	var out, errOut bytes.Buffer
	require.NoError(t, run(ctx, []string{"staff", "create", "--email", "root@skyfly.test", "--role", "admin"}, getenv, &out, &errOut), errOut.String())
	require.Contains(t, out.String(), "role:        admin")
	require.Contains(t, out.String(), "otpauth URI: otpauth://totp/SkyFly:root@skyfly.test")
	codes := regexp.MustCompile(`(?m)^    [a-z2-9]{5}-[a-z2-9]{5}$`).FindAllString(out.String(), -1)
	require.Len(t, codes, 10, "ten recovery codes in:\n%s", out.String())

	out.Reset()
	err := run(ctx, []string{"staff", "create", "--email", "root@skyfly.test", "--role", "admin"}, getenv, &out, &errOut)
	require.Error(t, err, "the same account twice")
}
