package jsonapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
)

// decode reads the request body into v strictly: the body is capped with
// http.MaxBytesReader before a byte is decoded, must be declared as
// application/json, must hold exactly one JSON object, and may name only
// v's fields. With optional, an empty body is accepted and leaves v as it
// is (for endpoints whose input is all optional).
func (s *server) decode(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	body := bufio.NewReader(http.MaxBytesReader(w, r.Body, s.opts.MaxBody))
	if _, err := body.Peek(1); errors.Is(err, io.EOF) {
		if optional {
			return nil
		}
		return errInvalid(fmt.Sprintf("the body is empty; send a JSON object with the fields %s", fieldList(v)))
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return &httpError{http.StatusUnsupportedMediaType, codeInvalid,
			fmt.Sprintf("the body's Content-Type is %q; send JSON with \"Content-Type: application/json\"", r.Header.Get("Content-Type"))}
	}
	dec := json.NewDecoder(body)
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return s.jsonError(err, v)
	}
	if err := dec.Decode(new(json.RawMessage)); !errors.Is(err, io.EOF) {
		if err == nil {
			return errInvalid("the body holds more than one JSON value; send exactly one object")
		}
		return s.jsonError(err, v)
	}
	if raw[0] != '{' {
		return errInvalid(fmt.Sprintf("the body is a JSON %s; send a JSON object with the fields %s", jsonKind(raw[0]), fieldList(v)))
	}
	strict := json.NewDecoder(bytes.NewReader(raw))
	strict.DisallowUnknownFields()
	if err := strict.Decode(v); err != nil {
		return s.jsonError(err, v)
	}
	return nil
}

// jsonError says what was wrong with a body encoding/json refused.
func (s *server) jsonError(err error, v any) error {
	var tooLarge *http.MaxBytesError
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooLarge):
		return &httpError{http.StatusRequestEntityTooLarge, codeTooLarge,
			fmt.Sprintf("the body is over the limit of %d bytes; send less (finalize fewer PSBTs at a time) or raise the limit", tooLarge.Limit)}
	case errors.As(err, &syntax):
		return errInvalid(fmt.Sprintf("the body is not valid JSON at byte %d: %v", syntax.Offset, err))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errInvalid("the body ends in the middle of a JSON value")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return errInvalid(fmt.Sprintf("the body is a JSON %s; send a JSON object with the fields %s", typ.Value, fieldList(v)))
		}
		return errInvalid(fmt.Sprintf("field %q is a JSON %s; it must be %s", typ.Field, typ.Value, kindOf(typ.Type.Kind().String())))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no type for this one.
		return errInvalid(fmt.Sprintf("unknown field %s; this request takes %s", strings.TrimPrefix(err.Error(), "json: unknown field "), fieldList(v)))
	}
	return errInvalid(fmt.Sprintf("the body is not a valid request: %v", err))
}

func kindOf(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"):
		return "an integer in range (amounts are whole satoshis)"
	case strings.HasPrefix(kind, "float"):
		return "a number"
	case kind == "slice":
		return "an array"
	case kind == "string":
		return "a string"
	case kind == "bool":
		return "true or false"
	}
	return "a " + kind
}

func jsonKind(first byte) string {
	switch first {
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// fieldList names the JSON fields of the request struct v points to.
func fieldList(v any) string {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct || t.NumField() == 0 {
		return "{} (no fields)"
	}
	var names []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		names = append(names, fmt.Sprintf("%q", name))
	}
	return strings.Join(names, ", ")
}
