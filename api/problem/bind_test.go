package problem_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/skyfly/skyfly/api/problem"
)

type doc struct {
	Number string `json:"number"`
}

type passenger struct {
	GivenName string `json:"givenName" binding:"required"`
	Document  *doc   `json:"document,omitempty"`
}

type request struct {
	QuoteID    string            `json:"quoteId"`
	Passengers []passenger       `json:"passengers" binding:"required"`
	Data       map[string]string `json:"data"`
	Extra      json.RawMessage   `json:"extra"`
	Ignored    string            `json:"-"`
	Nested     map[string]doc    `json:"nested"`
}

func TestBindJSON(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantCode   string
		wantFields []string
	}{
		{"a body with only contract members binds", `{"quoteId":"q1","passengers":[{"givenName":"Ada","document":{"number":"X1"}}],"data":{"any":"x"},"extra":{"open":1}}`, 200, "", nil},
		{"an unknown top-level member is named", `{"quoteId":"q1","coupon":"FREE"}`, 400, problem.CodeUnknownField, []string{"coupon"}},
		{"an unknown nested member is named by its path", `{"passengers":[{"givenName":"Ada"},{"givenName":"Bo","nickname":"b","document":{"number":"1","expiry":"x"}}]}`, 400, problem.CodeUnknownField, []string{"passengers[1].document.expiry", "passengers[1].nickname"}},
		{"a member of a closed type inside a map is refused", `{"nested":{"k":{"number":"1","colour":"red"}}}`, 400, problem.CodeUnknownField, []string{"nested.k.colour"}},
		{"a member named with json:\"-\" is unknown", `{"Ignored":"x"}`, 400, problem.CodeUnknownField, []string{"Ignored"}},
		{"members match case-insensitively as encoding/json does", `{"QUOTEID":"q1","Passengers":[]}`, 200, "", nil},
		{"a missing required member is still invalid_request", `{"quoteId":"q1"}`, 400, problem.CodeInvalidRequest, []string{"passengers"}},
		{"malformed JSON is invalid_request", `{"quoteId":`, 400, problem.CodeInvalidRequest, []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := problem.NewEngine(nil)
			e.POST("/", func(c *gin.Context) {
				var req request
				if problem.BindJSON(c, &req) {
					c.Status(http.StatusOK)
				}
			})
			w := httptest.NewRecorder()
			e.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.body)))
			if got, want := w.Code, tt.wantStatus; got != want {
				t.Fatalf("status: got %d, want %d (%s)", got, want, w.Body)
			}
			if tt.wantStatus == 200 {
				return
			}
			var p struct {
				Code   string               `json:"code"`
				Errors []problem.FieldError `json:"errors"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if got, want := p.Code, tt.wantCode; got != want {
				t.Errorf("code: got %q, want %q", got, want)
			}
			var fields []string
			for _, f := range p.Errors {
				fields = append(fields, f.Field)
			}
			if got, want := fields, tt.wantFields; !reflect.DeepEqual(got, want) {
				t.Errorf("fields: got %q, want %q", got, want)
			}
		})
	}
}

func TestUnknownMembers_EmbeddedStructsLendTheirMembers(t *testing.T) {
	type Base struct {
		ID string `json:"id"`
	}
	type withBase struct {
		Base
		Name string `json:"name"`
	}
	got := problem.UnknownMembers([]byte(`{"id":"1","name":"n","colour":"red"}`), reflect.TypeFor[withBase]())
	if want := []string{"colour"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
