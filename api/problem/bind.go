package problem

import (
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/go-playground/validator/v10"
)

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
