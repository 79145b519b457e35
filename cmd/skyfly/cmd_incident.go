package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/skyfly/skyfly/internal/platform/audit"
)

// incidentChain names the incident records' hash chain, kept in the auth
// database beside the auth domain's staff trail.
const incidentChain = "incident"

// Incident actions: every step is a new entry, nothing is updated in place.
const (
	incidentOpen   = "incident.open"
	incidentUpdate = "incident.update"
	incidentClose  = "incident.close"
)

const incidentUsage = `usage:
  skyfly incident open   --by <staff id> --title <text> [--summary <text>] [--affected <customer id>,...] [--entries <domain>:<seq>,...]
  skyfly incident update --id <incident id> --by <staff id> --summary <text> [--affected ...] [--entries ...]
  skyfly incident close  --id <incident id> --by <staff id> --summary <what was done>
  skyfly incident list`

// errIncident marks a refused incident command (bad input).
var errIncident = errors.New("incident")

// incidentEntryRef is an audit entry an incident links to: domain:seq.
var incidentEntryRef = regexp.MustCompile(`^(auth|flight|booking|customer|payment):[1-9][0-9]{0,18}$`)

// runIncident implements `skyfly incident`: incident records as entries of
// their own hash chain (verify with `skyfly audit verify --domain incident`).
func runIncident(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || !slices.Contains([]string{"open", "update", "close", "list"}, args[0]) {
		return errors.New(incidentUsage)
	}
	sub := args[0]
	vals := map[string]string{}
	rest := args[1:]
	for _, name := range []string{"id", "by", "title", "summary", "affected", "entries"} {
		v, r, err := stringFlag(rest, name)
		if err != nil {
			return err
		}
		vals[name], rest = v, r
	}
	cfg, _, err := loadConfig("incident "+sub, rest, getenv, stderr, nil)
	if err != nil {
		return err
	}
	quiet := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	l, closeLog, err := openAuditLog(ctx, cfg, quiet, incidentChain)
	if err != nil {
		return err
	}
	defer closeLog()
	incidents, err := readIncidents(ctx, l)
	if err != nil {
		return err
	}
	if sub == "list" {
		printIncidents(stdout, incidents)
		return nil
	}
	e, err := incidentEntry(sub, vals, incidents, time.Now())
	if err != nil {
		return err
	}
	out, err := l.Append(ctx, e)
	if err != nil {
		return fmt.Errorf("incident %s: %w", sub, err)
	}
	fmt.Fprintf(stdout, "incident %s: %s recorded as entry %d\n", idOf(out), sub, out.Seq)
	return nil
}

// incidentEntry validates a command and builds its entry.
func incidentEntry(sub string, vals map[string]string, incidents []incident, now time.Time) (audit.Entry, error) {
	if vals["by"] == "" {
		return audit.Entry{}, fmt.Errorf("%w: --by (who records this) is required", errIncident)
	}
	id := vals["id"]
	switch sub {
	case "open":
		if vals["title"] == "" {
			return audit.Entry{}, fmt.Errorf("%w: --title is required", errIncident)
		}
		if id != "" {
			return audit.Entry{}, fmt.Errorf("%w: open assigns the id; --id is for update and close", errIncident)
		}
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		id = "inc_" + hex.EncodeToString(b)
	default:
		i := slices.IndexFunc(incidents, func(in incident) bool { return in.ID == id })
		if i < 0 {
			return audit.Entry{}, fmt.Errorf("%w: no incident %q", errIncident, id)
		}
		if incidents[i].Closed {
			return audit.Entry{}, fmt.Errorf("%w: incident %s is closed; open a new one", errIncident, id)
		}
		if vals["summary"] == "" {
			return audit.Entry{}, fmt.Errorf("%w: --summary is required", errIncident)
		}
	}
	resources := []string{"incidentId=" + id}
	for _, c := range splitList(vals["affected"]) {
		resources = append(resources, "customerId="+c)
	}
	for _, ref := range splitList(vals["entries"]) {
		if !incidentEntryRef.MatchString(ref) {
			return audit.Entry{}, fmt.Errorf("%w: --entries %q is not <domain>:<seq>", errIncident, ref)
		}
		resources = append(resources, "auditEntry="+ref)
	}
	details, _ := json.Marshal(map[string]string{"title": vals["title"]}) // a string map always marshals
	return audit.Entry{
		At: now, Actor: vals["by"], ActorRole: "admin", Action: "incident." + sub, Domain: incidentChain,
		Resources: resources, Reason: vals["summary"], Outcome: audit.OutcomeSuccess, Details: string(details),
	}, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// incident is the current view of one incident, folded from its entries.
type incident struct {
	ID       string
	Title    string
	Closed   bool
	Entries  []audit.Entry
	Affected []string
	Links    []string
}

func idOf(e audit.Entry) string {
	for _, r := range e.Resources {
		if v, ok := strings.CutPrefix(r, "incidentId="); ok {
			return v
		}
	}
	return ""
}

func readIncidents(ctx context.Context, l audit.Log) ([]incident, error) {
	var out []incident
	after := int64(0)
	for {
		page, err := l.Page(ctx, after, 500)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			return out, nil
		}
		for _, e := range page {
			after = e.Seq
			id := idOf(e)
			i := slices.IndexFunc(out, func(in incident) bool { return in.ID == id })
			if i < 0 {
				out = append(out, incident{ID: id})
				i = len(out) - 1
			}
			in := &out[i]
			in.Entries = append(in.Entries, e)
			var d struct {
				Title string `json:"title"`
			}
			if json.Unmarshal([]byte(e.Details), &d) == nil && d.Title != "" {
				in.Title = d.Title
			}
			in.Closed = in.Closed || e.Action == incidentClose
			for _, r := range e.Resources {
				if v, ok := strings.CutPrefix(r, "customerId="); ok && !slices.Contains(in.Affected, v) {
					in.Affected = append(in.Affected, v)
				}
				if v, ok := strings.CutPrefix(r, "auditEntry="); ok && !slices.Contains(in.Links, v) {
					in.Links = append(in.Links, v)
				}
			}
		}
	}
}

func printIncidents(w io.Writer, incidents []incident) {
	if len(incidents) == 0 {
		fmt.Fprintln(w, "no incidents")
		return
	}
	for _, in := range incidents {
		state := "OPEN"
		if in.Closed {
			state = "CLOSED"
		}
		fmt.Fprintf(w, "%s %s %q affected=%v audit-entries=%v\n", in.ID, state, in.Title, in.Affected, in.Links)
		for _, e := range in.Entries {
			fmt.Fprintf(w, "  #%d %s %s by %s: %s\n", e.Seq, e.At.Format(time.RFC3339), e.Action, e.Actor, e.Reason)
		}
	}
}
