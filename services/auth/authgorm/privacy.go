package authgorm

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/skyfly/skyfly/internal/platform/outbox"
	"github.com/skyfly/skyfly/internal/platform/sqldb"
	"github.com/skyfly/skyfly/services/auth"
)

var _ auth.PrivacyStore = (*Store)(nil)

// UserSessions implements auth.PrivacyStore.
func (s *Store) UserSessions(ctx context.Context, userID string) ([]auth.Session, error) {
	var rows []sessionRow
	if err := s.q(ctx).Where("user_id = ?", userID).Order("created_at DESC").Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("sessions of %s: %w", userID, translate(err))
	}
	out := make([]auth.Session, len(rows))
	for i, r := range rows {
		out[i] = toSession(r)
	}
	return out, nil
}

// EraseUser implements auth.PrivacyStore.
func (s *Store) EraseUser(ctx context.Context, userID string, at time.Time) (bool, error) {
	at = at.UTC()
	erased := false
	err := s.db.Transaction(ctx, func(tx *sqldb.DB) error {
		erased = false
		var u userRow
		if err := tx.Where("id = ?", userID).Take(&u).Error; err != nil {
			return translate(err)
		}
		if strings.HasPrefix(u.Subject, auth.ErasedSubjectPrefix) {
			return nil
		}
		res := tx.Model(&userRow{}).Where("id = ? AND subject = ?", userID, u.Subject).Updates(map[string]any{
			"subject": auth.ErasedSubjectPrefix + userID, "email": "", "name": "", "disabled": true, "updated_at": at,
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return nil // a concurrent erasure won
		}
		erased = true
		for _, del := range []any{&passwordRow{}, &totpRow{}, &totpUsedRow{}} {
			if err := tx.Where("user_id = ?", userID).Delete(del).Error; err != nil {
				return err
			}
		}
		var ids []string
		if err := tx.Model(&sessionRow{}).Where("user_id = ? AND revoked_at IS NULL", userID).Order("id").Pluck("id", &ids).Error; err != nil {
			return err
		}
		if len(ids) > 0 {
			if err := tx.Model(&sessionRow{}).Where("id IN ?", ids).
				Updates(map[string]any{"revoked_at": at, "revoke_reason": "user erased"}).Error; err != nil {
				return err
			}
			if err := tx.Model(&refreshRow{}).Where("session_id IN ? AND revoked_at IS NULL", ids).Update("revoked_at", at).Error; err != nil {
				return err
			}
			for _, id := range ids {
				if err := appendSessionEvent(tx, auth.DomainEventSessionRevoked, id, userID, "", "user erased", at); err != nil {
					return err
				}
			}
		}
		if err := tx.Model(&eventRow{}).Where("user_id = ?", userID).Updates(map[string]any{"ip": "", "detail": ""}).Error; err != nil {
			return err
		}
		if err := tx.Create(&eventRow{ID: "erased-" + userID, OccurredAt: at, Kind: auth.EventUserErased, UserID: userID}).Error; err != nil {
			return err
		}
		e, err := outbox.New(userID+"/erased", auth.DomainEventUserErased, outbox.Aggregate{Type: auth.AggregateUser, ID: userID}, at, auth.UserErasedData{UserID: userID})
		if err != nil {
			return err
		}
		return outbox.Append(tx.DB, Domain, e)
	})
	if err != nil {
		return false, fmt.Errorf("erase user %s: %w", userID, translate(err))
	}
	return erased, nil
}
