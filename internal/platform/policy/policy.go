// Package policy is SkyFly's central authorization: one Rego policy bundle
// (rego/authz.rego, embedded) evaluated in process with OPA's Go library.
// The gateway asks it about every route, each domain service asks again at
// its own edge, and the domain APIs ask about resource-level actions
// (owning a booking, waiving a fee). Every denial is written to the
// decision log (slog, warn) and counted by layer and code.
package policy

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/prometheus/client_golang/prometheus"
)

//go:embed rego/*.rego
var bundle embed.FS

// Query is the decision query.
const Query = "data.skyfly.authz.decision"

// Access levels a route can have besides a set of roles.
const (
	LevelPublic        = "public"
	LevelAuthenticated = "authenticated"
)

// Subject is who asks.
type Subject struct {
	ID    string
	Roles []string
}

// Resource is what an action is about.
type Resource struct {
	Type  string
	Owner string
}

// Request is one question to the policy: a route (Method and Route, the
// route template such as /api/v1/bookings/:bookingId) or an Action on a
// Resource. Layer and RequestID only go to the decision log; Quiet keeps a
// denial out of it (a question that narrows a view, not a refusal).
type Request struct {
	Layer     string
	RequestID string
	Quiet     bool
	Method    string
	Route     string
	Action    string
	Subject   Subject
	Resource  Resource
}

// Decision is the policy's answer; when Allow is false, Status (401, 403 or
// 404), Code and Reason say how to refuse.
type Decision struct {
	Allow  bool
	Status int
	Code   string
	Reason string
}

// Rule is a route's access as the policy states it: Level is public or
// authenticated, or Roles lists who may call it.
type Rule struct {
	Level string
	Roles []string
}

// Options configures an Engine.
type Options struct {
	Log *slog.Logger
	// Registerer receives skyfly_authz_denials_total; nil keeps it unregistered.
	Registerer prometheus.Registerer
}

// Engine evaluates the policy. It is safe for concurrent use; route
// decisions, which depend only on the route and the caller's roles, are
// memoized.
type Engine struct {
	query rego.PreparedEvalQuery
	rules map[string]Rule
	// internal are the routes served to other SkyFly processes only.
	internal map[string]Rule
	log      *slog.Logger
	denials  *prometheus.CounterVec
	mu       sync.RWMutex
	routes   map[string]Decision
}

// maxMemo bounds the route decision memo (routes × role combinations).
const maxMemo = 4096

// Modules returns the policy's Rego sources by file name, tests included.
func Modules() (map[string]string, error) {
	out := map[string]string{}
	err := fs.WalkDir(bundle, "rego", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := bundle.ReadFile(path)
		if err != nil {
			return err
		}
		out[path] = string(b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("policy: read bundle: %w", err)
	}
	return out, nil
}

// New compiles the embedded policy (once: the decision query and the route
// table are read from the same compiled modules).
func New(ctx context.Context, opts Options) (*Engine, error) {
	mods, err := Modules()
	if err != nil {
		return nil, err
	}
	for name := range mods {
		if strings.HasSuffix(name, "_test.rego") {
			delete(mods, name)
		}
	}
	compiler, err := ast.CompileModulesWithOpt(mods, ast.CompileOpts{ParserOptions: ast.ParserOptions{RegoVersion: ast.RegoV1}})
	if err != nil {
		return nil, fmt.Errorf("policy: compile: %w", err)
	}
	q, err := rego.New(rego.Query(Query), rego.Compiler(compiler)).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("policy: prepare: %w", err)
	}
	rules, err := readRules(ctx, compiler, "routes")
	if err != nil {
		return nil, err
	}
	internal, err := readRules(ctx, compiler, "internal_routes")
	if err != nil {
		return nil, err
	}
	e := &Engine{query: q, rules: rules, internal: internal, log: opts.Log, routes: map[string]Decision{}}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	e.denials = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "skyfly_authz_denials_total",
		Help: "Requests the authorization policy refused, by layer (gateway or the domain) and code.",
	}, []string{"layer", "code"})
	if opts.Registerer != nil {
		if err := opts.Registerer.Register(e.denials); err != nil {
			return nil, fmt.Errorf("policy: register metrics: %w", err)
		}
	}
	return e, nil
}

// Decide answers r. An evaluation failure denies (500) and is logged.
func (e *Engine) Decide(ctx context.Context, r Request) Decision {
	d, ok := e.memoized(r)
	if !ok {
		d = e.eval(ctx, r)
		e.memoize(r, d)
	}
	if !d.Allow && !r.Quiet {
		e.denials.WithLabelValues(r.Layer, d.Code).Inc()
		e.log.WarnContext(ctx, "policy denied",
			"layer", r.Layer, "request_id", r.RequestID,
			"method", r.Method, "route", r.Route, "action", r.Action,
			"resource_type", r.Resource.Type,
			"subject", r.Subject.ID, "roles", r.Subject.Roles,
			"status", d.Status, "code", d.Code, "reason", d.Reason)
	}
	return d
}

// memoized returns a remembered route decision; actions are never
// memoized (they depend on the resource).
func (e *Engine) memoized(r Request) (Decision, bool) {
	if r.Action != "" {
		return Decision{}, false
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	d, ok := e.routes[memoKey(r)]
	return d, ok
}

func (e *Engine) memoize(r Request, d Decision) {
	if r.Action != "" || d.Status == http.StatusInternalServerError {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.routes) < maxMemo {
		e.routes[memoKey(r)] = d
	}
}

func memoKey(r Request) string {
	roles := slices.Clone(r.Subject.Roles)
	slices.Sort(roles)
	signedIn := "0"
	if r.Subject.ID != "" {
		signedIn = "1"
	}
	return r.Method + " " + r.Route + "\x00" + signedIn + "\x00" + strings.Join(roles, ",")
}

func (e *Engine) eval(ctx context.Context, r Request) Decision {
	rs, err := e.query.Eval(ctx, rego.EvalParsedInput(input(r)))
	if err == nil && (len(rs) != 1 || len(rs[0].Expressions) != 1) {
		err = fmt.Errorf("policy: %d results", len(rs))
	}
	var d Decision
	if err == nil {
		d, err = decode(rs[0].Expressions[0].Value)
	}
	if err != nil {
		e.log.ErrorContext(ctx, "policy evaluation failed", "layer", r.Layer, "request_id", r.RequestID, "err", err)
		return Decision{Status: http.StatusInternalServerError, Code: "internal", Reason: "the authorization policy could not decide"}
	}
	return d
}

func input(r Request) ast.Value {
	roles := make([]*ast.Term, len(r.Subject.Roles))
	for i, role := range r.Subject.Roles {
		roles[i] = ast.StringTerm(role)
	}
	principal := ast.NewObject(
		ast.Item(ast.StringTerm("sub"), ast.StringTerm(r.Subject.ID)),
		ast.Item(ast.StringTerm("roles"), ast.ArrayTerm(roles...)),
	)
	obj := ast.NewObject(ast.Item(ast.StringTerm("principal"), ast.NewTerm(principal)))
	if r.Action != "" {
		obj.Insert(ast.StringTerm("action"), ast.StringTerm(r.Action))
		obj.Insert(ast.StringTerm("resource"), ast.NewTerm(ast.NewObject(
			ast.Item(ast.StringTerm("type"), ast.StringTerm(r.Resource.Type)),
			ast.Item(ast.StringTerm("owner"), ast.StringTerm(r.Resource.Owner)),
		)))
	} else {
		obj.Insert(ast.StringTerm("method"), ast.StringTerm(r.Method))
		obj.Insert(ast.StringTerm("route"), ast.StringTerm(r.Route))
	}
	return obj
}

func decode(v any) (Decision, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Decision{}, fmt.Errorf("policy: decision is %T, want an object", v)
	}
	var d Decision
	d.Allow, _ = m["allow"].(bool)
	d.Code, _ = m["code"].(string)
	d.Reason, _ = m["reason"].(string)
	switch s := m["status"].(type) {
	case json.Number:
		n, err := s.Int64()
		if err != nil {
			return Decision{}, fmt.Errorf("policy: status %v: %w", s, err)
		}
		d.Status = int(n)
	case float64:
		d.Status = int(s)
	default:
		return Decision{}, fmt.Errorf("policy: status is %T", s)
	}
	if !d.Allow && (d.Status < 400 || d.Code == "") {
		return Decision{}, fmt.Errorf("policy: a denial without status and code: %v", m)
	}
	return d, nil
}

// Rules returns the policy's route table keyed "METHOD /route", so the
// gateway's route table and the OpenAPI contract can be checked against it.
func (e *Engine) Rules() map[string]Rule { return maps.Clone(e.rules) }

// InternalRules returns the routes a domain serves to the other SkyFly
// processes directly, never through the gateway (the service-token
// endpoint), keyed like Rules.
func (e *Engine) InternalRules() map[string]Rule { return maps.Clone(e.internal) }

// readRules reads the route table named table of the policy.
func readRules(ctx context.Context, compiler *ast.Compiler, table string) (map[string]Rule, error) {
	rs, err := rego.New(rego.Query("data.skyfly.authz."+table), rego.Compiler(compiler)).Eval(ctx)
	if err != nil {
		return nil, fmt.Errorf("policy: read %s: %w", table, err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return nil, fmt.Errorf("policy: %s: %d results", table, len(rs))
	}
	raw, ok := rs[0].Expressions[0].Value.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("policy: %s is %T", table, rs[0].Expressions[0].Value)
	}
	out := make(map[string]Rule, len(raw))
	for key, v := range raw {
		switch lv := v.(type) {
		case string:
			out[key] = Rule{Level: lv}
		case []any:
			roles := make([]string, 0, len(lv))
			for _, r := range lv {
				s, ok := r.(string)
				if !ok {
					return nil, fmt.Errorf("policy: route %s: role %v is not a string", key, r)
				}
				roles = append(roles, s)
			}
			slices.Sort(roles)
			out[key] = Rule{Roles: roles}
		default:
			return nil, fmt.Errorf("policy: route %s: access %T", key, v)
		}
	}
	return out, nil
}

// MustNew is New without metrics for callers that cannot return an error
// (a router built in a test). The policy is embedded at build time and
// compiled by this package's tests, so like regexp.MustCompile it panics
// only on a programming error.
func MustNew(log *slog.Logger) *Engine {
	e, err := New(context.Background(), Options{Log: log})
	if err != nil {
		panic(err)
	}
	return e
}
