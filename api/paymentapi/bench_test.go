package paymentapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/skyfly/skyfly/api/authn"
	"github.com/skyfly/skyfly/internal/platform/testenv"
)

// BenchmarkAPI_IntentAuthorizeCapture measures one charge through the HTTP
// API (token check, Idempotency-Key records, three operations) on SQLite.
func BenchmarkAPI_IntentAuthorizeCapture(b *testing.B) {
	a := newAPI(b, testenv.SQLiteDSN(b))
	tok := a.token(b, "svc", authn.RoleService)
	post := func(path, key string, body any) map[string]any {
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", a.srv.URL+path, bytes.NewReader(raw))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Idempotency-Key", key)
		res, err := trySend(req)
		if err != nil || res.status >= 300 {
			b.Fatalf("POST %s: %v %s", path, err, res.raw)
		}
		return res.body
	}
	b.ResetTimer()
	for i := range b.N {
		k := fmt.Sprint(i)
		id := post("/api/v1/payments/intent", "c"+k, intentBody("bk"+k))["paymentId"].(string)
		post("/api/v1/payments/"+id+"/authorize", "a"+k, map[string]any{"token": "tok_visa"})
		post("/api/v1/payments/"+id+"/capture", "p"+k, map[string]any{})
	}
}
