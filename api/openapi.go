// Package api holds SkyFly's HTTP contract: the OpenAPI 3.1 document that
// describes every endpoint the gateway serves, embedded in the binary so it
// can be served and checked against the live route table. The handlers live
// in the subpackages (gateway, problem and one package per domain).
package api

import (
	"bytes"
	_ "embed"
)

//go:embed openapi.yaml
var spec []byte

// Spec returns the OpenAPI 3.1 document (YAML) describing SkyFly's public
// HTTP API. Each call returns a fresh copy the caller may modify.
func Spec() []byte { return bytes.Clone(spec) }
