package auth_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/services/auth"
)

// fakeIDP is an identity provider that signs in whoever it is told to.
type fakeIDP struct {
	state    string
	identity auth.Identity
}

func (f *fakeIDP) AuthCodeURL(_ context.Context, req auth.AuthCodeRequest) (string, error) {
	f.state = req.State
	return "https://idp.example/authorize?state=" + url.QueryEscape(req.State), nil
}

func (f *fakeIDP) Exchange(context.Context, auth.ExchangeRequest) (auth.Identity, error) {
	return f.identity, nil
}

func TestCustomerLogin_UnverifiedEmailIsNotKept(t *testing.T) {
	cases := []struct {
		name      string
		verified  bool
		wantEmail string
	}{
		{"a verified email is kept", true, "ada@example.com"},
		{"an unverified email is dropped", false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			idp := &fakeIDP{identity: auth.Identity{Issuer: "https://idp.example", Subject: "sub-" + tc.name, Email: "ada@example.com", EmailVerified: tc.verified}}
			f := newFixture(t, func(c *auth.Config, d *auth.Deps) {
				d.IDP = idp
				c.RedirectURIs = []string{"https://app.example/cb"}
			})
			_, err := f.svc.BeginOIDC(context.Background(), "", "")
			require.NoError(t, err)
			tok, err := f.svc.CompleteOIDC(context.Background(), "code", idp.state, "203.0.113.1")
			require.NoError(t, err)
			require.Equal(t, tc.wantEmail, tok.User.Email)
		})
	}
}
