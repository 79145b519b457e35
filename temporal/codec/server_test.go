package codec_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/skyfly/skyfly/internal/platform/testdate"
	"github.com/skyfly/skyfly/temporal/codec"
)

const (
	testToken  = "codec-operator-token"
	testOrigin = "http://127.0.0.1:8233"
)

// newCodecServer returns a codec server over a fresh keyring and a data
// converter encrypting with the same keys (what the workers use).
func newCodecServer(t *testing.T) (*httptest.Server, converter.DataConverter) {
	t.Helper()
	keys := newKeyring(t)
	c, err := codec.New(keys)
	require.NoError(t, err)
	srv, err := codec.NewServer(codec.ServerConfig{Token: testToken, AllowedOrigin: testOrigin, Namespaces: []string{"default"}}, c)
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts, converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
}

func payloadsBody(t *testing.T, ps ...*commonpb.Payload) []byte {
	t.Helper()
	b, err := protojson.Marshal(&commonpb.Payloads{Payloads: ps})
	require.NoError(t, err)
	return b
}

func post(t *testing.T, url string, body []byte, headers map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestCodecServer_DecodesForAnAuthenticatedOperator(t *testing.T) {
	ts, workerDC := newCodecServer(t)
	encrypted, err := workerDC.ToPayload(alice)
	require.NoError(t, err)

	// The SDK's remote codec is what `temporal --codec-endpoint` and the UI
	// speak.
	remote := converter.NewRemotePayloadCodec(converter.RemotePayloadCodecOptions{
		Endpoint: ts.URL,
		ModifyRequest: func(r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+testToken)
			r.Header.Set(codec.NamespaceHeader, "default")
			return nil
		},
	})
	decoded, err := remote.Decode([]*commonpb.Payload{encrypted})
	require.NoError(t, err)
	var got passenger
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(decoded[0], &got))
	require.Equal(t, alice, got)

	// And the other direction: what the server encodes, the worker decodes.
	plain, err := converter.GetDefaultDataConverter().ToPayload(alice)
	require.NoError(t, err)
	encoded, err := remote.Encode([]*commonpb.Payload{plain})
	require.NoError(t, err)
	require.Equal(t, codec.EncodingEncrypted, string(encoded[0].Metadata[converter.MetadataEncoding]))
	got = passenger{}
	require.NoError(t, workerDC.FromPayload(encoded[0], &got))
	require.Equal(t, alice, got)
}

func TestCodecServer_RequiresTheBearerToken(t *testing.T) {
	ts, workerDC := newCodecServer(t)
	encrypted, err := workerDC.ToPayload(alice)
	require.NoError(t, err)
	body := payloadsBody(t, encrypted)

	tests := []struct {
		name          string
		authorization string
	}{
		{"no Authorization header is refused", ""},
		{"a wrong token is refused", "Bearer not-the-token"},
		{"a token prefix is refused", "Bearer " + testToken[:5]},
		{"the token with a suffix is refused", "Bearer " + testToken + "x"},
		{"a non-bearer scheme is refused", "Basic " + testToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := post(t, ts.URL+"/decode", body, map[string]string{"Authorization": tt.authorization, codec.NamespaceHeader: "default"})
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "status: got %d, want 401", resp.StatusCode)
			require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
			require.Contains(t, resp.Header.Get("WWW-Authenticate"), "Bearer")
			var p struct {
				Code   string `json:"code"`
				Status int    `json:"status"`
			}
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&p))
			require.Equal(t, "unauthorized", p.Code)
		})
	}

	t.Run("the right token in any case of the scheme is accepted", func(t *testing.T) {
		resp := post(t, ts.URL+"/decode", body, map[string]string{"Authorization": "bearer " + testToken, codec.NamespaceHeader: "default"})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		resp = post(t, ts.URL+"/decode", body, map[string]string{"Authorization": "Bearer " + testToken})
		require.Equal(t, http.StatusOK, resp.StatusCode, "a client without X-Namespace is served")
	})
}

func TestCodecServer_CORSPreflightForTheUIOrigin(t *testing.T) {
	ts, _ := newCodecServer(t)
	preflight := func(origin string) *http.Response {
		req, err := http.NewRequest(http.MethodOptions, ts.URL+"/decode", nil)
		require.NoError(t, err)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type,x-namespace")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}

	t.Run("the UI origin may send Authorization and X-Namespace", func(t *testing.T) {
		resp := preflight(testOrigin)
		require.Equal(t, http.StatusNoContent, resp.StatusCode)
		require.Equal(t, testOrigin, resp.Header.Get("Access-Control-Allow-Origin"))
		require.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))
		require.Contains(t, resp.Header.Get("Access-Control-Allow-Methods"), "POST")
		allowed := resp.Header.Get("Access-Control-Allow-Headers")
		for _, h := range []string{"Authorization", "Content-Type", "X-Namespace"} {
			require.Contains(t, allowed, h)
		}
	})

	t.Run("another origin is refused", func(t *testing.T) {
		resp := preflight("https://evil.example")
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
		require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
	})

	t.Run("a browser request from the UI gets CORS headers on success and on 401", func(t *testing.T) {
		resp := post(t, ts.URL+"/decode", payloadsBody(t), map[string]string{"Origin": testOrigin})
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		require.Equal(t, testOrigin, resp.Header.Get("Access-Control-Allow-Origin"), "the UI must be able to read the 401")

		resp = post(t, ts.URL+"/decode", payloadsBody(t), map[string]string{"Origin": testOrigin, "Authorization": "Bearer " + testToken, codec.NamespaceHeader: "default"})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, testOrigin, resp.Header.Get("Access-Control-Allow-Origin"))
	})
}

func TestCodecServer_RefusesOtherNamespacesMethodsAndPaths(t *testing.T) {
	ts, _ := newCodecServer(t)
	auth := "Bearer " + testToken

	resp := post(t, ts.URL+"/decode", payloadsBody(t), map[string]string{"Authorization": auth, codec.NamespaceHeader: "payments-prod"})
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "a namespace the server does not serve")

	resp = post(t, ts.URL+"/other", payloadsBody(t), map[string]string{"Authorization": auth})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	req, err := http.NewRequest(http.MethodGet, ts.URL+"/decode", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", auth)
	get, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer get.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, get.StatusCode)

	resp = post(t, ts.URL+"/decode", []byte("not json"), map[string]string{"Authorization": auth, codec.NamespaceHeader: "default"})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

func TestCodecServer_TamperedPayloadIsABadRequest(t *testing.T) {
	ts, workerDC := newCodecServer(t)
	encrypted, err := workerDC.ToPayload(alice)
	require.NoError(t, err)
	encrypted.Data[20] ^= 0xff

	resp := post(t, ts.URL+"/decode", payloadsBody(t, encrypted), map[string]string{"Authorization": "Bearer " + testToken, codec.NamespaceHeader: "default"})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

func TestCodecServer_HealthNeedsNoToken(t *testing.T) {
	ts, _ := newCodecServer(t)
	resp, err := http.Get(ts.URL + "/healthz")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestNewServer_RequiresAToken(t *testing.T) {
	c, err := codec.New(newKeyring(t))
	require.NoError(t, err)
	_, err = codec.NewServer(codec.ServerConfig{}, c)
	require.Error(t, err)
}

func TestCodecServer_BrowserSessionForTheTemporalUI(t *testing.T) {
	keys := newKeyring(t)
	c, err := codec.New(keys)
	require.NoError(t, err)
	now := testdate.At(0, 9, 0)
	srv, err := codec.NewServer(codec.ServerConfig{
		Token: testToken, AllowedOrigin: testOrigin, SessionTTL: time.Hour,
		Now: func() time.Time { return now },
	}, c)
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	defer ts.Close()
	workerDC := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
	encrypted, err := workerDC.ToPayload(alice)
	require.NoError(t, err)
	body := payloadsBody(t, encrypted)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	signIn := func(token string) *http.Response {
		resp, err := noRedirect.PostForm(ts.URL+"/session", url.Values{"token": {token}})
		require.NoError(t, err)
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	decodeWithCookie := func(c *http.Cookie) int {
		req, err := http.NewRequest(http.MethodPost, ts.URL+"/decode", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Origin", testOrigin)
		req.AddCookie(c)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		return resp.StatusCode
	}

	t.Run("the sign-in form is served", func(t *testing.T) {
		resp, err := http.Get(ts.URL + "/session")
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		page, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Contains(t, string(page), `name="token"`)
	})

	t.Run("a wrong token gets no session", func(t *testing.T) {
		resp := signIn("wrong")
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		require.Empty(t, resp.Cookies())
	})

	resp := signIn(testToken)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Len(t, resp.Cookies(), 1)
	cookie := resp.Cookies()[0]
	require.Equal(t, codec.SessionCookie, cookie.Name)
	require.True(t, cookie.HttpOnly)
	require.Equal(t, http.SameSiteStrictMode, cookie.SameSite)
	require.NotContains(t, cookie.Value, testToken, "the cookie does not carry the token")

	t.Run("the session cookie decodes like the token", func(t *testing.T) {
		require.Equal(t, http.StatusOK, decodeWithCookie(cookie))
	})

	t.Run("a forged cookie is refused", func(t *testing.T) {
		exp, mac, _ := strings.Cut(cookie.Value, ".")
		n, err := strconv.ParseInt(exp, 10, 64)
		require.NoError(t, err)
		forged := &http.Cookie{Name: codec.SessionCookie, Value: strconv.FormatInt(n+86400, 10) + "." + mac}
		require.Equal(t, http.StatusUnauthorized, decodeWithCookie(forged), "a later expiry breaks the MAC")
		require.Equal(t, http.StatusUnauthorized, decodeWithCookie(&http.Cookie{Name: codec.SessionCookie, Value: "garbage"}))
	})

	t.Run("an expired session is refused", func(t *testing.T) {
		now = now.Add(time.Hour)
		require.Equal(t, http.StatusUnauthorized, decodeWithCookie(cookie))
	})
}
