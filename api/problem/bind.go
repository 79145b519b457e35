package problem

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin/binding"
	"github.com/go-playground/validator/v10"
)

// decodeStrict decodes r's JSON body into v refusing members v does not
// define, then checks v's binding tags. The body stays readable.
func decodeStrict(r *http.Request, v any) *Problem {
	if r == nil || r.Body == nil {
		return Validation(FieldError{Field: "", Reason: "a JSON body is required"})
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return New(http.StatusBadRequest, CodeInvalidRequest, "the request body could not be read")
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if p := UnknownFieldOf(err, body, reflect.TypeOf(v)); p != nil {
			return p
		}
		return bindProblem(err)
	}
	if err := binding.Validator.ValidateStruct(v); err != nil {
		return bindProblem(err)
	}
	return nil
}

// encoding/json reports an unknown member only by this message, and names
// the member without its path.
var unknownFieldErr = regexp.MustCompile(`^json: unknown field "([^"]*)"`)

// UnknownFieldOf returns the unknown_field problem of err, the error of
// decoding body into a t with DisallowUnknownFields, naming every member of
// body that t does not define (encoding/json stops at the first and names
// it without its path); nil when err is not about an unknown member.
func UnknownFieldOf(err error, body []byte, t reflect.Type) *Problem {
	m := unknownFieldErr.FindStringSubmatch(err.Error())
	if m == nil {
		return nil
	}
	paths := UnknownMembers(body, t)
	if len(paths) == 0 {
		paths = []string{m[1]}
	}
	return UnknownField(paths...)
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// UnknownMembers returns, sorted, the JSON paths of the members of body
// that a value of type t does not define (as encoding/json matches them:
// exact name first, then case-insensitively). Maps and interfaces are open,
// and so are types that decode themselves.
func UnknownMembers(body []byte, t reflect.Type) []string {
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil
	}
	var out []string
	unknownIn(doc, t, "", &out)
	slices.Sort(out)
	return out
}

func unknownIn(doc any, t reflect.Type, path string, out *[]string) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
		return
	}
	switch d := doc.(type) {
	case map[string]any:
		switch t.Kind() {
		case reflect.Struct:
			fields := jsonFields(t)
			for k, v := range d {
				ft, ok := fieldType(fields, k)
				if !ok {
					*out = append(*out, join(path, k))
					continue
				}
				unknownIn(v, ft, join(path, k), out)
			}
		case reflect.Map:
			for k, v := range d {
				unknownIn(v, t.Elem(), join(path, k), out)
			}
		}
	case []any:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			for i, v := range d {
				unknownIn(v, t.Elem(), path+"["+strconv.Itoa(i)+"]", out)
			}
		}
	}
}

type jsonField struct {
	name string
	typ  reflect.Type
}

// jsonFields lists the members a struct decodes, embedded structs' included.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			out = append(out, jsonFields(ft)...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{name: name, typ: f.Type})
	}
	return out
}

func fieldType(fields []jsonField, key string) (reflect.Type, bool) {
	for _, f := range fields {
		if f.name == key {
			return f.typ, true
		}
	}
	for _, f := range fields {
		if strings.EqualFold(f.name, key) {
			return f.typ, true
		}
	}
	return nil, false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func bindProblem(err error) *Problem {
	var verrs validator.ValidationErrors
	if errors.As(err, &verrs) {
		fields := make([]FieldError, 0, len(verrs))
		for _, fe := range verrs {
			fields = append(fields, FieldError{Field: jsonPath(fe.Namespace()), Reason: reason(fe)})
		}
		return Validation(fields...)
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return Validation(FieldError{Field: typeErr.Field, Reason: "must be a " + typeErr.Type.String()})
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return Validation(FieldError{Field: "", Reason: "body is not valid JSON"})
	}
	return Validation(FieldError{Field: "", Reason: err.Error()})
}

// jsonPath turns "reserveRequest.Passengers[0].GivenName" into
// "passengers[0].givenName".
func jsonPath(ns string) string {
	parts := strings.Split(ns, ".")
	if len(parts) > 1 {
		parts = parts[1:]
	}
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToLower(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, ".")
}

func reason(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "is required"
	case "email":
		return "must be an email address"
	case "min":
		return "must be at least " + fe.Param()
	case "max":
		return "must be at most " + fe.Param()
	case "len":
		return "must have length " + fe.Param()
	case "oneof":
		return "must be one of " + fe.Param()
	case "e164":
		return "must be an E.164 phone number"
	}
	return "failed " + fe.Tag()
}
