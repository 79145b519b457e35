package authn

import (
	"crypto/ed25519"
	"fmt"

	"github.com/golang-jwt/jwt/v5"
)

// Sign mints an access token: EdDSA, the given kid and typ at+jwt. The auth
// service issues tokens with it; tests use it to make tokens of their own.
func Sign(priv ed25519.PrivateKey, kid string, claims Claims) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = kid
	tok.Header["typ"] = AccessTokenType
	s, err := tok.SignedString(priv)
	if err != nil {
		return "", fmt.Errorf("authn: sign access token: %w", err)
	}
	return s, nil
}
