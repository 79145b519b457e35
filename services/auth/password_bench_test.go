package auth_test

import (
	"testing"

	"github.com/skyfly/skyfly/services/auth"
)

// BenchmarkHashPassword_DefaultArgon2 measures the production argon2id cost
// (64 MiB, 1 pass, 2 lanes), which every staff password check pays, also
// for unknown accounts.
func BenchmarkHashPassword_DefaultArgon2(b *testing.B) {
	for b.Loop() {
		if _, err := auth.HashPassword("a fine passphrase", auth.DefaultArgon2()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPasswordPolicy_Check measures the B1 check against the shipped
// list.
func BenchmarkPasswordPolicy_Check(b *testing.B) {
	p := auth.NewPasswordPolicy()
	for b.Loop() {
		_ = p.Check("correct horse battery staple")
	}
}
