package customerchannel_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/skyfly/skyfly/services/customer"
	"github.com/skyfly/skyfly/services/customer/customerchannel"
	"github.com/skyfly/skyfly/services/customer/customertest"
)

// TestSMTP_DeliversRenderedTemplateWithEscapedHTML sends a rendered booking
// confirmation to a real SMTP server and reads it back: headers, both
// bodies, and hostile data escaped in the HTML part.
func TestSMTP_DeliversRenderedTemplateWithEscapedHTML(t *testing.T) {
	srv := customertest.StartSMTP(t)
	ch, err := customerchannel.NewSMTP(customerchannel.SMTPConfig{
		Host: srv.Host, Port: srv.Port, Username: srv.User, Password: srv.Password, TLS: "none",
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

	msgs := srv.Messages()
	require.Len(t, msgs, 1)
	got := msgs[0]
	require.Equal(t, "no-reply@skyfly.dev", got.From)
	require.Equal(t, []string{"jürgen@example.com"}, got.To)

	msg, err := mail.ReadMessage(bytes.NewReader(got.Data))
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
	srv := customertest.StartSMTP(t)
	ch, err := customerchannel.NewSMTP(customerchannel.SMTPConfig{Host: srv.Host, Port: srv.Port, Username: srv.User, Password: "wrong", TLS: "none", From: "no-reply@skyfly.dev"})
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
