package authapi_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/services/auth"
)

// The auth domain names roles without importing the HTTP layer; the strings
// must stay those authn enforces.
func TestRoles_DomainMatchesAuthn(t *testing.T) {
	// A staff account is one of the staff roles or an auditor, who is not
	// staff at the service edges (reads no booking, acts for nobody).
	require.Equal(t, append(append([]string{}, authn.StaffRoles...), authn.RoleAuditor), auth.StaffRoles())
	require.Equal(t, authn.RoleAuditor, auth.RoleAuditor)
	require.Equal(t, authn.RoleCustomer, auth.RoleCustomer)
}
