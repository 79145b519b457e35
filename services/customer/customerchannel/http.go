package customerchannel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/skyfly/skyfly/services/customer"
)

// HTTPConfig configures an SMS or push provider reached over HTTP.
type HTTPConfig struct {
	// URL receives a POST per message.
	URL string
	// Token is sent as a Bearer token.
	Token string
	// Client defaults to one with a 15s timeout.
	Client *http.Client
}

// HTTPProvider sends SMS or push messages to a provider's HTTP API: a JSON
// POST with the notification id as Idempotency-Key (so a retried delivery is
// not duplicated by the provider), answered by {"id": "<provider id>"}.
// SMS bodies are {"to","body"}; push bodies {"to","title","body"}.
type HTTPProvider struct {
	cfg     HTTPConfig
	channel customer.Channel
}

// NewSMSProvider returns the SMS channel over HTTP.
func NewSMSProvider(cfg HTTPConfig) (*HTTPProvider, error) {
	return newHTTPProvider(customer.ChannelSMS, cfg)
}

// NewPushProvider returns the push channel over HTTP.
func NewPushProvider(cfg HTTPConfig) (*HTTPProvider, error) {
	return newHTTPProvider(customer.ChannelPush, cfg)
}

func newHTTPProvider(ch customer.Channel, cfg HTTPConfig) (*HTTPProvider, error) {
	if cfg.URL == "" {
		return nil, fmt.Errorf("%s provider: URL is required", ch)
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 15 * time.Second}
	}
	return &HTTPProvider{cfg: cfg, channel: ch}, nil
}

type httpMessage struct {
	To    string `json:"to"`
	Title string `json:"title,omitempty"`
	Body  string `json:"body"`
}

// ErrProviderRejected is a 4xx answer: the provider refused the message.
var ErrProviderRejected = errors.New("provider rejected the message")

// Send implements customer.Sender.
func (p *HTTPProvider) Send(ctx context.Context, m customer.Message) (string, error) {
	body := httpMessage{To: m.To, Body: m.Short}
	if p.channel == customer.ChannelPush {
		body.Title = m.Subject
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return "", fmt.Errorf("%s provider: encode %s: %w", p.channel, m.ID, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.cfg.URL, bytes.NewReader(raw))
	if err != nil {
		return "", fmt.Errorf("%s provider: request %s: %w", p.channel, m.ID, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", m.ID)
	if p.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+p.cfg.Token)
	}
	resp, err := p.cfg.Client.Do(req)
	if err != nil {
		return "", fmt.Errorf("%s provider: send %s: %w", p.channel, m.ID, err)
	}
	defer resp.Body.Close()
	payload, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
		return "", fmt.Errorf("%s provider: send %s: %d %s: %w", p.channel, m.ID, resp.StatusCode, bytes.TrimSpace(payload), ErrProviderRejected)
	}
	if resp.StatusCode >= 300 {
		return "", fmt.Errorf("%s provider: send %s: status %d", p.channel, m.ID, resp.StatusCode)
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(payload, &out); err != nil || out.ID == "" {
		return "", fmt.Errorf("%s provider: send %s: answer without an id", p.channel, m.ID)
	}
	return out.ID, nil
}
