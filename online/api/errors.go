package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"airsign/online/chain"
	"airsign/online/coordinator"
	"airsign/online/store"
	"airsign/psbt"
)

// Error codes: the "code" of every error response, for programs to switch
// on; "error" is the message for people.
const (
	codeInvalid         = "invalid"            // 400, 405, 415: the request is malformed or refused as given
	codeUnauthorized    = "unauthorized"       // 401: no token, or not a valid one
	codeForbidden       = "forbidden"          // 403: the user's role or ownership does not allow it
	codeNotFound        = "not_found"          // 404: no such wallet, request or endpoint
	codeConflict        = "conflict"           // 409: the state does not allow it now
	codeInsufficient    = "insufficient_funds" // 409: not enough free confirmed coins
	codeTooLarge        = "too_large"          // 413: the body is over the cap
	codeWrongTx         = "wrong_transaction"  // 422: the PSBT is not the request's transaction
	codeNotFinal        = "not_final"          // 422: the PSBT lacks signatures
	codeBadSignature    = "bad_signature"      // 422: a signature in the PSBT does not verify
	codeBroadcast       = "broadcast_refused"  // 502: the node refused the transaction
	codeNodeUnavailable = "node_unavailable"   // 502: the node could not be reached or refused our credentials
	codeInternal        = "internal"           // 500: a bug or a database failure; see the log
)

const internalMessage = "internal error; the coordinator's log has the details"

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

// classify maps an error to its response. The coordinator's and store's
// sentinels are matched with errors.Is, so their wrapped messages, which
// say what was wrong and what to do, reach the caller as they are; anything
// unrecognised is a 500 whose details go only to the log.
//
// Choices: insufficient funds is 409, not 422, because the same request may
// succeed later (a deposit confirms, a request is cancelled): it conflicts
// with the wallet's state, the request itself is sound. A refused broadcast
// is 502: the node upstream said no, with its reason in the message.
func classify(err error) *httpError {
	var he *httpError
	if errors.As(err, &he) {
		return he
	}
	var tooLarge *http.MaxBytesError
	status, code := http.StatusInternalServerError, codeInternal
	switch {
	case errors.As(err, &tooLarge):
		status, code = http.StatusRequestEntityTooLarge, codeTooLarge
	case errors.Is(err, coordinator.ErrInvalid), errors.Is(err, coordinator.ErrWalletMismatch):
		status, code = http.StatusBadRequest, codeInvalid
	case errors.Is(err, store.ErrNotFound):
		status, code = http.StatusNotFound, codeNotFound
	case errors.Is(err, coordinator.ErrInsufficient):
		status, code = http.StatusConflict, codeInsufficient
	case errors.Is(err, coordinator.ErrWrongTx):
		status, code = http.StatusUnprocessableEntity, codeWrongTx
	case errors.Is(err, coordinator.ErrNotFinal):
		status, code = http.StatusUnprocessableEntity, codeNotFinal
	case errors.Is(err, psbt.ErrBadSignature):
		status, code = http.StatusUnprocessableEntity, codeBadSignature
	case errors.Is(err, coordinator.ErrBroadcast):
		status, code = http.StatusBadGateway, codeBroadcast
	case errors.Is(err, store.ErrExists), errors.Is(err, store.ErrState), errors.Is(err, store.ErrReserved),
		errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNoAddress), errors.Is(err, coordinator.ErrSuspended):
		status, code = http.StatusConflict, codeConflict
	case errors.Is(err, chain.ErrUnreachable), errors.Is(err, chain.ErrAuth):
		status, code = http.StatusBadGateway, codeNodeUnavailable
	}
	return &httpError{status, code, err.Error()}
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
