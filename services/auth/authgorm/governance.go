package authgorm

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm/clause"

	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/services/auth"
)

type recoveryCodeRow struct {
	UserID     string `gorm:"primaryKey"`
	CodeHash   string `gorm:"primaryKey"`
	KeyVersion int
	CreatedAt  time.Time
	UsedAt     *time.Time
}

func (recoveryCodeRow) TableName() string { return "auth_recovery_codes" }

type mfaResetRow struct {
	ID          string `gorm:"primaryKey"`
	UserID      string
	RequestedBy string
	Reason      string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	ApprovedBy  string
	ApprovedAt  *time.Time
}

func (mfaResetRow) TableName() string { return "auth_mfa_resets" }

// StaffUsers implements auth.Store.
func (s *Store) StaffUsers(ctx context.Context) ([]auth.User, error) {
	var rows []userRow
	if err := s.q(ctx).Where("issuer = ?", auth.StaffIssuer).Order("email").Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("staff users: %w", translate(err))
	}
	out := make([]auth.User, len(rows))
	for i, r := range rows {
		out[i] = toUser(r)
	}
	return out, nil
}

// UpdateStaff implements auth.Store. The active staff rows are locked
// (FOR UPDATE; SQLite serialises writers anyway), so two admins disabling
// each other at once cannot both pass the last-admin check.
func (s *Store) UpdateStaff(ctx context.Context, u auth.User) error {
	r := fromUser(u)
	err := s.db.Transaction(ctx, func(tx *sqldb.DB) error {
		var active []userRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("issuer = ? AND disabled = ?", auth.StaffIssuer, false).
			Order("id").Find(&active).Error; err != nil {
			return err
		}
		admins := 0
		for _, a := range active {
			if a.ID != u.ID && slices.Contains(toUser(a).Roles, auth.RoleAdmin) {
				admins++
			}
		}
		if !u.Disabled && slices.Contains(u.Roles, auth.RoleAdmin) {
			admins++
		}
		if admins == 0 {
			return auth.ErrLastAdmin
		}
		res := tx.Model(&userRow{}).Where("id = ? AND issuer = ?", u.ID, auth.StaffIssuer).
			Updates(map[string]any{"roles": r.Roles, "disabled": r.Disabled, "updated_at": r.UpdatedAt})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return auth.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update staff %s: %w", u.ID, translate(err))
	}
	return nil
}

// ReplaceRecoveryCodes implements auth.Store.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID string, codes []auth.RecoveryCode) error {
	err := s.db.Transaction(ctx, func(tx *sqldb.DB) error { return replaceRecoveryCodes(tx, userID, codes) })
	if err != nil {
		return fmt.Errorf("replace recovery codes of %s: %w", userID, translate(err))
	}
	return nil
}

func replaceRecoveryCodes(tx *sqldb.DB, userID string, codes []auth.RecoveryCode) error {
	if err := tx.Where("user_id = ?", userID).Delete(&recoveryCodeRow{}).Error; err != nil {
		return err
	}
	if len(codes) == 0 {
		return nil
	}
	rows := make([]recoveryCodeRow, len(codes))
	for i, c := range codes {
		if c.UserID != userID {
			return fmt.Errorf("recovery code of user %s given for %s", c.UserID, userID)
		}
		rows[i] = recoveryCodeRow{UserID: userID, CodeHash: c.Hash, KeyVersion: c.KeyVersion, CreatedAt: c.CreatedAt.UTC(), UsedAt: utcPtr(c.UsedAt)}
	}
	return tx.Create(&rows).Error
}

// UseRecoveryCode implements auth.Store: the conditional update decides
// which of two concurrent uses of one code wins.
func (s *Store) UseRecoveryCode(ctx context.Context, userID, hash string, at time.Time) error {
	err := s.db.Transaction(ctx, func(tx *sqldb.DB) error {
		res := tx.Model(&recoveryCodeRow{}).Where("user_id = ? AND code_hash = ? AND used_at IS NULL", userID, hash).Update("used_at", at.UTC())
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 1 {
			return nil
		}
		var n int64
		if err := tx.Model(&recoveryCodeRow{}).Where("user_id = ? AND code_hash = ?", userID, hash).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return auth.ErrConflict
		}
		return auth.ErrNotFound
	})
	if err != nil {
		return fmt.Errorf("use recovery code of %s: %w", userID, translate(err))
	}
	return nil
}

// RecoveryCodesLeft implements auth.Store.
func (s *Store) RecoveryCodesLeft(ctx context.Context, userID string) (int, error) {
	var n int64
	if err := s.q(ctx).Model(&recoveryCodeRow{}).Where("user_id = ? AND used_at IS NULL", userID).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("recovery codes of %s: %w", userID, translate(err))
	}
	return int(n), nil
}

// CreateMFAReset implements auth.Store.
func (s *Store) CreateMFAReset(ctx context.Context, r auth.MFAReset) error {
	row := mfaResetRow{ID: r.ID, UserID: r.UserID, RequestedBy: r.RequestedBy, Reason: truncate(r.Reason, auth.MaxReasonLength),
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}
	if err := s.q(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("create mfa reset %s: %w", r.ID, translate(err))
	}
	return nil
}

// MFAReset implements auth.Store.
func (s *Store) MFAReset(ctx context.Context, id string) (auth.MFAReset, error) {
	var r mfaResetRow
	if err := s.q(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return auth.MFAReset{}, fmt.Errorf("mfa reset %s: %w", id, translate(err))
	}
	return auth.MFAReset{ID: r.ID, UserID: r.UserID, RequestedBy: r.RequestedBy, Reason: r.Reason, CreatedAt: r.CreatedAt.UTC(),
		ExpiresAt: r.ExpiresAt.UTC(), ApprovedBy: r.ApprovedBy, ApprovedAt: utcPtr(r.ApprovedAt)}, nil
}

// CompleteMFAReset implements auth.Store.
func (s *Store) CompleteMFAReset(ctx context.Context, id, approverID string, at time.Time, secret auth.TOTPSecret, codes []auth.RecoveryCode) error {
	err := s.db.Transaction(ctx, func(tx *sqldb.DB) error {
		res := tx.Model(&mfaResetRow{}).Where("id = ? AND approved_at IS NULL AND user_id = ?", id, secret.UserID).
			Updates(map[string]any{"approved_by": approverID, "approved_at": at.UTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return auth.ErrConflict
		}
		if err := upsertTOTP(tx.DB, secret); err != nil {
			return err
		}
		// The used steps guarded the old secret; the new one starts clean.
		if err := tx.Where("user_id = ?", secret.UserID).Delete(&totpUsedRow{}).Error; err != nil {
			return err
		}
		return replaceRecoveryCodes(tx, secret.UserID, codes)
	})
	if err != nil {
		return fmt.Errorf("complete mfa reset %s: %w", id, translate(err))
	}
	return nil
}
