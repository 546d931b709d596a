package httperr

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"airsign/online/chain"
	"airsign/online/coordinator"
	"airsign/online/store"
	"airsign/psbt"
)

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		err    error
		status int
		code   string
	}{
		{coordinator.ErrInvalid, 400, CodeInvalid},
		{coordinator.ErrWalletMismatch, 400, CodeInvalid},
		{coordinator.ErrForbidden, 403, CodeForbidden},
		{coordinator.ErrBadPassword, 403, CodeForbidden},
		{store.ErrNotFound, 404, CodeNotFound},
		{coordinator.ErrInsufficient, 409, CodeInsufficient},
		{coordinator.ErrNoApprovalKey, 409, CodeConflict},
		{store.ErrExists, 409, CodeConflict},
		{store.ErrState, 409, CodeConflict},
		{store.ErrReserved, 409, CodeConflict},
		{store.ErrConflict, 409, CodeConflict},
		{store.ErrNoAddress, 409, CodeConflict},
		{coordinator.ErrSuspended, 409, CodeConflict},
		{fmt.Errorf("%w: the chain backends disagree", coordinator.ErrCrossCheck), 409, CodeConflict},
		{&http.MaxBytesError{Limit: 10}, 413, CodeTooLarge},
		{coordinator.ErrWrongTx, 422, CodeWrongTx},
		{coordinator.ErrNotFinal, 422, CodeNotFinal},
		{psbt.ErrBadSignature, 422, CodeBadSignature},
		{coordinator.ErrBroadcast, 502, CodeBroadcast},
		{chain.ErrUnreachable, 502, CodeNodeUnavailable},
		{chain.ErrAuth, 502, CodeNodeUnavailable},
		{errors.New("disk I/O error"), 500, CodeInternal},
	} {
		wrapped := fmt.Errorf("context: %w", c.err)
		got := Classify(wrapped)
		if got.Status != c.status || got.Code != c.code {
			t.Errorf("Classify(%v) = %d %s, want %d %s", c.err, got.Status, got.Code, c.status, c.code)
		}
		switch {
		case got.Internal() && got.Message != InternalMessage:
			t.Errorf("an internal error shows %q", got.Message)
		case !got.Internal() && c.status != 413 && got.Message != wrapped.Error():
			t.Errorf("Classify(%v) message %q, want the error's own", c.err, got.Message)
		}
	}
}

func TestStatusWriter(t *testing.T) {
	rec := httptest.NewRecorder()
	w := &StatusWriter{ResponseWriter: rec}
	w.Write([]byte("x"))
	w.WriteHeader(http.StatusTeapot) // too late: the first status stays
	if w.Status != http.StatusOK {
		t.Errorf("status %d after a write, want 200", w.Status)
	}
	w2 := &StatusWriter{ResponseWriter: httptest.NewRecorder()}
	w2.WriteHeader(http.StatusNotFound)
	w2.WriteHeader(http.StatusOK)
	if w2.Status != http.StatusNotFound {
		t.Errorf("status %d, want the first one written, 404", w2.Status)
	}
	if w2.Unwrap() == nil {
		t.Error("Unwrap returned nil")
	}
}
