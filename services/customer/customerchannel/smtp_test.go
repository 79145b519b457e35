package customerchannel_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/services/customer"
	"github.com/skyfly/skyfly/services/customer/customerchannel"
)

// received is one message the test SMTP server accepted.
type received struct {
	from string
	to   []string
	data []byte
}

// smtpBackend is a real SMTP server's backend (emersion/go-smtp) that
// requires AUTH PLAIN and keeps what it receives.
type smtpBackend struct {
	mu       sync.Mutex
	user     string
	password string
	messages []received
}

func (b *smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{b: b}, nil }

type smtpSession struct {
	b      *smtpBackend
	authed bool
	cur    received
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.b.user || password != s.b.password {
			return errors.New("invalid credentials")
		}
		s.authed = true
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	s.cur = received{from: from}
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = data
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.messages = append(s.b.messages, s.cur)
	return nil
}

func (s *smtpSession) Reset()        { s.cur = received{} }
func (s *smtpSession) Logout() error { return nil }

// startSMTP runs an SMTP server on a free loopback port for the test.
func startSMTP(t *testing.T) (*smtpBackend, string, int) {
	t.Helper()
	be := &smtpBackend{user: "skyfly", password: "s3cret"}
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	addr := l.Addr().(*net.TCPAddr)
	return be, addr.IP.String(), addr.Port
}

// TestSMTP_DeliversRenderedTemplateWithEscapedHTML sends a rendered booking
// confirmation to a real SMTP server and reads it back: headers, both
// bodies, and hostile data escaped in the HTML part.
func TestSMTP_DeliversRenderedTemplateWithEscapedHTML(t *testing.T) {
	be, host, port := startSMTP(t)
	ch, err := customerchannel.NewSMTP(customerchannel.SMTPConfig{
		Host: host, Port: port, Username: "skyfly", Password: "s3cret", TLS: "none",
		From: "SkyFly <no-reply@skyfly.dev>",
	})
	require.NoError(t, err)

	ts, err := customer.NewTemplates(customer.Catalog())
	require.NoError(t, err)
	tpl, err := ts.Lookup(customer.TemplateBookingConfirmed)
	require.NoError(t, err)
	r, err := tpl.Render("de", map[string]string{"pnr": "K7QX2M", "givenName": `<script>alert("x")</script>`, "total": "459,90 EUR"})
	require.NoError(t, err)

	id, err := ch.Send(context.Background(), customer.Message{
		ID: "ntf_TEST1", Channel: customer.ChannelEmail, To: "jürgen@example.com", TemplateID: tpl.ID(),
		Language: r.Language, Subject: r.Subject, Text: r.Text, HTML: r.HTML,
	})
	require.NoError(t, err)
	require.Equal(t, "<ntf_TEST1@skyfly.dev>", id)

	be.mu.Lock()
	defer be.mu.Unlock()
	require.Len(t, be.messages, 1)
	got := be.messages[0]
	require.Equal(t, "no-reply@skyfly.dev", got.from)
	require.Equal(t, []string{"jürgen@example.com"}, got.to)

	msg, err := mail.ReadMessage(bytes.NewReader(got.data))
	require.NoError(t, err)
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	require.NoError(t, err)
	require.Equal(t, "Buchung bestätigt: K7QX2M", subject)
	require.Equal(t, "<ntf_TEST1@skyfly.dev>", msg.Header.Get("Message-Id"))

	parts := readParts(t, msg)
	require.Contains(t, parts["text/plain"], `Hallo <script>alert("x")</script>,`, "the plain-text part carries the data as is")
	require.Contains(t, parts["text/plain"], "Ihre Buchung K7QX2M ist bestätigt.")
	html := parts["text/html"]
	require.Contains(t, html, "Hallo &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;,")
	require.NotContains(t, html, "<script>", "got unescaped data in the HTML part")
	require.Contains(t, html, "<strong>K7QX2M</strong>")
}

// TestSMTP_WrongCredentialsFail: a refused login is a delivery error.
func TestSMTP_WrongCredentialsFail(t *testing.T) {
	_, host, port := startSMTP(t)
	ch, err := customerchannel.NewSMTP(customerchannel.SMTPConfig{Host: host, Port: port, Username: "skyfly", Password: "wrong", TLS: "none", From: "no-reply@skyfly.dev"})
	require.NoError(t, err)
	_, err = ch.Send(context.Background(), customer.Message{ID: "ntf_2", To: "a@example.com", Subject: "s", Text: "t"})
	require.Error(t, err)
}

func readParts(t *testing.T, msg *mail.Message) map[string]string {
	t.Helper()
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(mt, "multipart/"), "got %s, want a multipart message", mt)
	out := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		var r io.Reader = p
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			r = quotedprintable.NewReader(p)
		}
		body, err := io.ReadAll(r)
		require.NoError(t, err)
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		out[ct] = string(body)
	}
	return out
}
