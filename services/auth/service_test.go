package auth_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/api/authapi"
	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/internal/platform/secrets"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/internal/platform/testenv"
	"github.com/skyfly/skyfly/services/auth"
	"github.com/skyfly/skyfly/services/auth/authgorm"
)

const (
	issuer   = "skyfly-auth"
	audience = "skyfly-api"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// recorder collects published revocations.
type recorder struct {
	mu  sync.Mutex
	ids []string
}

func (r *recorder) SessionsRevoked(_ context.Context, ids []string, _ time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ids = append(r.ids, ids...)
	return nil
}

type fixture struct {
	svc      *auth.Service
	signer   *authapi.Signer
	store    *authgorm.Store
	db       *sqldb.DB
	keys     *secrets.Keyring
	clock    *clock
	revoked  *recorder
	verifier *authn.Verifier
}

// cheapArgon keeps tests fast; production cost is DefaultArgon2.
var cheapArgon = auth.Argon2Params{Memory: 8 * 1024, Time: 1, Threads: 1}

func newFixture(t *testing.T, mutate ...func(*auth.Config, *auth.Deps)) *fixture {
	t.Helper()
	return newFixtureOn(t, testenv.SQLiteDSN(t), mutate...)
}

// newFixtureOn is newFixture on the database of dsn.
func newFixtureOn(t *testing.T, dsn string, mutate ...func(*auth.Config, *auth.Deps)) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: dsn})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, authgorm.Migrate(ctx, db))
	keys, err := secrets.NewKeyring(filepath.Join(t.TempDir(), "keyring.json"), time.Now)
	require.NoError(t, err)
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	rec := &recorder{}
	store := authgorm.New(db)
	signer := authapi.NewSigner(keys, issuer, audience, 15*time.Minute)
	cfg := auth.Config{Argon2: &cheapArgon, RedirectURIs: []string{"https://app.example/callback"}}
	deps := auth.Deps{Store: store, Keys: keys, Tokens: signer, Notifier: rec, Now: clk.Now}
	for _, m := range mutate {
		m(&cfg, &deps)
	}
	svc, err := auth.NewService(deps, cfg)
	require.NoError(t, err)
	v := authn.NewVerifier(authn.VerifierConfig{Keys: signer, Issuer: issuer, Audience: audience, Revocations: svc, Now: clk.Now})
	return &fixture{svc: svc, signer: signer, store: store, db: db, keys: keys, clock: clk, revoked: rec, verifier: v}
}

// staffTokens logs a staff member in with password and TOTP.
func (f *fixture) staffLogin(t *testing.T, e auth.StaffEnrollment, ip string) (auth.Tokens, error) {
	t.Helper()
	ctx := context.Background()
	loginID, err := f.svc.StartStaffLogin(ctx, e.User.Email)
	require.NoError(t, err)
	mfa, err := f.svc.VerifyStaffPassword(ctx, loginID, e.Password, ip)
	if err != nil {
		return auth.Tokens{}, err
	}
	challenge, _, err := f.svc.StartMFAChallenge(ctx, mfa, auth.MethodTOTP)
	require.NoError(t, err)
	code, err := auth.TOTPCode(e.TOTPSecret, f.clock.Now())
	require.NoError(t, err)
	return f.svc.VerifyMFA(ctx, challenge, code, ip)
}

func (f *fixture) challenge(t *testing.T, e auth.StaffEnrollment) string {
	t.Helper()
	ctx := context.Background()
	loginID, err := f.svc.StartStaffLogin(ctx, e.User.Email)
	require.NoError(t, err)
	mfa, err := f.svc.VerifyStaffPassword(ctx, loginID, e.Password, "192.0.2.1")
	require.NoError(t, err)
	challenge, _, err := f.svc.StartMFAChallenge(ctx, mfa, auth.MethodTOTP)
	require.NoError(t, err)
	return challenge
}

func TestStaffLogin_PasswordThenTOTPGivesStaffToken(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e, err := f.svc.CreateStaff(ctx, "Agent@SkyFly.dev", authn.RoleAgent, "")
	require.NoError(t, err)
	require.Contains(t, e.TOTPURI, "otpauth://totp/SkyFly:agent@skyfly.dev")

	tok, err := f.staffLogin(t, e, "192.0.2.1")
	require.NoError(t, err)
	p, err := f.verifier.Verify(ctx, tok.AccessToken)
	require.NoError(t, err)
	require.Equal(t, e.User.ID, p.UserID)
	require.Equal(t, []string{authn.RoleAgent}, p.Roles)
	require.Equal(t, "agent@skyfly.dev", p.Email)
	require.Equal(t, tok.SessionID, p.SessionID)

	sess, err := f.store.Session(ctx, tok.SessionID)
	require.NoError(t, err)
	require.Equal(t, 12*time.Hour, sess.ExpiresAt.Sub(sess.CreatedAt), "staff sessions last 12 h")

	events, err := f.svc.Events(ctx, e.User.ID, 10)
	require.NoError(t, err)
	kinds := make([]string, len(events))
	for i, ev := range events {
		kinds[i] = ev.Kind
	}
	require.Contains(t, kinds, auth.EventLogin)
	require.Contains(t, kinds, auth.EventStaffCreated)
}

func TestStaffLogin_StepsAreSingleUse(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e, err := f.svc.CreateStaff(ctx, "a@skyfly.dev", authn.RoleAgent, "")
	require.NoError(t, err)
	loginID, err := f.svc.StartStaffLogin(ctx, e.User.Email)
	require.NoError(t, err)
	mfa, err := f.svc.VerifyStaffPassword(ctx, loginID, e.Password, "192.0.2.1")
	require.NoError(t, err)
	_, err = f.svc.VerifyStaffPassword(ctx, loginID, e.Password, "192.0.2.1")
	require.ErrorIs(t, err, auth.ErrInvalidLoginFlow, "a login id is used once")
	_, _, err = f.svc.StartMFAChallenge(ctx, mfa, "sms")
	require.ErrorIs(t, err, auth.ErrUnsupportedMethod)
	_, _, err = f.svc.StartMFAChallenge(ctx, loginID, auth.MethodTOTP)
	require.ErrorIs(t, err, auth.ErrInvalidLoginFlow, "a login id is not an MFA token")
	_, _, err = f.svc.StartMFAChallenge(ctx, mfa, auth.MethodTOTP)
	require.NoError(t, err)
	_, _, err = f.svc.StartMFAChallenge(ctx, mfa, auth.MethodTOTP)
	require.ErrorIs(t, err, auth.ErrInvalidLoginFlow, "an MFA token is used once")

	f.clock.Add(6 * time.Minute)
	_, err = f.svc.VerifyMFA(ctx, "nonsense", "123456", "192.0.2.1")
	require.ErrorIs(t, err, auth.ErrInvalidLoginFlow)
}

func TestTOTP_M1_CurrentAndPreviousStepOnly(t *testing.T) {
	key, err := auth.NewTOTPKey("a@skyfly.dev")
	require.NoError(t, err)
	now := testdate.At(0, 10, 0).Add(15 * time.Second) // mid-step: 15 s into a 30 s TOTP step
	cases := []struct {
		name   string
		offset time.Duration
		ok     bool
	}{
		{"the current step's code is accepted", 0, true},
		{"the previous step's code is accepted", -30 * time.Second, true},
		{"a code two steps old is refused", -60 * time.Second, false},
		{"the next step's code is refused", 30 * time.Second, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, err := auth.TOTPCode(key.Secret(), now.Add(tc.offset))
			require.NoError(t, err)
			step, ok, err := auth.MatchTOTP(key.Secret(), code, now)
			require.NoError(t, err)
			require.Equal(t, tc.ok, ok, "got match %v, want %v", ok, tc.ok)
			if ok {
				require.Equal(t, auth.TOTPStep(now.Add(tc.offset)), step)
			}
		})
	}
	_, ok, err := auth.MatchTOTP(key.Secret(), "12345", now)
	require.NoError(t, err)
	require.False(t, ok, "a 5-digit code never matches")
}

func TestStaffLogin_M1_OldCodeRefusedByService(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e, err := f.svc.CreateStaff(ctx, "a@skyfly.dev", authn.RoleAgent, "")
	require.NoError(t, err)
	old, err := auth.TOTPCode(e.TOTPSecret, f.clock.Now().Add(-61*time.Second))
	require.NoError(t, err)
	current, err := auth.TOTPCode(e.TOTPSecret, f.clock.Now())
	require.NoError(t, err)
	if old == current {
		t.Skip("the two codes collide by chance (1 in a million)")
	}
	_, err = f.svc.VerifyMFA(ctx, f.challenge(t, e), old, "192.0.2.1")
	require.ErrorIs(t, err, auth.ErrInvalidCode)
	prev, err := auth.TOTPCode(e.TOTPSecret, f.clock.Now().Add(-30*time.Second))
	require.NoError(t, err)
	_, err = f.svc.VerifyMFA(ctx, f.challenge(t, e), prev, "192.0.2.1")
	require.NoError(t, err, "the previous step is still accepted")
}

func TestStaffLogin_M2_SameCodeSucceedsOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e, err := f.svc.CreateStaff(ctx, "a@skyfly.dev", authn.RoleAgent, "")
	require.NoError(t, err)
	code, err := auth.TOTPCode(e.TOTPSecret, f.clock.Now())
	require.NoError(t, err)
	_, err = f.svc.VerifyMFA(ctx, f.challenge(t, e), code, "192.0.2.1")
	require.NoError(t, err)
	_, err = f.svc.VerifyMFA(ctx, f.challenge(t, e), code, "192.0.2.1")
	require.ErrorIs(t, err, auth.ErrCodeReused, "the same code a second time")
}

func TestStaffLogin_M2_SameCodeConcurrentlySucceedsOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e, err := f.svc.CreateStaff(ctx, "a@skyfly.dev", authn.RoleAgent, "")
	require.NoError(t, err)
	const n = 6
	challenges := make([]string, n)
	for i := range challenges {
		challenges[i] = f.challenge(t, e)
	}
	code, err := auth.TOTPCode(e.TOTPSecret, f.clock.Now())
	require.NoError(t, err)
	f.verifyOnce(t, challenges, code)
}

// verifyOnce answers every challenge with code at the same moment and
// requires exactly one success, the others refused as a reuse (or
// throttled: reuses count as failures).
func (f *fixture) verifyOnce(t *testing.T, challenges []string, code string) {
	t.Helper()
	errs := make([]error, len(challenges))
	var wg sync.WaitGroup
	for i := range challenges {
		wg.Go(func() { _, errs[i] = f.svc.VerifyMFA(context.Background(), challenges[i], code, "192.0.2.1") })
	}
	wg.Wait()
	var ok, refused int
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, auth.ErrCodeReused), errors.Is(err, auth.ErrThrottled):
			refused++
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	require.Equal(t, 1, ok, "got %d successes, want 1", ok)
	require.Equal(t, len(challenges)-1, refused)
}

func TestStaffLogin_M3_GrowingDelaysPerAccountAndIP(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e, err := f.svc.CreateStaff(ctx, "victim@skyfly.dev", authn.RoleAgent, "")
	require.NoError(t, err)
	attempt := func(password, ip string) error {
		loginID, err := f.svc.StartStaffLogin(ctx, e.User.Email)
		require.NoError(t, err)
		_, err = f.svc.VerifyStaffPassword(ctx, loginID, password, ip)
		return err
	}
	const attacker = "203.0.113.9"
	for range 3 { // the pair's free failures
		require.ErrorIs(t, attempt("wrong password!", attacker), auth.ErrInvalidCredentials)
	}
	var waits []time.Duration
	for range 4 {
		require.ErrorIs(t, attempt("wrong password!", attacker), auth.ErrInvalidCredentials)
		err := attempt(e.Password, attacker)
		var te *auth.ThrottledError
		require.ErrorAs(t, err, &te, "even the right password is refused while throttled")
		waits = append(waits, te.RetryAfter)
		f.clock.Add(te.RetryAfter)
	}
	require.Equal(t, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}, waits, "got delays %v, want doubling", waits)

	require.NoError(t, attempt(e.Password, attacker), "after the delay the right password works")
}

func TestStaffLogin_M3_NoBulkLockout(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e, err := f.svc.CreateStaff(ctx, "victim@skyfly.dev", authn.RoleAgent, "")
	require.NoError(t, err)
	attempt := func(password, ip string) error {
		loginID, err := f.svc.StartStaffLogin(ctx, e.User.Email)
		require.NoError(t, err)
		_, err = f.svc.VerifyStaffPassword(ctx, loginID, password, ip)
		return err
	}
	// An attacker hammers the victim's account from one address...
	const attacker = "203.0.113.9"
	for failures := 0; failures < 14; {
		err := attempt("wrong password!", attacker)
		var te *auth.ThrottledError
		if errors.As(err, &te) {
			f.clock.Add(te.RetryAfter) // the attacker waits out every delay
			continue
		}
		require.ErrorIs(t, err, auth.ErrInvalidCredentials)
		failures++
	}
	// ...and is stopped for long,
	err = attempt("wrong password!", attacker)
	var te *auth.ThrottledError
	require.ErrorAs(t, err, &te)
	require.Greater(t, te.RetryAfter, time.Minute, "the attacking pair waits long")
	// while the victim from their own address waits at most the account cap.
	err = attempt(e.Password, "198.51.100.7")
	if errors.As(err, &te) {
		require.LessOrEqual(t, te.RetryAfter, auth.DefaultThrottle().AccountMax, "got wait %s for the victim, want at most the account cap", te.RetryAfter)
		f.clock.Add(te.RetryAfter)
		err = attempt(e.Password, "198.51.100.7")
	}
	require.NoError(t, err, "the victim signs in")
}

func TestStaffLogin_M3_UnknownAccountsGetTheSameAnswer(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e, err := f.svc.CreateStaff(ctx, "known@skyfly.dev", authn.RoleAgent, "")
	require.NoError(t, err)
	try := func(email string) (time.Duration, error) {
		loginID, err := f.svc.StartStaffLogin(ctx, email)
		require.NoError(t, err)
		start := time.Now()
		_, err = f.svc.VerifyStaffPassword(ctx, loginID, "wrong password!", "192.0.2."+email[:1])
		return time.Since(start), err
	}
	var known, unknown []time.Duration
	for range 3 {
		d, err := try(e.User.Email)
		require.ErrorIs(t, err, auth.ErrInvalidCredentials)
		known = append(known, d)
		d, err = try("nobody@skyfly.dev")
		require.ErrorIs(t, err, auth.ErrInvalidCredentials, "an unknown account fails like a known one")
		unknown = append(unknown, d)
	}
	// Both paths hash with the same argon2id cost; allow generous noise.
	k, u := median(known), median(unknown)
	require.Less(t, u, 4*k+20*time.Millisecond, "unknown %s vs known %s", u, k)
	require.Less(t, k, 4*u+20*time.Millisecond, "known %s vs unknown %s", k, u)

	// The fourth failure throttles an unknown account like a known one.
	_, err = try("nobody@skyfly.dev")
	require.ErrorIs(t, err, auth.ErrInvalidCredentials)
	_, err = try("nobody@skyfly.dev")
	require.ErrorIs(t, err, auth.ErrThrottled)
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}

func TestStaffLogin_M3_OTPFailuresAreThrottled(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e, err := f.svc.CreateStaff(ctx, "a@skyfly.dev", authn.RoleAgent, "")
	require.NoError(t, err)
	challenge := f.challenge(t, e)
	code, err := auth.TOTPCode(e.TOTPSecret, f.clock.Now())
	require.NoError(t, err)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for range 3 {
		_, err = f.svc.VerifyMFA(ctx, challenge, wrong, "192.0.2.1")
		require.ErrorIs(t, err, auth.ErrInvalidCode)
	}
	_, err = f.svc.VerifyMFA(ctx, challenge, wrong, "192.0.2.1")
	require.ErrorIs(t, err, auth.ErrInvalidCode)
	_, err = f.svc.VerifyMFA(ctx, challenge, code, "192.0.2.1")
	require.ErrorIs(t, err, auth.ErrThrottled, "the right code is refused while throttled")
}

func TestPassword_B1_Rules(t *testing.T) {
	p := auth.NewPasswordPolicy()
	require.GreaterOrEqual(t, p.Len(), 5000, "the shipped list has thousands of entries")
	long64 := "a long passphrase of exactly sixty-four characters, all allowed!"
	require.Len(t, long64, 64)
	cases := []struct {
		name     string
		password string
		ok       bool
	}{
		{"seven characters are too short", "tX9#kq2", false},
		{"eight characters are enough", "tX9#kq2!", true},
		{"eight multi-byte characters count as eight", "äöüßéèêë", true},
		{"no composition rules: lower-case letters only", "correcthorsebatterystaple", true},
		{"64 characters are allowed", long64, true},
		{"200 characters are allowed", string(make([]byte, 0)) + repeat("skyfly! ", 25), true},
		{"more than 256 characters are refused", repeat("x", 257), false},
		{"a common password is refused", "password123", false},
		{"the list is case-insensitive", "PassWord123", false},
		{"a keyboard walk is refused", "qwertyuiop", false},
		{"a digit run is refused", "1234567890", false},
		{"a common word with a year is refused", "football2024", false},
		{"leetspeak of a common word is refused", "p@$$w0rd", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := p.Check(tc.password)
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, auth.ErrWeakPassword)
		})
	}
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

func TestPassword_B1_StaffCreationEnforcesRules(t *testing.T) {
	f := newFixture(t)
	_, err := f.svc.CreateStaff(context.Background(), "a@skyfly.dev", authn.RoleAgent, "password1")
	require.ErrorIs(t, err, auth.ErrWeakPassword)
	_, err = f.svc.CreateStaff(context.Background(), "a@skyfly.dev", "pilot", "a fine passphrase")
	require.ErrorIs(t, err, auth.ErrInvalidRole)
	_, err = f.svc.CreateStaff(context.Background(), "a@skyfly.dev", authn.RoleSupervisor, "a fine passphrase")
	require.NoError(t, err)
	aud, err := f.svc.CreateStaff(context.Background(), "audit@skyfly.dev", authn.RoleAuditor, "")
	require.NoError(t, err, "auditors are staff accounts of their own role")
	require.Equal(t, []string{authn.RoleAuditor}, aud.User.Roles)
	_, err = f.svc.CreateStaff(context.Background(), "A@skyfly.dev", authn.RoleAgent, "a fine passphrase")
	require.ErrorIs(t, err, auth.ErrConflict, "emails are unique among staff, case-insensitively")
}

func TestHashPassword_Argon2id(t *testing.T) {
	h, err := auth.HashPassword("correct horse", cheapArgon)
	require.NoError(t, err)
	require.Regexp(t, `^\$argon2id\$v=19\$m=8192,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`, h)
	ok, err := auth.VerifyPassword("correct horse", h)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = auth.VerifyPassword("correct horsf", h)
	require.NoError(t, err)
	require.False(t, ok)
	h2, err := auth.HashPassword("correct horse", cheapArgon)
	require.NoError(t, err)
	require.NotEqual(t, h, h2, "salted")
}

func TestRefresh_A3_RotationAndReuseRevokesFamily(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e, err := f.svc.CreateStaff(ctx, "a@skyfly.dev", authn.RoleAgent, "")
	require.NoError(t, err)
	t1, err := f.staffLogin(t, e, "192.0.2.1")
	require.NoError(t, err)
	t2, err := f.svc.Refresh(ctx, t1.RefreshToken, "192.0.2.1")
	require.NoError(t, err)
	require.NotEqual(t, t1.RefreshToken, t2.RefreshToken, "RT1 -> RT2")
	t3, err := f.svc.Refresh(ctx, t2.RefreshToken, "192.0.2.1")
	require.NoError(t, err)
	require.Equal(t, t1.SessionID, t3.SessionID, "the family stays in one session")
	_, err = f.verifier.Verify(ctx, t3.AccessToken)
	require.NoError(t, err)

	_, err = f.svc.Refresh(ctx, t1.RefreshToken, "203.0.113.9")
	require.ErrorIs(t, err, auth.ErrRefreshTokenReused, "presenting RT1 again")

	_, err = f.svc.Refresh(ctx, t3.RefreshToken, "192.0.2.1")
	require.ErrorIs(t, err, auth.ErrSessionEnded, "RT3, the newest of the family, is dead too")
	_, err = f.verifier.Verify(ctx, t3.AccessToken)
	require.ErrorIs(t, err, authn.ErrRevoked, "the session's access tokens stop working")
	require.Contains(t, f.revoked.ids, t1.SessionID, "the revocation was published")

	events, err := f.svc.Events(ctx, e.User.ID, 20)
	require.NoError(t, err)
	var reuse bool
	for _, ev := range events {
		reuse = reuse || ev.Kind == auth.EventRefreshReuse
	}
	require.True(t, reuse, "the reuse is audited")
}

func TestRefresh_A3_ConcurrentReuseRevokes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e, err := f.svc.CreateStaff(ctx, "a@skyfly.dev", authn.RoleAgent, "")
	require.NoError(t, err)
	t1, err := f.staffLogin(t, e, "192.0.2.1")
	require.NoError(t, err)
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { _, errs[i] = f.svc.Refresh(ctx, t1.RefreshToken, "192.0.2.1") })
	}
	wg.Wait()
	var reused int
	for _, err := range errs {
		if errors.Is(err, auth.ErrRefreshTokenReused) || errors.Is(err, auth.ErrSessionEnded) {
			reused++
		}
	}
	require.GreaterOrEqual(t, reused, 3, "at most one of four concurrent uses of one token wins")
	sess, err := f.store.Session(ctx, t1.SessionID)
	require.NoError(t, err)
	require.NotNil(t, sess.RevokedAt, "a concurrent double use counts as reuse")
}

func TestRefresh_A3_AbsoluteSessionLifetime(t *testing.T) {
	f := newFixture(t, func(c *auth.Config, _ *auth.Deps) { c.StaffSessionTTL = time.Hour })
	ctx := context.Background()
	e, err := f.svc.CreateStaff(ctx, "a@skyfly.dev", authn.RoleAgent, "")
	require.NoError(t, err)
	tok, err := f.staffLogin(t, e, "192.0.2.1")
	require.NoError(t, err)
	for range 5 { // refreshing every 10 minutes never extends the session
		f.clock.Add(10 * time.Minute)
		tok, err = f.svc.Refresh(ctx, tok.RefreshToken, "192.0.2.1")
		require.NoError(t, err)
	}
	f.clock.Add(10*time.Minute + time.Second)
	_, err = f.svc.Refresh(ctx, tok.RefreshToken, "192.0.2.1")
	require.ErrorIs(t, err, auth.ErrSessionEnded, "after the absolute lifetime")
	_, err = f.svc.Refresh(ctx, "not-a-token", "192.0.2.1")
	require.ErrorIs(t, err, auth.ErrInvalidRefreshToken)
}

func TestLogout_A4_RevokesAtOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e, err := f.svc.CreateStaff(ctx, "a@skyfly.dev", authn.RoleAgent, "")
	require.NoError(t, err)
	tok, err := f.staffLogin(t, e, "192.0.2.1")
	require.NoError(t, err)
	_, err = f.verifier.Verify(ctx, tok.AccessToken)
	require.NoError(t, err)

	require.NoError(t, f.svc.Logout(ctx, tok.SessionID, e.User.ID, "192.0.2.1"))
	_, err = f.verifier.Verify(ctx, tok.AccessToken)
	require.ErrorIs(t, err, authn.ErrRevoked, "the access token stops working at once")
	_, err = f.svc.Refresh(ctx, tok.RefreshToken, "192.0.2.1")
	require.ErrorIs(t, err, auth.ErrSessionEnded, "the refresh family is revoked")
	require.Equal(t, []string{tok.SessionID}, f.revoked.ids, "pushed to the revocation notifier")

	revs, now, err := f.svc.Revocations(ctx, time.Time{})
	require.NoError(t, err)
	require.Equal(t, f.clock.Now(), now)
	require.Len(t, revs, 1)
	require.Equal(t, tok.SessionID, revs[0].SessionID)
	require.True(t, revs[0].ExpiresAt.After(now.Add(15*time.Minute)), "kept at least as long as an access token lives")

	f.clock.Add(20 * time.Minute)
	revs, _, err = f.svc.Revocations(ctx, time.Time{})
	require.NoError(t, err)
	require.Empty(t, revs, "revocations older than any live access token are not listed")
	require.NoError(t, f.svc.Logout(ctx, tok.SessionID, e.User.ID, "192.0.2.1"), "logging out twice is fine")
}

func TestDisableUser_A4_RevokesEverySession(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e, err := f.svc.CreateStaff(ctx, "a@skyfly.dev", authn.RoleAgent, "")
	require.NoError(t, err)
	a, err := f.staffLogin(t, e, "192.0.2.1")
	require.NoError(t, err)
	f.clock.Add(31 * time.Second) // a fresh TOTP step
	b, err := f.staffLogin(t, e, "192.0.2.2")
	require.NoError(t, err)
	require.NoError(t, f.svc.DisableUser(ctx, e.User.ID, "left the company"))
	for _, tok := range []auth.Tokens{a, b} {
		_, err = f.verifier.Verify(ctx, tok.AccessToken)
		require.ErrorIs(t, err, authn.ErrRevoked)
	}
	f.clock.Add(31 * time.Second)
	_, err = f.staffLogin(t, e, "192.0.2.1")
	require.ErrorIs(t, err, auth.ErrInvalidCredentials, "a disabled account cannot sign in")
	n, err := f.svc.RevokeUserSessions(ctx, e.User.ID, "again")
	require.NoError(t, err)
	require.Zero(t, n)
}

func TestAccessToken_A2_VerifierRejectsForgeries(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e, err := f.svc.CreateStaff(ctx, "a@skyfly.dev", authn.RoleAgent, "")
	require.NoError(t, err)
	tok, err := f.staffLogin(t, e, "192.0.2.1")
	require.NoError(t, err)
	p, err := f.verifier.Verify(ctx, tok.AccessToken)
	require.NoError(t, err)
	require.Equal(t, e.User.ID, p.UserID)

	key, err := f.keys.Current(ctx, secrets.KeyJWTSigning)
	require.NoError(t, err)
	priv := ed25519.NewKeyFromSeed(key.Material)
	pub := priv.Public().(ed25519.PublicKey)
	now := f.clock.Now()
	claims := func(mut func(*authn.Claims)) authn.Claims {
		c := authn.Claims{RegisteredClaims: jwt.RegisteredClaims{
			Issuer: issuer, Subject: e.User.ID, Audience: jwt.ClaimStrings{audience},
			ExpiresAt: jwt.NewNumericDate(now.Add(10 * time.Minute)), IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now),
		}, SessionID: tok.SessionID, Roles: []string{authn.RoleAdmin}}
		if mut != nil {
			mut(&c)
		}
		return c
	}
	signed := func(mut func(*authn.Claims)) string {
		s, err := authn.Sign(priv, key.ID(), claims(mut))
		require.NoError(t, err)
		return s
	}
	withHeader := func(method jwt.SigningMethod, signKey any, header map[string]any) string {
		tk := jwt.NewWithClaims(method, claims(nil))
		for k, v := range header {
			tk.Header[k] = v
		}
		s, err := tk.SignedString(signKey)
		require.NoError(t, err)
		return s
	}
	otherPriv := ed25519.NewKeyFromSeed(make([]byte, 32))

	cases := []struct {
		name  string
		token string
	}{
		{"alg none", withHeader(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, map[string]any{"kid": key.ID(), "typ": authn.AccessTokenType})},
		{"HS256 signed with the public key", withHeader(jwt.SigningMethodHS256, []byte(pub), map[string]any{"kid": key.ID(), "typ": authn.AccessTokenType})},
		{"HS256 signed with the base64 JWK x", withHeader(jwt.SigningMethodHS256, []byte(authn.NewJWK(key.ID(), pub).X), map[string]any{"kid": key.ID(), "typ": authn.AccessTokenType})},
		{"unknown kid", withHeader(jwt.SigningMethodEdDSA, priv, map[string]any{"kid": "jwt-signing/v99", "typ": authn.AccessTokenType})},
		{"a foreign key under our kid", withHeader(jwt.SigningMethodEdDSA, otherPriv, map[string]any{"kid": key.ID(), "typ": authn.AccessTokenType})},
		{"wrong audience", signed(func(c *authn.Claims) { c.Audience = jwt.ClaimStrings{"another-api"} })},
		{"wrong issuer", signed(func(c *authn.Claims) { c.Issuer = "https://evil.example" })},
		{"expired", signed(func(c *authn.Claims) { c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Minute)) })},
		{"not yet valid", signed(func(c *authn.Claims) { c.NotBefore = jwt.NewNumericDate(now.Add(5 * time.Minute)) })},
		{"without expiry", signed(func(c *authn.Claims) { c.ExpiresAt = nil })},
		{"an ID token (typ JWT) used as access token", withHeader(jwt.SigningMethodEdDSA, priv, map[string]any{"kid": key.ID(), "typ": "JWT"})},
		{"a refresh token used as access token", tok.RefreshToken},
		{"a tampered payload", tok.AccessToken[:len(tok.AccessToken)-4] + "AAAA"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.verifier.Verify(ctx, tc.token)
			require.ErrorIs(t, err, authn.ErrInvalidToken)
		})
	}
}

func TestJWKS_RotationOverlap(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e, err := f.svc.CreateStaff(ctx, "a@skyfly.dev", authn.RoleAgent, "")
	require.NoError(t, err)
	before, err := f.staffLogin(t, e, "192.0.2.1")
	require.NoError(t, err)
	_, err = f.keys.Rotate(ctx, secrets.KeyJWTSigning)
	require.NoError(t, err)
	f.clock.Add(31 * time.Second)
	after, err := f.staffLogin(t, e, "192.0.2.1")
	require.NoError(t, err)

	set, err := f.signer.JWKS(ctx)
	require.NoError(t, err)
	require.Len(t, set.Keys, 2, "both live versions are published")
	require.Equal(t, "jwt-signing/v2", set.Keys[0].Kid)
	for _, k := range set.Keys {
		require.Equal(t, "OKP", k.Kty)
		require.Equal(t, "EdDSA", k.Alg)
	}
	for name, tok := range map[string]string{"old key": before.AccessToken, "new key": after.AccessToken} {
		_, err := f.verifier.Verify(ctx, tok)
		require.NoError(t, err, name)
	}
	hdr, _, err := jwt.NewParser().ParseUnverified(after.AccessToken, &authn.Claims{})
	require.NoError(t, err)
	require.Equal(t, "jwt-signing/v2", hdr.Header["kid"], "new tokens use the new key")
}

func TestStaffLogin_M3_ConcurrentGuessesCannotSlipPastTheDelay(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e, err := f.svc.CreateStaff(ctx, "victim@skyfly.dev", authn.RoleAgent, "")
	require.NoError(t, err)
	const n = 16
	ids := make([]string, n)
	for i := range ids {
		ids[i], err = f.svc.StartStaffLogin(ctx, e.User.Email)
		require.NoError(t, err)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = f.svc.VerifyStaffPassword(ctx, ids[i], "guess number "+string(rune('a'+i)), "203.0.113.9")
		})
	}
	wg.Wait()
	var checked, throttled int
	for _, err := range errs {
		switch {
		case errors.Is(err, auth.ErrInvalidCredentials):
			checked++
		case errors.Is(err, auth.ErrThrottled):
			throttled++
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	t.Logf("burst of %d: %d checked, %d throttled", n, checked, throttled)
	free := auth.DefaultThrottle().PairFree
	require.LessOrEqual(t, checked, free+1, "got %d guesses checked in a burst, want at most the free ones and one more", checked)
	require.Equal(t, n, checked+throttled)
}
