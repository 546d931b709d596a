package webauthn

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Signature sizes.
const (
	maxSigES256  = 72 // DER SEQUENCE of two INTEGERs of at most 33 bytes
	minSigES256  = 8  // DER SEQUENCE of two one-byte INTEGERs
	sigSizeEdDSA = ed25519.SignatureSize
	// minChallenge is the shortest challenge Expect may hold (WebAuthn
	// §13.4.3 asks for at least 16 random bytes; airsign's are 32).
	minChallenge = 16
)

// Assertion is what navigator.credentials.get returns in its response:
// the three byte strings, decoded from whatever transport encoding
// (base64url in JSON) carried them.
type Assertion struct {
	AuthenticatorData []byte
	ClientDataJSON    []byte
	Signature         []byte
}

// Expect is what the verifier requires of an assertion.
type Expect struct {
	// RPID is the relying party ID the credential was registered for, as
	// the page passed it (rp.id / rpId): a lowercase domain such as
	// "treasury.example", or "localhost". No scheme, no port.
	RPID string
	// Challenge is the raw challenge (airsign: the 32-byte SHA-256 of the
	// approval message); at least 16 bytes.
	Challenge []byte
	// RequireUV requires the user-verified flag (PIN or biometric), by the
	// kiosk's policy.
	RequireUV bool
}

// Verify checks the assertion a against the key k and the expectations e,
// following the steps of WebAuthn §7.2 that apply offline:
//
//  1. sizes, before anything is parsed: authenticator data at most
//     MaxAuthData bytes, client data at most MaxClientData, an ES256
//     signature 8 to 72 bytes (ASN.1 DER), an EdDSA one exactly 64;
//  2. the client data is one JSON object in valid UTF-8, with no member
//     twice; its "type" is "webauthn.get"; its "challenge" is e.Challenge
//     in unpadded base64url (RFC 4648 §5, nothing else accepted); its
//     "origin" is "https://HOST[:PORT]" where HOST is e.RPID or a
//     subdomain of it, or, when e.RPID is localhost or ends in
//     ".localhost", also "http://HOST[:PORT]" (browsers treat those hosts
//     as secure contexts); "crossOrigin", if present, is false (the page
//     was not in another site's frame), and "topOrigin" is absent. Other
//     members are ignored;
//  3. the authenticator data parses (ParseAuthData), carries no attested
//     credential data (AT flag clear), its RP ID hash is SHA-256(e.RPID),
//     the UP flag is set, and the UV flag too if e.RequireUV;
//  4. the signature is the key's over authenticatorData ||
//     SHA-256(clientDataJSON): ES256 is ECDSA P-256 over the SHA-256 of
//     that, with the signature in ASN.1 DER (high and low S both accepted,
//     as WebAuthn does); EdDSA is pure Ed25519 over that.
//
// It does not check the signature counter (see Assertion.SignCount), the
// credential ID or the user handle: the caller picked k as the approver's
// enrolled key.
//
// A nil error means the holder of k's private key, through a browser on
// a page of e.RPID, signed exactly this challenge.
func (k Key) Verify(a Assertion, e Expect) error {
	switch {
	case k.alg == ES256 && k.ec != nil:
		if len(a.Signature) < minSigES256 || len(a.Signature) > maxSigES256 {
			return errorf(ErrSignature, "the signature is %d bytes; an ES256 signature (ASN.1 DER) is %d to %d bytes", len(a.Signature), minSigES256, maxSigES256)
		}
	case k.alg == EdDSA && len(k.ed) == ed25519.PublicKeySize:
		if len(a.Signature) != sigSizeEdDSA {
			return errorf(ErrSignature, "the signature is %d bytes; an Ed25519 signature is exactly %d bytes", len(a.Signature), sigSizeEdDSA)
		}
	default:
		return errorf(ErrUnsupported, "no key to verify with: parse the approver's enrolled key with ParseCOSEKey")
	}
	if len(a.AuthenticatorData) > MaxAuthData {
		return errorf(ErrMalformed, "the authenticator data is %d bytes, more than the %d an assertion can take", len(a.AuthenticatorData), MaxAuthData)
	}
	if len(a.ClientDataJSON) > MaxClientData {
		return errorf(ErrMalformed, "the client data is %d bytes, more than the %d a browser makes", len(a.ClientDataJSON), MaxClientData)
	}
	if err := checkExpect(e); err != nil {
		return err
	}

	cd, err := parseClientData(a.ClientDataJSON)
	if err != nil {
		return err
	}
	switch cd.typ {
	case "webauthn.get":
	case "webauthn.create":
		return errorf(ErrType, "the client data is of a registration (navigator.credentials.create), not of an approval (navigator.credentials.get)")
	default:
		return errorf(ErrType, "the client data's type is %s; an approval's is \"webauthn.get\"", quoteShort(cd.typ))
	}
	if err := checkChallenge(cd.challenge, e.Challenge); err != nil {
		return err
	}
	if err := checkOrigin(cd.origin, e.RPID); err != nil {
		return err
	}
	if cd.crossOrigin {
		return errorf(ErrOrigin, "the approval was made in a frame inside another site's page (crossOrigin is true): approve on the relying party's own page")
	}
	if cd.hasTopOrigin {
		return errorf(ErrOrigin, "the approval was made in a frame inside the page %s (topOrigin is present): approve on the relying party's own page", quoteShort(cd.topOrigin))
	}

	ad, err := ParseAuthData(a.AuthenticatorData)
	if err != nil {
		return err
	}
	if ad.Flags&FlagAT != 0 {
		return errorf(ErrMalformed, "the authenticator data holds a new credential (AT flag): this is the response of a registration, not an approval")
	}
	if rp := sha256.Sum256([]byte(e.RPID)); ad.RPIDHash != rp {
		return errorf(ErrRPID, "the authenticator signed for another relying party than %s (its RP ID hash is %x): the credential was used on another site", strconv.Quote(e.RPID), ad.RPIDHash[:8])
	}
	if ad.Flags&FlagUP == 0 {
		return errorf(ErrUserPresence, "nobody touched the security key for this approval (UP flag clear): approve again, touching the key when it blinks")
	}
	if e.RequireUV && ad.Flags&FlagUV == 0 {
		return errorf(ErrUserVerification, "the security key did not verify the approver (UV flag clear, no PIN or biometric), which the kiosk's policy requires: approve again, entering the key's PIN or using its fingerprint reader")
	}

	cdHash := sha256.Sum256(a.ClientDataJSON)
	signed := make([]byte, 0, len(a.AuthenticatorData)+len(cdHash))
	signed = append(append(signed, a.AuthenticatorData...), cdHash[:]...)
	var ok bool
	if k.alg == ES256 {
		digest := sha256.Sum256(signed)
		ok = ecdsa.VerifyASN1(k.ec, digest[:], a.Signature)
	} else {
		ok = ed25519.Verify(k.ed, signed, a.Signature)
	}
	if !ok {
		return errorf(ErrSignature, "the signature is not the approver's key's (%s) over this authenticator data and client data: the assertion was altered, or made with another key", k)
	}
	return nil
}

// SignCount returns the signature counter in a's authenticator data, or
// 0 if it does not parse. Verify does not check counters: a caller that
// keeps the last counter of each credential can compare them to detect a
// cloned authenticator (a non-zero counter that does not increase).
func (a Assertion) SignCount() uint32 {
	if len(a.AuthenticatorData) > MaxAuthData {
		return 0
	}
	ad, err := ParseAuthData(a.AuthenticatorData)
	if err != nil {
		return 0
	}
	return ad.SignCount
}

func checkExpect(e Expect) error {
	if !validHost(e.RPID) {
		return errorf(ErrExpect, "the RP ID %s is not a lowercase domain name such as \"treasury.example\" or \"localhost\"", quoteShort(e.RPID))
	}
	if len(e.Challenge) < minChallenge {
		return errorf(ErrExpect, "the expected challenge is %d bytes; it must be at least %d (airsign's is the 32-byte SHA-256 of the approval message)", len(e.Challenge), minChallenge)
	}
	return nil
}

// clientData is the part of CollectedClientData (WebAuthn §5.8.1) that
// Verify checks.
type clientData struct {
	typ, challenge, origin string
	crossOrigin            bool
	hasTopOrigin           bool
	topOrigin              string
}

// parseClientData decodes clientDataJSON strictly: one JSON object in
// valid UTF-8, nothing after it, no member twice, "type", "challenge" and
// "origin" present as strings, "crossOrigin" a boolean if present,
// "topOrigin" a string if present; any other member is skipped.
func parseClientData(b []byte) (clientData, error) {
	var cd clientData
	bad := func(format string, args ...any) (clientData, error) {
		return clientData{}, errorf(ErrMalformed, "the client data JSON "+format, args...)
	}
	if !utf8.Valid(b) {
		return bad("is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return bad("is not a JSON object")
	}
	var seen [5]bool // type, challenge, origin, crossOrigin, topOrigin
	var others map[string]bool
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return bad("is not valid JSON")
		}
		key, _ := tok.(string)
		idx := -1
		switch key {
		case "type":
			idx = 0
		case "challenge":
			idx = 1
		case "origin":
			idx = 2
		case "crossOrigin":
			idx = 3
		case "topOrigin":
			idx = 4
		}
		if idx < 0 {
			if others[key] {
				return bad("has the member %s twice", quoteShort(key))
			}
			if others == nil {
				others = map[string]bool{}
			}
			others[key] = true
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return bad("is not valid JSON")
			}
			continue
		}
		if seen[idx] {
			return bad("has the member %s twice", quoteShort(key))
		}
		seen[idx] = true
		val, err := dec.Token()
		if err != nil {
			return bad("is not valid JSON")
		}
		if idx == 3 {
			v, ok := val.(bool)
			if !ok {
				return bad("has a crossOrigin that is not true or false")
			}
			cd.crossOrigin = v
			continue
		}
		s, ok := val.(string)
		if !ok {
			return bad("has a %s that is not a string", key)
		}
		switch idx {
		case 0:
			cd.typ = s
		case 1:
			cd.challenge = s
		case 2:
			cd.origin = s
		case 4:
			cd.topOrigin, cd.hasTopOrigin = s, true
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return bad("is not valid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad("has more after its object")
	}
	for i, name := range [3]string{"type", "challenge", "origin"} {
		if !seen[i] {
			return bad("has no %s", name)
		}
	}
	return cd, nil
}

// checkChallenge compares the client data's challenge, which must be
// unpadded base64url, with the expected raw challenge.
func checkChallenge(got string, want []byte) error {
	for i := 0; i < len(got); i++ {
		c := got[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return errorf(ErrChallenge, "the challenge in the client data has the character %q, which unpadded base64url does not have: the page did not pass the challenge as raw bytes", c)
		}
	}
	dec, err := base64.RawURLEncoding.Strict().DecodeString(got)
	if err != nil {
		return errorf(ErrChallenge, "the challenge in the client data is not canonical unpadded base64url")
	}
	if len(dec) != len(want) || subtle.ConstantTimeCompare(dec, want) != 1 {
		return errorf(ErrChallenge, "the assertion was made for another challenge: it approves a different message (another request, wallet or amount)")
	}
	return nil
}

// isLocalhost reports whether host is localhost or a subdomain of it,
// which browsers treat as secure contexts over plain http.
func isLocalhost(host string) bool {
	return host == "localhost" || strings.HasSuffix(host, ".localhost")
}

// checkOrigin checks a serialized origin against the RP ID.
func checkOrigin(origin, rpid string) error {
	refuse := func(why string) error {
		return errorf(ErrOrigin, "the approval was made on %s, %s: only pages of %s may ask for approvals; do not count it", quoteShort(origin), why, strconv.Quote(rpid))
	}
	scheme, rest, ok := strings.Cut(origin, "://")
	if !ok {
		return refuse("which is not an origin (scheme://host)")
	}
	host, port, hasPort := strings.Cut(rest, ":")
	if hasPort && !validPort(port) {
		return refuse("whose port is not a number from 1 to 65535")
	}
	if !validHost(host) {
		return refuse("which is not of the form scheme://host[:port] with a lowercase host name")
	}
	if host != rpid && !strings.HasSuffix(host, "."+rpid) {
		return refuse("a page of another site")
	}
	switch {
	case scheme == "https":
	case scheme == "http" && isLocalhost(host):
	default:
		return refuse("which is not an https page")
	}
	return nil
}

// validHost reports whether s is a lowercase DNS name: labels of a-z, 0-9
// and '-', 1 to 63 characters, separated by single dots, 253 characters
// at most.
func validHost(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	label := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.':
			if label == 0 {
				return false
			}
			label = 0
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-':
			if label++; label > 63 {
				return false
			}
		default:
			return false
		}
	}
	return label > 0
}

// validPort reports whether s is a decimal port number 1 to 65535 without
// leading zeros.
func validPort(s string) bool {
	if len(s) == 0 || len(s) > 5 || s[0] == '0' {
		return false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n <= 65535
}

// quoteShort quotes s, which came with the assertion, for an error message,
// cut to a length a person can read.
func quoteShort(s string) string {
	const max = 80
	if len(s) <= max {
		return strconv.Quote(s)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}
