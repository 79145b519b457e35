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
	require.Equal(t, authn.StaffRoles, auth.StaffRoles())
	require.Equal(t, authn.RoleCustomer, auth.RoleCustomer)
}
