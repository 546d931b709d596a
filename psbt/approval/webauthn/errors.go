package webauthn

import (
	"errors"
	"fmt"
)

// Every error this package returns wraps exactly one of these sentinels
// (test with errors.Is); the rest of its text says in plain words what is
// wrong and what to do.
var (
	// ErrMalformed: the bytes are not what they claim to be (bad CBOR,
	// bad JSON, truncated or oversized data, a missing field).
	ErrMalformed = errors.New("webauthn: malformed data")
	// ErrUnsupported: a credential of an algorithm, key type or curve that
	// airsign does not accept, or an empty Key.
	ErrUnsupported = errors.New("webauthn: unsupported credential")
	// ErrSignature: the signature does not verify with the approver's key,
	// or is not a signature of the key's algorithm at all.
	ErrSignature = errors.New("webauthn: signature does not verify")
	// ErrChallenge: the assertion signs another challenge, so it approves
	// another message.
	ErrChallenge = errors.New("webauthn: wrong challenge")
	// ErrType: the client data is not of an authentication ceremony
	// (navigator.credentials.get).
	ErrType = errors.New("webauthn: wrong ceremony type")
	// ErrOrigin: the browser says the ceremony ran on a page that is not
	// one of the relying party's, inside another site's frame, or the page
	// origin is not of the accepted form.
	ErrOrigin = errors.New("webauthn: origin not allowed")
	// ErrRPID: the authenticator data names another relying party.
	ErrRPID = errors.New("webauthn: wrong relying party")
	// ErrUserPresence: the authenticator did not assert that a person
	// touched it (UP flag clear).
	ErrUserPresence = errors.New("webauthn: user presence not asserted")
	// ErrUserVerification: user verification is required and the
	// authenticator did not verify the user (UV flag clear).
	ErrUserVerification = errors.New("webauthn: user not verified")
	// ErrExpect: the verifier's own settings (Expect) are unusable; this is
	// a bug or a configuration error on the verifying side, not a property
	// of the assertion.
	ErrExpect = errors.New("webauthn: invalid verifier settings")
)

// errorf wraps sentinel with a sentence.
func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}
