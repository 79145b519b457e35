// Package customerchannel holds the delivery adapters of the customer
// domain's notification channels: email over SMTP (wneessen/go-mail), SMS and
// push over a provider's HTTP API, and the development outbox that captures
// messages for `skyfly dev` instead of sending them.
package customerchannel

import (
	"context"
	"sync"
	"time"

	"github.com/skyfly/skyfly/services/customer"
)

// OutboxMessage is a message the development outbox captured.
type OutboxMessage struct {
	ID         string
	Channel    customer.Channel
	To         string
	TemplateID string
	Language   string
	Subject    string
	Text       string
	HTML       string
	Short      string
	At         time.Time
}

// Outbox is the development channel: it keeps the newest messages in memory
// so a developer can read them (GET /api/v1/dev/outbox), and sends nothing.
type Outbox struct {
	mu   sync.Mutex
	msgs []OutboxMessage // oldest first
	max  int
	now  func() time.Time
}

// NewOutbox returns an outbox keeping at most capacity messages.
func NewOutbox(capacity int, now func() time.Time) *Outbox {
	if capacity <= 0 {
		capacity = 500
	}
	return &Outbox{max: capacity, now: now}
}

// Send implements customer.Sender; the provider message id is "outbox-<id>".
func (o *Outbox) Send(ctx context.Context, m customer.Message) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, OutboxMessage{
		ID: m.ID, Channel: m.Channel, To: m.To, TemplateID: m.TemplateID, Language: m.Language,
		Subject: m.Subject, Text: m.Text, HTML: m.HTML, Short: m.Short, At: o.now().UTC(),
	})
	if len(o.msgs) > o.max {
		o.msgs = append([]OutboxMessage(nil), o.msgs[len(o.msgs)-o.max:]...)
	}
	return "outbox-" + m.ID, nil
}

// OutboxFilter selects captured messages; zero fields match everything.
type OutboxFilter struct {
	To      string
	Channel customer.Channel
	Limit   int // all when <= 0
}

// Messages returns the captured messages matching f, newest first.
func (o *Outbox) Messages(f OutboxFilter) []OutboxMessage {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := []OutboxMessage{}
	for i := len(o.msgs) - 1; i >= 0; i-- {
		m := o.msgs[i]
		if (f.To != "" && m.To != f.To) || (f.Channel != "" && m.Channel != f.Channel) {
			continue
		}
		out = append(out, m)
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
	}
	return out
}
