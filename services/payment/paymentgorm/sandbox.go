package paymentgorm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/skyfly/skyfly/internal/platform/money"
	"github.com/skyfly/skyfly/services/payment"
	"github.com/skyfly/skyfly/services/payment/sandbox"
)

type chargeRow struct {
	ID          string `gorm:"primaryKey"`
	PaymentID   string
	Token       string
	Amount      int64
	Currency    string
	Status      string
	Brand       string
	Last4       string `gorm:"column:last4"`
	DeclineCode string
	Captured    int64
	Refunded    int64
	CompleteAt  *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (chargeRow) TableName() string { return "sandbox_charges" }

func fromCharge(c sandbox.Charge) chargeRow {
	return chargeRow{ID: c.ID, PaymentID: c.PaymentID, Token: c.Token, Amount: c.Amount.Amount, Currency: c.Amount.Currency,
		Status: c.Status, Brand: c.Brand, Last4: c.Last4, DeclineCode: c.DeclineCode, Captured: c.Captured, Refunded: c.Refunded,
		CompleteAt: utcPtr(c.CompleteAt), CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
}

func toCharge(r chargeRow) sandbox.Charge {
	return sandbox.Charge{ID: r.ID, PaymentID: r.PaymentID, Token: r.Token, Amount: money.New(r.Amount, r.Currency),
		Status: r.Status, Brand: r.Brand, Last4: r.Last4, DeclineCode: r.DeclineCode, Captured: r.Captured, Refunded: r.Refunded,
		CompleteAt: utcPtr(r.CompleteAt), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

type requestRow struct {
	IdempotencyKey string `gorm:"primaryKey"`
	Op             string `gorm:"primaryKey"`
	RequestHash    string
	ChargeID       string
	Response       string
	CreatedAt      time.Time
}

func (requestRow) TableName() string { return "sandbox_requests" }

type webhookRow struct {
	EventID       string `gorm:"primaryKey"`
	Payload       string
	Attempts      int
	NextAttemptAt time.Time
	DeliveredAt   *time.Time
	GaveUp        bool
	LastError     string
}

func (webhookRow) TableName() string { return "sandbox_webhooks" }

// GetRequest implements sandbox.Store.
func (s *Store) GetRequest(ctx context.Context, key, op string) (sandbox.Request, bool, error) {
	var r requestRow
	err := s.q(ctx).Where("idempotency_key = ? AND op = ?", key, op).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return sandbox.Request{}, false, nil
	}
	if err != nil {
		return sandbox.Request{}, false, fmt.Errorf("select sandbox request %s/%s: %w", key, op, err)
	}
	return sandbox.Request{Key: r.IdempotencyKey, Op: r.Op, RequestHash: r.RequestHash, ChargeID: r.ChargeID, Response: r.Response, CreatedAt: r.CreatedAt.UTC()}, true, nil
}

// InsertRequest implements sandbox.Store.
func (s *Store) InsertRequest(ctx context.Context, r sandbox.Request) (bool, error) {
	row := requestRow{IdempotencyKey: r.Key, Op: r.Op, RequestHash: r.RequestHash, ChargeID: r.ChargeID, Response: r.Response, CreatedAt: r.CreatedAt.UTC()}
	res := s.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if errors.Is(res.Error, gorm.ErrDuplicatedKey) {
		return false, nil
	}
	if res.Error != nil {
		return false, fmt.Errorf("insert sandbox request %s/%s: %w", r.Key, r.Op, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// CreateCharge implements sandbox.Store.
func (s *Store) CreateCharge(ctx context.Context, c sandbox.Charge) error {
	r := fromCharge(c)
	if err := s.q(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("insert sandbox charge %s: %w", c.ID, err)
	}
	return nil
}

// GetCharge implements sandbox.Store.
func (s *Store) GetCharge(ctx context.Context, id string) (sandbox.Charge, error) {
	var r chargeRow
	err := s.q(ctx).Where("id = ?", id).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return sandbox.Charge{}, fmt.Errorf("sandbox charge %s: %w", id, payment.ErrNotFound)
	}
	if err != nil {
		return sandbox.Charge{}, fmt.Errorf("select sandbox charge %s: %w", id, err)
	}
	return toCharge(r), nil
}

// LatestChargeForPayment implements sandbox.Store.
func (s *Store) LatestChargeForPayment(ctx context.Context, paymentID string) (sandbox.Charge, error) {
	var rows []chargeRow
	if err := s.q(ctx).Where("payment_id = ?", paymentID).Order("created_at DESC").Order("id DESC").Limit(1).Find(&rows).Error; err != nil {
		return sandbox.Charge{}, fmt.Errorf("select sandbox charge of payment %s: %w", paymentID, err)
	}
	if len(rows) == 0 {
		return sandbox.Charge{}, fmt.Errorf("sandbox charge of payment %s: %w", paymentID, payment.ErrNotFound)
	}
	return toCharge(rows[0]), nil
}

// UpdateCharge implements sandbox.Store.
func (s *Store) UpdateCharge(ctx context.Context, c sandbox.Charge) error {
	r := fromCharge(c)
	err := s.q(ctx).Model(&chargeRow{}).Where("id = ?", c.ID).Updates(map[string]any{
		"status": r.Status, "decline_code": r.DeclineCode, "captured": r.Captured, "refunded": r.Refunded,
		"complete_at": r.CompleteAt, "updated_at": r.UpdatedAt,
	}).Error
	if err != nil {
		return fmt.Errorf("update sandbox charge %s: %w", c.ID, err)
	}
	return nil
}

// DueCompletions implements sandbox.Store.
func (s *Store) DueCompletions(ctx context.Context, now time.Time, limit int) ([]sandbox.Charge, error) {
	var rows []chargeRow
	err := s.q(ctx).Where("status = ? AND complete_at <= ?", sandbox.ChargeProcessing, now.UTC()).Order("complete_at").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("select due sandbox completions: %w", err)
	}
	out := make([]sandbox.Charge, len(rows))
	for i, r := range rows {
		out[i] = toCharge(r)
	}
	return out, nil
}

// EnqueueWebhook implements sandbox.Store.
func (s *Store) EnqueueWebhook(ctx context.Context, w sandbox.Webhook) error {
	r := webhookRow{EventID: w.EventID, Payload: w.Payload, Attempts: w.Attempts, NextAttemptAt: w.NextAttemptAt.UTC(),
		DeliveredAt: utcPtr(w.DeliveredAt), GaveUp: w.GaveUp, LastError: w.LastError}
	if err := s.q(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("enqueue sandbox webhook %s: %w", w.EventID, err)
	}
	return nil
}

// DueWebhooks implements sandbox.Store.
func (s *Store) DueWebhooks(ctx context.Context, now time.Time, limit int) ([]sandbox.Webhook, error) {
	var rows []webhookRow
	err := s.q(ctx).Where("delivered_at IS NULL AND gave_up = ? AND next_attempt_at <= ?", false, now.UTC()).
		Order("next_attempt_at").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("select due sandbox webhooks: %w", err)
	}
	out := make([]sandbox.Webhook, len(rows))
	for i, r := range rows {
		out[i] = sandbox.Webhook{EventID: r.EventID, Payload: r.Payload, Attempts: r.Attempts, NextAttemptAt: r.NextAttemptAt.UTC(),
			DeliveredAt: utcPtr(r.DeliveredAt), GaveUp: r.GaveUp, LastError: r.LastError}
	}
	return out, nil
}

// UpdateWebhook implements sandbox.Store.
func (s *Store) UpdateWebhook(ctx context.Context, w sandbox.Webhook) error {
	err := s.q(ctx).Model(&webhookRow{}).Where("event_id = ?", w.EventID).Updates(map[string]any{
		"attempts": w.Attempts, "next_attempt_at": w.NextAttemptAt.UTC(), "delivered_at": utcPtr(w.DeliveredAt),
		"gave_up": w.GaveUp, "last_error": truncate(w.LastError, 1000),
	}).Error
	if err != nil {
		return fmt.Errorf("update sandbox webhook %s: %w", w.EventID, err)
	}
	return nil
}
