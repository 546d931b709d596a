package approval

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"airsign/psbt/approval/webauthn"
)

// Kind says where an approver's private key is kept. The kiosk learns it at
// enrolment, from the quorum that enrolls the key; an approval cannot claim
// a kind of its own.
type Kind string

const (
	// KindSealed is an ed25519 key sealed under the approver's password on
	// the coordinator. Whoever controls the coordinator captures the
	// password at the next approval and can then sign any approval.
	KindSealed Kind = "coordinator-sealed"
	// KindStation is an ed25519 key generated and kept on an offline
	// approver station, which computes what it approves from the PSBT.
	KindStation Kind = "station"
	// KindWebAuthn is a FIDO2 security key or passkey. It signs whatever
	// challenge the page hands it.
	KindWebAuthn Kind = "webauthn"
)

// Kinds lists every kind, strongest first.
var Kinds = []Kind{KindStation, KindWebAuthn, KindSealed}

// ParseKind reads a kind's name.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if s == string(k) {
			return k, nil
		}
	}
	return "", fmt.Errorf("approver key kind %q: use station, webauthn or coordinator-sealed", s)
}

// Key is an enrolled approver key of any kind: an ed25519 public key
// (sealed or station), or a WebAuthn credential's public key with the
// relying-party id it was registered for.
type Key struct {
	Kind     Kind
	Ed25519  ed25519.PublicKey // KindSealed, KindStation
	WebAuthn webauthn.Key      // KindWebAuthn
	RPID     string            // KindWebAuthn: e.g. "treasury.example"
}

// SealedKey is a coordinator-sealed ed25519 key.
func SealedKey(pub ed25519.PublicKey) Key { return Key{Kind: KindSealed, Ed25519: pub} }

// StationKey is an approver station's ed25519 key.
func StationKey(pub ed25519.PublicKey) Key { return Key{Kind: KindStation, Ed25519: pub} }

// String is the key's text form, which the coordinator and the approver
// station print and `airsign-kiosk approvers add` reads:
//
//	station:ed25519:<64 hex digits>
//	coordinator-sealed:ed25519:<64 hex digits>
//	webauthn:<relying party id>:<base64url COSE_Key, no padding>
func (k Key) String() string {
	if k.Kind == KindWebAuthn {
		return "webauthn:" + k.RPID + ":" + base64.RawURLEncoding.EncodeToString(k.WebAuthn.COSE())
	}
	return string(k.Kind) + ":ed25519:" + hex.EncodeToString(k.Ed25519)
}

// ID is what identifies the key in a PSBT field: the ed25519 public key,
// or the WebAuthn key's SHA-256 identity.
func (k Key) ID() []byte {
	if k.Kind == KindWebAuthn {
		id := k.WebAuthn.ID()
		return id[:]
	}
	return k.Ed25519
}

// Fingerprint is a short name for the key, for people to compare: the
// first 8 bytes of its ID in hex.
func (k Key) Fingerprint() string { return fmt.Sprintf("%x", k.ID()[:8]) }

// Describe says what the key is in words, for lists and audit entries.
func (k Key) Describe() string {
	if k.Kind == KindWebAuthn {
		return fmt.Sprintf("webauthn %s credential for %s, key %s", k.WebAuthn.AlgName(), k.RPID, k.Fingerprint())
	}
	return fmt.Sprintf("%s ed25519 key %s", k.Kind, k.Fingerprint())
}

// Check says whether k is complete for its kind.
func (k Key) Check() error {
	switch k.Kind {
	case KindSealed, KindStation:
		if len(k.Ed25519) != ed25519.PublicKeySize {
			return fmt.Errorf("a %s key is a %d-byte ed25519 public key, not %d bytes", k.Kind, ed25519.PublicKeySize, len(k.Ed25519))
		}
	case KindWebAuthn:
		if err := checkRPID(k.RPID); err != nil {
			return err
		}
		if k.WebAuthn.Alg() == 0 {
			return errors.New("a webauthn key needs its credential public key")
		}
	default:
		return fmt.Errorf("approver key kind %q: use station, webauthn or coordinator-sealed", k.Kind)
	}
	return nil
}

// ParseKey reads a key's text form (String). A bare ed25519 key, in hex or
// base64, has no kind: it is read with kind def, and refused when def is
// empty, since where a key is kept decides what its approvals are worth.
func ParseKey(s string, def Kind) (Key, error) {
	s = strings.TrimSpace(s)
	kind, rest, found := strings.Cut(s, ":")
	if !found {
		if def == "" {
			return Key{}, errors.New("the key does not say where it is kept: give it as station:ed25519:HEX, coordinator-sealed:ed25519:HEX or webauthn:RPID:COSE, or name the kind (--kind)")
		}
		return parseEd25519(def, s)
	}
	k, err := ParseKind(kind)
	if err != nil {
		return Key{}, err
	}
	if def != "" && def != k {
		return Key{}, fmt.Errorf("the key says it is a %s key, not %s", k, def)
	}
	if k != KindWebAuthn {
		enc, ok := strings.CutPrefix(rest, "ed25519:")
		if !ok {
			return Key{}, fmt.Errorf("a %s key is given as %s:ed25519:HEX", k, k)
		}
		return parseEd25519(k, enc)
	}
	rpid, enc, ok := strings.Cut(rest, ":")
	if !ok {
		return Key{}, errors.New("a webauthn key is given as webauthn:RPID:COSE (the relying party id, then the credential's COSE public key in base64url)")
	}
	if err := checkRPID(rpid); err != nil {
		return Key{}, err
	}
	if len(enc) > 1024 {
		return Key{}, fmt.Errorf("the webauthn key is %d characters; a COSE public key is under 200", len(enc))
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return Key{}, fmt.Errorf("the webauthn key's COSE public key is not base64url without padding: %v", err)
	}
	wk, err := webauthn.ParseCOSEKey(raw)
	if err != nil {
		return Key{}, err
	}
	return Key{Kind: KindWebAuthn, WebAuthn: wk, RPID: rpid}, nil
}

func parseEd25519(kind Kind, s string) (Key, error) {
	var raw []byte
	if b, err := hex.DecodeString(s); err == nil {
		raw = b
	} else if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		raw = b
	} else {
		return Key{}, fmt.Errorf("the %s key is neither hex nor base64", kind)
	}
	if len(raw) != ed25519.PublicKeySize {
		return Key{}, fmt.Errorf("the %s key is %d bytes; an ed25519 public key is %d", kind, len(raw), ed25519.PublicKeySize)
	}
	return Key{Kind: kind, Ed25519: ed25519.PublicKey(raw)}, nil
}

// checkRPID refuses what no browser accepts as a relying-party id: it is
// a host name, lowercase, without scheme, port or path.
func checkRPID(s string) error {
	if s == "" || len(s) > 253 {
		return fmt.Errorf("relying party id %q: give the coordinator's host name (1 to 253 characters)", s)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return fmt.Errorf("relying party id %q: a host name in lowercase letters, digits, '-' and '.', without scheme, port or path", s)
		}
	}
	return nil
}
