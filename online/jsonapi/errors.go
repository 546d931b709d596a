package jsonapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"airsign/online/httperr"
)

// The codes of error responses (httperr's, shared with the web pages).
const (
	codeInvalid         = httperr.CodeInvalid
	codeUnauthorized    = httperr.CodeUnauthorized
	codeForbidden       = httperr.CodeForbidden
	codeNotFound        = httperr.CodeNotFound
	codeConflict        = httperr.CodeConflict
	codeInsufficient    = httperr.CodeInsufficient
	codeTooLarge        = httperr.CodeTooLarge
	codeWrongTx         = httperr.CodeWrongTx
	codeNotFinal        = httperr.CodeNotFinal
	codeBadSignature    = httperr.CodeBadSignature
	codeBroadcast       = httperr.CodeBroadcast
	codeNodeUnavailable = httperr.CodeNodeUnavailable
	codeInternal        = httperr.CodeInternal
)

const internalMessage = httperr.InternalMessage

// httpError is an error with its response already decided.
type httpError struct {
	status int
	code   string
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func errInvalid(msg string) error { return &httpError{http.StatusBadRequest, codeInvalid, msg} }

func errUnauthorized(msg string) error {
	return &httpError{http.StatusUnauthorized, codeUnauthorized, msg}
}

// classify maps an error to its response: an httpError as it is, anything
// else by httperr.Classify, the mapping the web pages share.
func classify(err error) *httpError {
	var he *httpError
	if errors.As(err, &he) {
		return he
	}
	a := httperr.Classify(err)
	return &httpError{a.Status, a.Code, err.Error()}
}

// fail writes err as an error response. Internal errors are logged and
// answered without details.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	he := classify(err)
	if he.status == http.StatusInternalServerError {
		s.opts.Logf("api: %s %s: internal error: %v", r.Method, r.URL.Path, err)
		he = &httpError{he.status, he.code, internalMessage}
	}
	if he.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="airsign"`)
	}
	info(r).code = he.code
	writeError(w, he)
}

func writeError(w http.ResponseWriter, he *httpError) {
	writeJSON(w, he.status, errorBody{Error: he.msg, Code: he.code})
}

type errorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v) // the status is sent; a failed write is the client's loss
}
