package customerchannel

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/skyfly/skyfly/services/customer"
)

// SMTPConfig configures the email channel.
type SMTPConfig struct {
	Host string
	Port int // default 587
	// Username and Password enable SMTP AUTH (PLAIN) when Username is set.
	Username string
	Password string
	// From is the sender, e.g. "SkyFly <no-reply@skyfly.dev>".
	From string
	// TLS is "mandatory" (STARTTLS required, the default), "opportunistic"
	// or "none" (only for a local relay or tests).
	TLS string
	// MessageIDDomain is the right-hand side of Message-IDs (default
	// "skyfly.dev").
	MessageIDDomain string
	Timeout         time.Duration // default 15s
}

// SMTP delivers email through an SMTP server.
type SMTP struct {
	cfg SMTPConfig
}

// NewSMTP validates cfg and returns the email channel.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if cfg.Host == "" || cfg.From == "" {
		return nil, errors.New("smtp: host and from are required")
	}
	if cfg.Port == 0 {
		cfg.Port = 587
	}
	if cfg.TLS == "" {
		cfg.TLS = "mandatory"
	}
	if cfg.MessageIDDomain == "" {
		cfg.MessageIDDomain = "skyfly.dev"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 15 * time.Second
	}
	switch cfg.TLS {
	case "mandatory", "opportunistic", "none":
	default:
		return nil, fmt.Errorf("smtp: TLS policy %q is not mandatory, opportunistic or none", cfg.TLS)
	}
	m := mail.NewMsg()
	if err := m.From(cfg.From); err != nil {
		return nil, fmt.Errorf("smtp: from %q: %w", cfg.From, err)
	}
	return &SMTP{cfg: cfg}, nil
}

// Send implements customer.Sender. The Message-ID is derived from the
// notification id, so a retried delivery carries the same id and receiving
// systems can drop the duplicate; it is also the provider message id.
func (s *SMTP) Send(ctx context.Context, m customer.Message) (string, error) {
	msg := mail.NewMsg()
	if err := msg.From(s.cfg.From); err != nil {
		return "", fmt.Errorf("smtp: from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return "", fmt.Errorf("smtp: to: %w", err)
	}
	msg.Subject(m.Subject)
	messageID := m.ID + "@" + s.cfg.MessageIDDomain
	msg.SetMessageIDWithValue(messageID)
	msg.SetDate()
	msg.SetGenHeader(mail.HeaderContentLang, m.Language)
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}

	opts := []mail.Option{mail.WithPort(s.cfg.Port), mail.WithTimeout(s.cfg.Timeout)}
	switch s.cfg.TLS {
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	case "opportunistic":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if s.cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(s.cfg.Username), mail.WithPassword(s.cfg.Password))
	}
	client, err := mail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return "", fmt.Errorf("smtp: client for %s: %w", s.cfg.Host, err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return "", fmt.Errorf("smtp: send %s via %s:%d: %w", m.ID, s.cfg.Host, s.cfg.Port, err)
	}
	return "<" + messageID + ">", nil
}
