package customerapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/skyfly/skyfly/api/problem"
	"github.com/skyfly/skyfly/services/customer"
)

type preferencesJSON struct {
	Seat     string   `json:"seat"`
	Meal     string   `json:"meal"`
	Language string   `json:"language"`
	Channels []string `json:"channels"`
	OptOuts  []string `json:"optOuts"`
}

type documentJSON struct {
	Type           string `json:"type"`
	Number         string `json:"number"`
	IssuingCountry string `json:"issuingCountry"`
	Nationality    string `json:"nationality,omitempty"`
	ExpiryDate     string `json:"expiryDate"`
}

type travellerJSON struct {
	ID          string        `json:"id"`
	Type        string        `json:"type"`
	Title       string        `json:"title,omitempty"`
	GivenName   string        `json:"givenName"`
	FamilyName  string        `json:"familyName"`
	DateOfBirth string        `json:"dateOfBirth"`
	Gender      string        `json:"gender,omitempty"`
	Document    *documentJSON `json:"document,omitempty"`
}

// editableJSON is the part of the profile a merge patch may change.
type editableJSON struct {
	GivenName   string          `json:"givenName"`
	FamilyName  string          `json:"familyName"`
	Phone       string          `json:"phone"`
	Preferences preferencesJSON `json:"preferences"`
	Travellers  []travellerJSON `json:"travellers"`
}

type profileJSON struct {
	UserID          string          `json:"userId"`
	Email           string          `json:"email"`
	GivenName       string          `json:"givenName"`
	FamilyName      string          `json:"familyName"`
	Phone           string          `json:"phone"`
	PhoneVerified   bool            `json:"phoneVerified"`
	PhoneVerifiedAt string          `json:"phoneVerifiedAt,omitempty"`
	Preferences     preferencesJSON `json:"preferences"`
	Travellers      []travellerJSON `json:"travellers"`
	CreatedAt       string          `json:"createdAt"`
	UpdatedAt       string          `json:"updatedAt"`
}

func toEditableJSON(e customer.Editable) editableJSON {
	out := editableJSON{
		GivenName: e.GivenName, FamilyName: e.FamilyName, Phone: e.Phone,
		Preferences: preferencesJSON{Seat: e.Preferences.Seat, Meal: e.Preferences.Meal, Language: e.Preferences.Language,
			Channels: []string{}, OptOuts: append([]string{}, e.Preferences.OptOuts...)},
		Travellers: []travellerJSON{},
	}
	for _, c := range e.Preferences.Channels {
		out.Preferences.Channels = append(out.Preferences.Channels, string(c))
	}
	for _, t := range e.Travellers {
		tj := travellerJSON{ID: t.ID, Type: t.Type, Title: t.Title, GivenName: t.GivenName, FamilyName: t.FamilyName, DateOfBirth: t.DateOfBirth, Gender: t.Gender}
		if d := t.Document; d != nil {
			tj.Document = &documentJSON{Type: d.Type, Number: d.Number, IssuingCountry: d.IssuingCountry, Nationality: d.Nationality, ExpiryDate: d.ExpiryDate}
		}
		out.Travellers = append(out.Travellers, tj)
	}
	return out
}

func (e editableJSON) toDomain() customer.Editable {
	out := customer.Editable{
		GivenName: e.GivenName, FamilyName: e.FamilyName, Phone: e.Phone,
		Preferences: customer.Preferences{Seat: e.Preferences.Seat, Meal: e.Preferences.Meal, Language: e.Preferences.Language,
			Channels: []customer.Channel{}, OptOuts: append([]string{}, e.Preferences.OptOuts...)},
		Travellers: []customer.Traveller{},
	}
	if out.Preferences.Language == "" {
		out.Preferences.Language = customer.DefaultPreferences().Language // removed by null
	}
	for _, c := range e.Preferences.Channels {
		out.Preferences.Channels = append(out.Preferences.Channels, customer.Channel(c))
	}
	for _, t := range e.Travellers {
		ct := customer.Traveller{ID: t.ID, Type: t.Type, Title: t.Title, GivenName: t.GivenName, FamilyName: t.FamilyName, DateOfBirth: t.DateOfBirth, Gender: t.Gender}
		if d := t.Document; d != nil {
			ct.Document = &customer.TravelDocument{Type: d.Type, Number: d.Number, IssuingCountry: d.IssuingCountry, Nationality: d.Nationality, ExpiryDate: d.ExpiryDate}
		}
		out.Travellers = append(out.Travellers, ct)
	}
	return out
}

func toProfileJSON(p customer.Profile) profileJSON {
	e := toEditableJSON(p.Editable())
	out := profileJSON{
		UserID: p.UserID, Email: p.Email, GivenName: e.GivenName, FamilyName: e.FamilyName, Phone: e.Phone,
		PhoneVerified: p.PhoneVerified, Preferences: e.Preferences, Travellers: e.Travellers,
		CreatedAt: p.CreatedAt.UTC().Format(time.RFC3339), UpdatedAt: p.UpdatedAt.UTC().Format(time.RFC3339),
	}
	if !p.PhoneVerifiedAt.IsZero() {
		out.PhoneVerifiedAt = p.PhoneVerifiedAt.UTC().Format(time.RFC3339)
	}
	return out
}

// member classifies a top-level member of a profile patch.
func member(k string) (editable, readOnly bool) {
	switch k {
	case "givenName", "familyName", "phone", "preferences", "travellers":
		return true, false
	case "userId", "email", "phoneVerified", "phoneVerifiedAt", "createdAt", "updatedAt":
		return false, true
	}
	return false, false
}

func preferenceMember(k string) bool {
	switch k {
	case "seat", "meal", "language", "channels", "optOuts":
		return true
	}
	return false
}

// parsePatch reads an RFC 7396 merge patch and refuses members that are not
// editable.
func parsePatch(body []byte) (map[string]any, *problem.Problem) {
	var raw any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil || dec.More() {
		return nil, problem.Validation(problem.FieldError{Field: "", Reason: "body is not valid JSON"})
	}
	patch, ok := raw.(map[string]any)
	if !ok {
		return nil, problem.Validation(problem.FieldError{Field: "", Reason: "a merge patch must be a JSON object"})
	}
	var bad, unknown []problem.FieldError
	for k, v := range patch {
		editable, readOnly := member(k)
		switch {
		case readOnly:
			bad = append(bad, problem.FieldError{Field: k, Reason: "is read-only"})
		case !editable:
			unknown = append(unknown, problem.FieldError{Field: k, Reason: "is not a known field"})
		case k == "preferences":
			if prefs, ok := v.(map[string]any); ok {
				for pk := range prefs {
					if !preferenceMember(pk) {
						unknown = append(unknown, problem.FieldError{Field: "preferences." + pk, Reason: "is not a known field"})
					}
				}
			}
		}
	}
	// The patch contract is closed (ProfilePatch): a member it does not
	// define is unknown_field, like any closed body; read-only members are
	// known, so they stay invalid_request.
	byField := func(a, b problem.FieldError) int { return strings.Compare(a.Field, b.Field) }
	if len(unknown) > 0 {
		p := problem.UnknownField()
		p.Errors = slices.SortedFunc(slices.Values(append(unknown, bad...)), byField)
		return nil, p
	}
	if len(bad) > 0 {
		slices.SortFunc(bad, byField)
		return nil, problem.Validation(bad...)
	}
	return patch, nil
}

// applyPatch merges patch into the editable profile (RFC 7396) and decodes
// the result strictly.
func applyPatch(cur customer.Editable, patch map[string]any) (customer.Editable, *problem.Problem) {
	base, err := json.Marshal(toEditableJSON(cur))
	if err != nil {
		return customer.Editable{}, problem.New(500, problem.CodeInternal, "could not encode the profile")
	}
	var doc any
	if err := json.Unmarshal(base, &doc); err != nil {
		return customer.Editable{}, problem.New(500, problem.CodeInternal, "could not encode the profile")
	}
	merged, err := json.Marshal(mergePatch(doc, patch))
	if err != nil {
		return customer.Editable{}, problem.Validation(problem.FieldError{Field: "", Reason: "the patch cannot be applied"})
	}
	var next editableJSON
	dec := json.NewDecoder(bytes.NewReader(merged))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&next); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return customer.Editable{}, problem.Validation(problem.FieldError{Field: typeErr.Field, Reason: "must be a " + jsonType(typeErr.Type.Kind().String())})
		}
		if p := problem.UnknownFieldOf(err, merged, reflect.TypeFor[editableJSON]()); p != nil {
			return customer.Editable{}, p
		}
		return customer.Editable{}, problem.Validation(problem.FieldError{Field: "", Reason: fmt.Sprintf("the patched profile is invalid: %v", err)})
	}
	return next.toDomain(), nil
}

// mergePatch applies an RFC 7396 merge patch to target and returns the result.
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
		} else {
			t[k] = mergePatch(t[k], v)
		}
	}
	return t
}

func jsonType(kind string) string {
	switch kind {
	case "slice", "array":
		return "array"
	case "struct", "map":
		return "object"
	case "int", "int64", "float64":
		return "number"
	}
	return kind
}
