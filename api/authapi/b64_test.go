package authapi_test

import (
	"encoding/base64"
	"os"
	"testing"

	"github.com/gin-gonic/gin"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}

func base64URL(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
