package psbt

import (
	"errors"
	"fmt"
)

// Errors wrapped by every error Decode returns, for errors.Is. The
// DecodeError around them says where the problem is and what it was.
var (
	// ErrTooLarge reports input above MaxPSBTBytes, or a transaction with
	// more than MaxInputs inputs or MaxOutputs outputs.
	ErrTooLarge = errors.New("psbt exceeds airsign's limits")
	// ErrNotPSBT reports input that is not a PSBT in any accepted form:
	// binary, base64 or hex.
	ErrNotPSBT = errors.New("not a psbt")
	// ErrTruncated reports a length, count or map that claims more bytes
	// than the input has.
	ErrTruncated = errors.New("psbt is truncated")
	// ErrDuplicateKey reports a key that appears twice in one map. BIP174
	// makes keys unique per map; a duplicate lets two readers see two
	// different PSBTs in the same bytes.
	ErrDuplicateKey = errors.New("duplicate key")
	// ErrTrailingData reports bytes, or whole maps, after the last output
	// map.
	ErrTrailingData = errors.New("trailing data after the last output map")
	// ErrUnsupportedVersion reports a PSBT_GLOBAL_VERSION other than 0 and 2.
	ErrUnsupportedVersion = errors.New("unsupported psbt version")
	// ErrInvalidField reports a field whose key or value is malformed, or
	// a field that its PSBT version excludes.
	ErrInvalidField = errors.New("invalid psbt field")
	// ErrMissingField reports a field that BIP174 or BIP370 requires.
	ErrMissingField = errors.New("missing psbt field")
	// ErrLockTime reports a version 2 PSBT whose inputs require lock times
	// of incompatible types, so no lock time satisfies them all.
	ErrLockTime = errors.New("inputs require incompatible lock times")
)

// DecodeError is the error Decode returns. It wraps one of the package's
// sentinel errors, or btcd's error when btcd refused what the scanner let
// through.
type DecodeError struct {
	// Where is the map the problem is in: "global map", "input 3" or
	// "output 1" (counting from 0, as BIP174 does), or "" for the input as
	// a whole.
	Where string
	// Offset is the byte offset into the binary PSBT, or -1 when unknown.
	// For a version 2 PSBT it counts in the version 2 bytes.
	Offset int
	// Msg says what was wrong and what to do.
	Msg string
	// Err is the sentinel (or btcd) error.
	Err error
}

// Error formats the error as "psbt: input 3, byte 412: <what was wrong>".
func (e *DecodeError) Error() string {
	s := "psbt: "
	switch {
	case e.Where != "" && e.Offset >= 0:
		s += fmt.Sprintf("%s, byte %d: ", e.Where, e.Offset)
	case e.Where != "":
		s += e.Where + ": "
	case e.Offset >= 0:
		s += fmt.Sprintf("byte %d: ", e.Offset)
	}
	return s + e.Msg
}

// Unwrap returns the sentinel error.
func (e *DecodeError) Unwrap() error { return e.Err }

// advice is appended to refusals of malformed data: the operator cannot fix
// bytes, only ask for them again.
const advice = "; the coordinator produced a malformed PSBT: do not sign it, and have the coordinator rebuild and export it again"

func errAt(err error, where string, off int, format string, args ...any) *DecodeError {
	return &DecodeError{Where: where, Offset: off, Msg: fmt.Sprintf(format, args...), Err: err}
}
