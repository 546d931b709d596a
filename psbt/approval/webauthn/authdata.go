package webauthn

import (
	"bytes"
	"encoding/binary"
)

// Authenticator data flags (WebAuthn §6.1).
const (
	FlagUP = 0x01 // user present: someone touched the authenticator
	FlagUV = 0x04 // user verified: by PIN, biometric or the like
	FlagBE = 0x08 // backup eligible: the credential may be synced (a passkey)
	FlagBS = 0x10 // backup state: the credential is backed up now
	FlagAT = 0x40 // attested credential data follows (registration)
	FlagED = 0x80 // extension outputs follow
)

// Size limits.
const (
	// MaxAuthData is the most authenticator data Verify reads: an
	// assertion's is 37 bytes plus any extension outputs.
	MaxAuthData = 1024
	// MaxClientData is the most client data JSON Verify reads; browsers
	// make about 150 to 300 bytes.
	MaxClientData = 4096
	// MaxCredentialID is the longest credential ID (WebAuthn §6.5.1).
	MaxCredentialID = 1023
	// MaxAttestationObject is the largest attestation object
	// ParseAttestationObject reads (attestation certificates included).
	MaxAttestationObject = 64 << 10
)

// AuthData is parsed authenticator data (WebAuthn §6.1).
type AuthData struct {
	RPIDHash  [32]byte // SHA-256 of the RP ID the credential is scoped to
	Flags     byte     // FlagUP, FlagUV, FlagBE, FlagBS, FlagAT, FlagED
	SignCount uint32   // the signature counter, 0 if the authenticator keeps none

	// Set only when the AT flag is set (registration):
	AAGUID       [16]byte // the authenticator model, all zeros when not attested
	CredentialID []byte   // 1 to MaxCredentialID bytes
	Key          *Key     // the credential public key

	// Extension outputs (ED flag) are checked to be one well-formed CBOR
	// map and skipped: they are not interpreted.
}

// ParseAuthData parses authenticator data strictly: it must be exactly
// 32 bytes of RP ID hash, a flags byte, a 4-byte big-endian signature
// counter, then the attested credential data if and only if the AT flag is
// set (AAGUID, a 2-byte credential ID length of at most 1023, the credential
// ID, and the credential public key as a COSE key that ParseCOSEKey
// accepts), then one CBOR map of extension outputs if and only if the ED
// flag is set, and nothing after that. The BS flag without the BE flag is
// refused (WebAuthn §6.1). A credential key of another algorithm than ES256
// or EdDSA is refused with ErrUnsupported.
func ParseAuthData(b []byte) (AuthData, error) {
	var a AuthData
	if len(b) < 37 {
		return a, errorf(ErrMalformed, "the authenticator data is %d bytes; it takes at least 37", len(b))
	}
	copy(a.RPIDHash[:], b[:32])
	a.Flags = b[32]
	a.SignCount = binary.BigEndian.Uint32(b[33:37])
	if a.Flags&FlagBS != 0 && a.Flags&FlagBE == 0 {
		return AuthData{}, errorf(ErrMalformed, "the authenticator data says the credential is backed up (BS flag) but cannot be (BE flag clear)")
	}
	rest := b[37:]
	if a.Flags&FlagAT != 0 {
		if len(rest) < 18 {
			return AuthData{}, errorf(ErrMalformed, "the authenticator data sets the AT flag but ends before the attested credential data")
		}
		copy(a.AAGUID[:], rest[:16])
		n := int(binary.BigEndian.Uint16(rest[16:18]))
		rest = rest[18:]
		switch {
		case n == 0:
			return AuthData{}, errorf(ErrMalformed, "the credential ID is empty")
		case n > MaxCredentialID:
			return AuthData{}, errorf(ErrMalformed, "the credential ID is %d bytes; WebAuthn allows at most %d", n, MaxCredentialID)
		case n > len(rest):
			return AuthData{}, errorf(ErrMalformed, "the credential ID is %d bytes but only %d bytes are left", n, len(rest))
		}
		a.CredentialID = bytes.Clone(rest[:n])
		rest = rest[n:]
		v, used, err := cborDecodeFirst(rest)
		if err != nil {
			return AuthData{}, err
		}
		k, err := keyFromCOSE(v)
		if err != nil {
			return AuthData{}, err
		}
		a.Key = &k
		rest = rest[used:]
	}
	if a.Flags&FlagED != 0 {
		if len(rest) == 0 {
			return AuthData{}, errorf(ErrMalformed, "the authenticator data sets the ED flag but holds no extension outputs")
		}
		v, used, err := cborDecodeFirst(rest)
		if err != nil {
			return AuthData{}, err
		}
		if v.typ != cborMap {
			return AuthData{}, errorf(ErrMalformed, "the extension outputs are %s, not a CBOR map", v.typ)
		}
		rest = rest[used:]
	}
	if len(rest) != 0 {
		return AuthData{}, errorf(ErrMalformed, "%d unexpected bytes at the end of the authenticator data", len(rest))
	}
	return a, nil
}

// ParseAttestationObject reads what navigator.credentials.create returns
// as response.attestationObject (WebAuthn §6.5.4): the CBOR map
// {"fmt": text, "attStmt": map, "authData": bytes}, nothing more and
// nothing after it. It requires the AT flag (a new credential) and the UP
// flag, and returns the parsed authenticator data, whose Key is the
// credential public key to enrol.
//
// It does NOT verify the attestation statement, whatever its format:
// airsign registers credentials with attestation "none" and trusts a key
// because a person enrolled it and compared its fingerprint, not because a
// manufacturer certified the authenticator. A "none" statement must be the
// empty map. Nor does it check the RP ID hash or the client data of the
// registration: the caller compares RPIDHash with SHA-256 of its RP ID and
// checks the clientDataJSON of the create call (type "webauthn.create",
// its challenge, its origin).
func ParseAttestationObject(b []byte) (AuthData, error) {
	if len(b) > MaxAttestationObject {
		return AuthData{}, errorf(ErrMalformed, "the attestation object is %d bytes; at most %d are read", len(b), MaxAttestationObject)
	}
	v, err := cborDecodeAll(b)
	if err != nil {
		return AuthData{}, err
	}
	if v.typ != cborMap {
		return AuthData{}, errorf(ErrMalformed, "the attestation object is %s, not a CBOR map", v.typ)
	}
	var (
		fmtName  string
		attStmt  *cborValue
		authData []byte
		haveFmt  bool
		haveAuth bool
	)
	for i := 0; i < len(v.items); i += 2 {
		key, ok := v.items[i].text()
		val := v.items[i+1]
		if !ok {
			return AuthData{}, errorf(ErrMalformed, "the attestation object has the key %s; its keys are the texts fmt, attStmt and authData", cborKeyString(v.items[i]))
		}
		switch key {
		case "fmt":
			if fmtName, ok = val.text(); !ok || fmtName == "" {
				return AuthData{}, errorf(ErrMalformed, "the attestation format (fmt) is %s, not a non-empty text", val.typ)
			}
			haveFmt = true
		case "attStmt":
			if val.typ != cborMap {
				return AuthData{}, errorf(ErrMalformed, "the attestation statement (attStmt) is %s, not a map", val.typ)
			}
			attStmt = &v.items[i+1]
		case "authData":
			if val.typ != cborBytes {
				return AuthData{}, errorf(ErrMalformed, "the authenticator data (authData) is %s, not a byte string", val.typ)
			}
			authData, haveAuth = val.data, true
		default:
			return AuthData{}, errorf(ErrMalformed, "the attestation object has the key %q; its keys are fmt, attStmt and authData", key)
		}
	}
	switch {
	case !haveFmt:
		return AuthData{}, errorf(ErrMalformed, "the attestation object has no format (fmt)")
	case attStmt == nil:
		return AuthData{}, errorf(ErrMalformed, "the attestation object has no attestation statement (attStmt)")
	case !haveAuth:
		return AuthData{}, errorf(ErrMalformed, "the attestation object has no authenticator data (authData)")
	case fmtName == "none" && len(attStmt.items) != 0:
		return AuthData{}, errorf(ErrMalformed, "the attestation format is none but the statement is not empty")
	}
	a, err := ParseAuthData(authData)
	if err != nil {
		return AuthData{}, err
	}
	if a.Flags&FlagAT == 0 {
		return AuthData{}, errorf(ErrMalformed, "the authenticator data holds no new credential (AT flag clear): this is not the response of a registration")
	}
	if a.Flags&FlagUP == 0 {
		return AuthData{}, errorf(ErrUserPresence, "the authenticator did not register the credential with a touch (UP flag clear): register again, touching the security key when it blinks")
	}
	return a, nil
}
