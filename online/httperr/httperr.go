// Package httperr is the one mapping from the coordinator's errors to HTTP
// answers, shared by the JSON API (online/jsonapi) and the treasury's web pages
// (online/web), and the response writer both use to log what they answered.
//
// The coordinator's, store's and chain client's sentinels are matched with
// errors.Is, so their wrapped messages, which say what was wrong and what to
// do, reach people as they are; anything unrecognised is internal: a 500
// whose details go only to the log.
//
// Choices: insufficient funds is 409, not 422, because the same request may
// succeed later (a deposit confirms, a request is cancelled): it conflicts
// with the wallet's state, the request itself is sound. So is a user
// without an approval key (an operator gives them one). A refused broadcast
// and an unreachable node are 502: the node upstream said no, or nothing.
package httperr

import (
	"errors"
	"fmt"
	"net/http"

	"airsign/online/chain"
	"airsign/online/coordinator"
	"airsign/online/store"
	"airsign/psbt"
)

// Codes: the "code" of every API error response, for programs to switch
// on; the message is for people.
const (
	CodeInvalid         = "invalid"            // 400, 405, 415: the request is malformed or refused as given
	CodeUnauthorized    = "unauthorized"       // 401: no token, or not a valid one
	CodeForbidden       = "forbidden"          // 403: the user's role, ownership or key does not allow it
	CodeNotFound        = "not_found"          // 404: no such wallet, request or endpoint
	CodeConflict        = "conflict"           // 409: the state does not allow it now
	CodeInsufficient    = "insufficient_funds" // 409: not enough free confirmed coins
	CodeTooLarge        = "too_large"          // 413: the body is over the cap
	CodeWrongTx         = "wrong_transaction"  // 422: the PSBT is not the request's transaction
	CodeNotFinal        = "not_final"          // 422: the PSBT lacks signatures
	CodeBadSignature    = "bad_signature"      // 422: a signature in the PSBT does not verify
	CodeBroadcast       = "broadcast_refused"  // 502: the node refused the transaction
	CodeNodeUnavailable = "node_unavailable"   // 502: the node could not be reached or refused our credentials
	CodeInternal        = "internal"           // 500: a bug or a database failure; see the log
)

// InternalMessage is what people see of an internal error.
const InternalMessage = "internal error; the coordinator's log has the details"

// Answer is how an error is answered.
type Answer struct {
	Status  int
	Code    string
	Message string // err's own message, or InternalMessage
}

// Internal says whether the answer hides an error that belongs in the log.
func (a Answer) Internal() bool { return a.Status == http.StatusInternalServerError }

// Classify maps err to its answer.
func Classify(err error) Answer {
	var tooLarge *http.MaxBytesError
	answer := func(status int, code string) Answer { return Answer{status, code, err.Error()} }
	switch {
	case errors.As(err, &tooLarge):
		return Answer{http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("What you sent is larger than the %d bytes allowed here.", tooLarge.Limit)}
	case errors.Is(err, coordinator.ErrForbidden), errors.Is(err, coordinator.ErrBadPassword):
		return answer(http.StatusForbidden, CodeForbidden)
	case errors.Is(err, coordinator.ErrInvalid), errors.Is(err, coordinator.ErrWalletMismatch):
		return answer(http.StatusBadRequest, CodeInvalid)
	case errors.Is(err, store.ErrNotFound):
		return answer(http.StatusNotFound, CodeNotFound)
	case errors.Is(err, coordinator.ErrInsufficient):
		return answer(http.StatusConflict, CodeInsufficient)
	case errors.Is(err, coordinator.ErrWrongTx):
		return answer(http.StatusUnprocessableEntity, CodeWrongTx)
	case errors.Is(err, coordinator.ErrNotFinal):
		return answer(http.StatusUnprocessableEntity, CodeNotFinal)
	case errors.Is(err, psbt.ErrBadSignature):
		return answer(http.StatusUnprocessableEntity, CodeBadSignature)
	case errors.Is(err, coordinator.ErrBroadcast):
		return answer(http.StatusBadGateway, CodeBroadcast)
	case errors.Is(err, store.ErrExists), errors.Is(err, store.ErrState), errors.Is(err, store.ErrReserved),
		errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNoAddress), errors.Is(err, coordinator.ErrSuspended),
		errors.Is(err, coordinator.ErrNoApprovalKey), errors.Is(err, coordinator.ErrCrossCheck):
		return answer(http.StatusConflict, CodeConflict)
	case errors.Is(err, chain.ErrUnreachable), errors.Is(err, chain.ErrAuth):
		return answer(http.StatusBadGateway, CodeNodeUnavailable)
	}
	return Answer{http.StatusInternalServerError, CodeInternal, InternalMessage}
}

// StatusWriter remembers the status written, for the log.
type StatusWriter struct {
	http.ResponseWriter
	Status int
}

// WriteHeader records the first status and passes it on.
func (w *StatusWriter) WriteHeader(status int) {
	if w.Status == 0 {
		w.Status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

// Write records 200 when nothing was written before.
func (w *StatusWriter) Write(b []byte) (int, error) {
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *StatusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
