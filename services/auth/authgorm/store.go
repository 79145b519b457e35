// Package authgorm is the auth domain's Store over GORM: PostgreSQL in
// production, SQLite for the embedded default, with versioned migrations per
// dialect (sqlite, postgres, mysql, sqlserver), and the auth outbox: session
// started and revoked events written in the transaction of the change.
package authgorm

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/skyfly/skyfly/internal/platform/outbox"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/services/auth"
)

//go:embed migrations
var migrations embed.FS

// MigrationsTable is the goose version table of the auth domain.
const MigrationsTable = "auth_migrations"

// Migrations returns the per-dialect migration files.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // embedded at build time
	}
	return sub
}

// Migrate applies the auth migrations to db, and the outbox's.
func Migrate(ctx context.Context, db *sqldb.DB) error {
	if err := sqldb.Migrate(ctx, db, Migrations(), MigrationsTable); err != nil {
		return fmt.Errorf("authgorm: %w", err)
	}
	if err := outbox.Migrate(ctx, db); err != nil {
		return fmt.Errorf("authgorm: %w", err)
	}
	return nil
}

// Domain is the auth domain's name on the bus (skyfly.auth.v1).
const Domain = "auth"

// appendSessionEvent writes a session event in tx, the transaction of the
// change it records.
func appendSessionEvent(tx *sqldb.DB, typ, sessionID, userID, method, reason string, at time.Time) error {
	e, err := outbox.New(auth.SessionEventID(sessionID, typ), typ, outbox.Aggregate{Type: auth.AggregateUser, ID: userID}, at,
		auth.SessionEventData{SessionID: sessionID, UserID: userID, Method: method, Reason: auth.ReasonCode(reason)})
	if err != nil {
		return err
	}
	return outbox.Append(tx.DB, Domain, e)
}

// Store implements auth.Store.
type Store struct {
	db *sqldb.DB
}

var _ auth.Store = (*Store)(nil)

// New returns a store on a migrated database.
func New(db *sqldb.DB) *Store { return &Store{db: db} }

// Ping checks the database (health checks).
func (s *Store) Ping(ctx context.Context) error { return s.db.Ping(ctx) }

type userRow struct {
	ID        string `gorm:"primaryKey"`
	Issuer    string
	Subject   string
	Email     string
	Name      string
	Roles     string
	Disabled  bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (userRow) TableName() string { return "auth_users" }

func toUser(r userRow) auth.User {
	var roles []string
	if r.Roles != "" {
		roles = strings.Split(r.Roles, ",")
	}
	return auth.User{ID: r.ID, Issuer: r.Issuer, Subject: r.Subject, Email: r.Email, Name: r.Name, Roles: roles,
		Disabled: r.Disabled, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func fromUser(u auth.User) userRow {
	return userRow{ID: u.ID, Issuer: u.Issuer, Subject: u.Subject, Email: u.Email, Name: u.Name, Roles: strings.Join(u.Roles, ","),
		Disabled: u.Disabled, CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC()}
}

type passwordRow struct {
	UserID    string `gorm:"primaryKey"`
	Hash      string
	UpdatedAt time.Time
}

func (passwordRow) TableName() string { return "auth_passwords" }

type totpRow struct {
	UserID     string `gorm:"primaryKey"`
	Ciphertext []byte
	KeyID      string
	CreatedAt  time.Time
}

func (totpRow) TableName() string { return "auth_totp_secrets" }

type totpUsedRow struct {
	UserID string `gorm:"primaryKey"`
	Step   int64  `gorm:"primaryKey;autoIncrement:false"`
	UsedAt time.Time
}

func (totpUsedRow) TableName() string { return "auth_totp_used" }

type sessionRow struct {
	ID           string `gorm:"primaryKey"`
	UserID       string
	Method       string
	CreatedAt    time.Time
	ExpiresAt    time.Time
	RevokedAt    *time.Time
	RevokeReason string
}

func (sessionRow) TableName() string { return "auth_sessions" }

func toSession(r sessionRow) auth.Session {
	return auth.Session{ID: r.ID, UserID: r.UserID, Method: r.Method, CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(),
		RevokedAt: utcPtr(r.RevokedAt), RevokeReason: r.RevokeReason}
}

type refreshRow struct {
	Hash      string `gorm:"primaryKey"`
	SessionID string
	CreatedAt time.Time
	ExpiresAt time.Time
	RotatedAt *time.Time
	RevokedAt *time.Time
}

func (refreshRow) TableName() string { return "auth_refresh_tokens" }

type oidcStateRow struct {
	StateHash    string `gorm:"primaryKey"`
	Nonce        string
	CodeVerifier string
	RedirectURI  string `gorm:"column:redirect_uri"`
	CreatedAt    time.Time
	ExpiresAt    time.Time
}

func (oidcStateRow) TableName() string { return "auth_oidc_states" }

type loginFlowRow struct {
	IDHash     string `gorm:"primaryKey;column:id_hash"`
	Kind       string
	Email      string
	UserID     string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	ConsumedAt *time.Time
}

func (loginFlowRow) TableName() string { return "auth_login_flows" }

type throttleRow struct {
	ThrottleKey   string `gorm:"primaryKey"`
	Failures      int
	LastFailureAt time.Time
}

func (throttleRow) TableName() string { return "auth_throttles" }

type eventRow struct {
	ID         string `gorm:"primaryKey"`
	OccurredAt time.Time
	Kind       string
	UserID     string
	SessionID  string
	IP         string `gorm:"column:ip"`
	Detail     string
}

func (eventRow) TableName() string { return "auth_security_events" }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// translate maps GORM errors to the domain's.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return auth.ErrNotFound
	case errors.Is(err, gorm.ErrDuplicatedKey), isUniqueViolation(err):
		return fmt.Errorf("%w: %w", auth.ErrConflict, err)
	}
	return err
}

// isUniqueViolation catches the duplicate-key errors GORM's translators miss
// (the SQLite translator knows only the cgo driver's errors).
func isUniqueViolation(err error) bool {
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		return liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

func (s *Store) q(ctx context.Context) *gorm.DB { return s.db.DB.WithContext(ctx) }

// CreateUser implements auth.Store.
func (s *Store) CreateUser(ctx context.Context, u auth.User) error {
	r := fromUser(u)
	if err := s.q(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("create user %s/%s: %w", u.Issuer, u.Subject, translate(err))
	}
	return nil
}

// UpdateUser implements auth.Store.
func (s *Store) UpdateUser(ctx context.Context, u auth.User) error {
	r := fromUser(u)
	res := s.q(ctx).Model(&userRow{}).Where("id = ?", u.ID).Updates(map[string]any{
		"email": r.Email, "name": r.Name, "roles": r.Roles, "disabled": r.Disabled, "updated_at": r.UpdatedAt,
	})
	if res.Error != nil {
		return fmt.Errorf("update user %s: %w", u.ID, translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("update user %s: %w", u.ID, auth.ErrNotFound)
	}
	return nil
}

// UserByID implements auth.Store.
func (s *Store) UserByID(ctx context.Context, id string) (auth.User, error) {
	var r userRow
	if err := s.q(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return auth.User{}, fmt.Errorf("user %s: %w", id, translate(err))
	}
	return toUser(r), nil
}

// UserByIdentity implements auth.Store.
func (s *Store) UserByIdentity(ctx context.Context, issuer, subject string) (auth.User, error) {
	var r userRow
	if err := s.q(ctx).Where("issuer = ? AND subject = ?", issuer, subject).Take(&r).Error; err != nil {
		return auth.User{}, fmt.Errorf("user %s/%s: %w", issuer, subject, translate(err))
	}
	return toUser(r), nil
}

// SetPassword implements auth.Store.
func (s *Store) SetPassword(ctx context.Context, userID, hash string, at time.Time) error {
	r := passwordRow{UserID: userID, Hash: hash, UpdatedAt: at.UTC()}
	err := s.q(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "user_id"}}, DoUpdates: clause.AssignmentColumns([]string{"hash", "updated_at"})}).Create(&r).Error
	if err != nil {
		return fmt.Errorf("set password of %s: %w", userID, translate(err))
	}
	return nil
}

// PasswordHash implements auth.Store.
func (s *Store) PasswordHash(ctx context.Context, userID string) (string, error) {
	var r passwordRow
	if err := s.q(ctx).Where("user_id = ?", userID).Take(&r).Error; err != nil {
		return "", fmt.Errorf("password of %s: %w", userID, translate(err))
	}
	return r.Hash, nil
}

// SetTOTP implements auth.Store.
func (s *Store) SetTOTP(ctx context.Context, t auth.TOTPSecret) error {
	if err := upsertTOTP(s.q(ctx), t); err != nil {
		return fmt.Errorf("set totp of %s: %w", t.UserID, translate(err))
	}
	return nil
}

func upsertTOTP(db *gorm.DB, t auth.TOTPSecret) error {
	r := totpRow{UserID: t.UserID, Ciphertext: t.Ciphertext, KeyID: t.KeyID, CreatedAt: t.CreatedAt.UTC()}
	return db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "user_id"}}, DoUpdates: clause.AssignmentColumns([]string{"ciphertext", "key_id", "created_at"})}).Create(&r).Error
}

// TOTP implements auth.Store.
func (s *Store) TOTP(ctx context.Context, userID string) (auth.TOTPSecret, error) {
	var r totpRow
	if err := s.q(ctx).Where("user_id = ?", userID).Take(&r).Error; err != nil {
		return auth.TOTPSecret{}, fmt.Errorf("totp of %s: %w", userID, translate(err))
	}
	return auth.TOTPSecret{UserID: r.UserID, Ciphertext: r.Ciphertext, KeyID: r.KeyID, CreatedAt: r.CreatedAt.UTC()}, nil
}

// UseTOTPStep implements auth.Store. The primary key (user_id, step) makes
// the insert the arbiter between concurrent uses of one code.
func (s *Store) UseTOTPStep(ctx context.Context, userID string, step int64, at time.Time) error {
	err := s.db.Transaction(ctx, func(tx *sqldb.DB) error {
		var later int64
		if err := tx.Model(&totpUsedRow{}).Where("user_id = ? AND step >= ?", userID, step).Count(&later).Error; err != nil {
			return err
		}
		if later > 0 {
			return auth.ErrConflict
		}
		return translate(tx.Create(&totpUsedRow{UserID: userID, Step: step, UsedAt: at.UTC()}).Error)
	})
	if err != nil {
		return fmt.Errorf("use totp step %d of %s: %w", step, userID, err)
	}
	return nil
}

// CreateSession implements auth.Store.
func (s *Store) CreateSession(ctx context.Context, sess auth.Session, first auth.RefreshToken) error {
	err := s.db.Transaction(ctx, func(tx *sqldb.DB) error {
		if err := tx.Create(&sessionRow{ID: sess.ID, UserID: sess.UserID, Method: sess.Method, CreatedAt: sess.CreatedAt.UTC(), ExpiresAt: sess.ExpiresAt.UTC()}).Error; err != nil {
			return translate(err)
		}
		if err := tx.Create(&refreshRow{Hash: first.Hash, SessionID: sess.ID, CreatedAt: first.CreatedAt.UTC(), ExpiresAt: first.ExpiresAt.UTC()}).Error; err != nil {
			return translate(err)
		}
		return appendSessionEvent(tx, auth.DomainEventSessionStarted, sess.ID, sess.UserID, sess.Method, "", sess.CreatedAt)
	})
	if err != nil {
		return fmt.Errorf("create session %s: %w", sess.ID, err)
	}
	return nil
}

// Session implements auth.Store.
func (s *Store) Session(ctx context.Context, id string) (auth.Session, error) {
	var r sessionRow
	if err := s.q(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return auth.Session{}, fmt.Errorf("session %s: %w", id, translate(err))
	}
	return toSession(r), nil
}

// RevokeSession implements auth.Store.
func (s *Store) RevokeSession(ctx context.Context, id, reason string, at time.Time) (bool, error) {
	var revoked bool
	err := s.db.Transaction(ctx, func(tx *sqldb.DB) error {
		res := tx.Model(&sessionRow{}).Where("id = ? AND revoked_at IS NULL", id).
			Updates(map[string]any{"revoked_at": at.UTC(), "revoke_reason": truncate(reason, 200)})
		if res.Error != nil {
			return res.Error
		}
		revoked = res.RowsAffected == 1
		if revoked {
			var r sessionRow
			if err := tx.Where("id = ?", id).Take(&r).Error; err != nil {
				return err
			}
			if err := appendSessionEvent(tx, auth.DomainEventSessionRevoked, id, r.UserID, r.Method, reason, at); err != nil {
				return err
			}
		}
		return tx.Model(&refreshRow{}).Where("session_id = ? AND revoked_at IS NULL", id).Update("revoked_at", at.UTC()).Error
	})
	if err != nil {
		return false, fmt.Errorf("revoke session %s: %w", id, translate(err))
	}
	return revoked, nil
}

// RevokeUserSessions implements auth.Store.
func (s *Store) RevokeUserSessions(ctx context.Context, userID, reason string, at time.Time) ([]string, error) {
	var ids []string
	err := s.db.Transaction(ctx, func(tx *sqldb.DB) error {
		ids = nil
		if err := tx.Model(&sessionRow{}).Where("user_id = ? AND revoked_at IS NULL", userID).Order("id").Pluck("id", &ids).Error; err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		if err := tx.Model(&sessionRow{}).Where("id IN ? AND revoked_at IS NULL", ids).
			Updates(map[string]any{"revoked_at": at.UTC(), "revoke_reason": truncate(reason, 200)}).Error; err != nil {
			return err
		}
		var rows []sessionRow
		if err := tx.Where("id IN ?", ids).Order("id").Find(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			if err := appendSessionEvent(tx, auth.DomainEventSessionRevoked, r.ID, r.UserID, r.Method, reason, at); err != nil {
				return err
			}
		}
		return tx.Model(&refreshRow{}).Where("session_id IN ? AND revoked_at IS NULL", ids).Update("revoked_at", at.UTC()).Error
	})
	if err != nil {
		return nil, fmt.Errorf("revoke sessions of %s: %w", userID, translate(err))
	}
	return ids, nil
}

// RevokedSince implements auth.Store.
func (s *Store) RevokedSince(ctx context.Context, since time.Time) ([]auth.Session, error) {
	var rows []sessionRow
	if err := s.q(ctx).Where("revoked_at >= ?", since.UTC()).Order("revoked_at").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("sessions revoked since %s: %w", since, translate(err))
	}
	out := make([]auth.Session, len(rows))
	for i, r := range rows {
		out[i] = toSession(r)
	}
	return out, nil
}

// RefreshToken implements auth.Store.
func (s *Store) RefreshToken(ctx context.Context, hash string) (auth.RefreshToken, error) {
	var r refreshRow
	if err := s.q(ctx).Where("hash = ?", hash).Take(&r).Error; err != nil {
		return auth.RefreshToken{}, fmt.Errorf("refresh token: %w", translate(err))
	}
	return auth.RefreshToken{Hash: r.Hash, SessionID: r.SessionID, CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(),
		RotatedAt: utcPtr(r.RotatedAt), RevokedAt: utcPtr(r.RevokedAt)}, nil
}

// RotateRefreshToken implements auth.Store: the conditional update decides
// which of two concurrent uses of one token wins.
func (s *Store) RotateRefreshToken(ctx context.Context, oldHash string, next auth.RefreshToken, at time.Time) error {
	err := s.db.Transaction(ctx, func(tx *sqldb.DB) error {
		res := tx.Model(&refreshRow{}).Where("hash = ? AND rotated_at IS NULL AND revoked_at IS NULL", oldHash).Update("rotated_at", at.UTC())
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return auth.ErrConflict
		}
		return tx.Create(&refreshRow{Hash: next.Hash, SessionID: next.SessionID, CreatedAt: next.CreatedAt.UTC(), ExpiresAt: next.ExpiresAt.UTC()}).Error
	})
	if err != nil {
		return fmt.Errorf("rotate refresh token: %w", translate(err))
	}
	return nil
}

// PutOIDCState implements auth.Store.
func (s *Store) PutOIDCState(ctx context.Context, st auth.OIDCState) error {
	r := oidcStateRow{StateHash: st.StateHash, Nonce: st.Nonce, CodeVerifier: st.CodeVerifier, RedirectURI: st.RedirectURI,
		CreatedAt: st.CreatedAt.UTC(), ExpiresAt: st.ExpiresAt.UTC()}
	if err := s.q(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("put oidc state: %w", translate(err))
	}
	return nil
}

// TakeOIDCState implements auth.Store: the delete decides which of two
// concurrent callbacks with one state wins.
func (s *Store) TakeOIDCState(ctx context.Context, stateHash string, now time.Time) (auth.OIDCState, error) {
	var r oidcStateRow
	err := s.db.Transaction(ctx, func(tx *sqldb.DB) error {
		if err := tx.Where("state_hash = ?", stateHash).Take(&r).Error; err != nil {
			return translate(err)
		}
		res := tx.Where("state_hash = ?", stateHash).Delete(&oidcStateRow{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return auth.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return auth.OIDCState{}, fmt.Errorf("take oidc state: %w", translate(err))
	}
	if !now.Before(r.ExpiresAt) {
		return auth.OIDCState{}, fmt.Errorf("take oidc state: expired: %w", auth.ErrNotFound)
	}
	return auth.OIDCState{StateHash: r.StateHash, Nonce: r.Nonce, CodeVerifier: r.CodeVerifier, RedirectURI: r.RedirectURI,
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}, nil
}

// PutLoginFlow implements auth.Store.
func (s *Store) PutLoginFlow(ctx context.Context, f auth.LoginFlow) error {
	r := loginFlowRow{IDHash: f.IDHash, Kind: f.Kind, Email: f.Email, UserID: f.UserID, CreatedAt: f.CreatedAt.UTC(), ExpiresAt: f.ExpiresAt.UTC()}
	if err := s.q(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("put %s flow: %w", f.Kind, translate(err))
	}
	return nil
}

// LoginFlow implements auth.Store.
func (s *Store) LoginFlow(ctx context.Context, idHash, kind string, now time.Time) (auth.LoginFlow, error) {
	var r loginFlowRow
	err := s.q(ctx).Where("id_hash = ? AND kind = ? AND consumed_at IS NULL AND expires_at > ?", idHash, kind, now.UTC()).Take(&r).Error
	if err != nil {
		return auth.LoginFlow{}, fmt.Errorf("%s flow: %w", kind, translate(err))
	}
	return auth.LoginFlow{IDHash: r.IDHash, Kind: r.Kind, Email: r.Email, UserID: r.UserID, CreatedAt: r.CreatedAt.UTC(),
		ExpiresAt: r.ExpiresAt.UTC(), ConsumedAt: utcPtr(r.ConsumedAt)}, nil
}

// ConsumeLoginFlow implements auth.Store.
func (s *Store) ConsumeLoginFlow(ctx context.Context, idHash string, at time.Time) error {
	res := s.q(ctx).Model(&loginFlowRow{}).Where("id_hash = ? AND consumed_at IS NULL", idHash).Update("consumed_at", at.UTC())
	if res.Error != nil {
		return fmt.Errorf("consume flow: %w", translate(res.Error))
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("consume flow: %w", auth.ErrNotFound)
	}
	return nil
}

// Throttles implements auth.Store.
func (s *Store) Throttles(ctx context.Context, keys []string) ([]auth.Throttle, error) {
	var rows []throttleRow
	if err := s.q(ctx).Where("throttle_key IN ?", keys).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("throttles: %w", translate(err))
	}
	out := make([]auth.Throttle, len(rows))
	for i, r := range rows {
		out[i] = auth.Throttle{Key: r.ThrottleKey, Failures: r.Failures, LastFailureAt: r.LastFailureAt.UTC()}
	}
	return out, nil
}

// RecordFailure implements auth.Store with one atomic upsert, so concurrent
// failures all count; the read-back shares its transaction.
func (s *Store) RecordFailure(ctx context.Context, key string, at time.Time, window time.Duration) (auth.Throttle, error) {
	at = at.UTC()
	stale := at.Add(-window)
	var got throttleRow
	err := s.db.Transaction(ctx, func(tx *sqldb.DB) error {
		r := throttleRow{ThrottleKey: key, Failures: 1, LastFailureAt: at}
		err := tx.Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "throttle_key"}},
			DoUpdates: clause.Assignments(map[string]any{
				"failures":        gorm.Expr("CASE WHEN auth_throttles.last_failure_at < ? THEN 1 ELSE auth_throttles.failures + 1 END", stale),
				"last_failure_at": at,
			}),
		}).Create(&r).Error
		if err != nil {
			return err
		}
		return tx.Where("throttle_key = ?", key).Take(&got).Error
	})
	if err != nil {
		return auth.Throttle{}, fmt.Errorf("record failure %s: %w", key, translate(err))
	}
	return auth.Throttle{Key: got.ThrottleKey, Failures: got.Failures, LastFailureAt: got.LastFailureAt.UTC()}, nil
}

// ForgiveFailure implements auth.Store.
func (s *Store) ForgiveFailure(ctx context.Context, key string) error {
	err := s.q(ctx).Model(&throttleRow{}).Where("throttle_key = ? AND failures > 0", key).Update("failures", gorm.Expr("failures - 1")).Error
	if err != nil {
		return fmt.Errorf("forgive failure %s: %w", key, translate(err))
	}
	return nil
}

// ResetThrottle implements auth.Store.
func (s *Store) ResetThrottle(ctx context.Context, key string) error {
	if err := s.q(ctx).Where("throttle_key = ?", key).Delete(&throttleRow{}).Error; err != nil {
		return fmt.Errorf("reset throttle %s: %w", key, translate(err))
	}
	return nil
}

// AppendEvent implements auth.Store.
func (s *Store) AppendEvent(ctx context.Context, e auth.SecurityEvent) error {
	r := eventRow{ID: e.ID, OccurredAt: e.OccurredAt.UTC(), Kind: e.Kind, UserID: e.UserID, SessionID: truncate(e.SessionID, 80), IP: truncate(e.IP, 64), Detail: truncate(e.Detail, 1000)}
	if err := s.q(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("append event %s: %w", e.Kind, translate(err))
	}
	return nil
}

// Events implements auth.Store.
func (s *Store) Events(ctx context.Context, userID string, limit int) ([]auth.SecurityEvent, error) {
	if limit <= 0 {
		limit = 100
	}
	var rows []eventRow
	if err := s.q(ctx).Where("user_id = ?", userID).Order("occurred_at DESC").Order("id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("events of %s: %w", userID, translate(err))
	}
	out := make([]auth.SecurityEvent, len(rows))
	for i, r := range rows {
		out[i] = auth.SecurityEvent{ID: r.ID, OccurredAt: r.OccurredAt.UTC(), Kind: r.Kind, UserID: r.UserID, SessionID: r.SessionID, IP: r.IP, Detail: r.Detail}
	}
	return out, nil
}

// Purge implements auth.Store.
func (s *Store) Purge(ctx context.Context, now, cutoff time.Time) error {
	now, cutoff = now.UTC(), cutoff.UTC()
	steps := []struct {
		what string
		run  func() error
	}{
		{"oidc states", func() error { return s.q(ctx).Where("expires_at < ?", now).Delete(&oidcStateRow{}).Error }},
		{"login flows", func() error { return s.q(ctx).Where("expires_at < ?", now).Delete(&loginFlowRow{}).Error }},
		{"refresh tokens", func() error { return s.q(ctx).Where("expires_at < ?", cutoff).Delete(&refreshRow{}).Error }},
		{"throttles", func() error { return s.q(ctx).Where("last_failure_at < ?", cutoff).Delete(&throttleRow{}).Error }},
	}
	for _, st := range steps {
		if err := st.run(); err != nil {
			return fmt.Errorf("purge %s: %w", st.what, translate(err))
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
