package webauthn_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"

	"airsign/psbt/approval/webauthn"
)

// securityKey stands in for the approver's authenticator and browser
// answering navigator.credentials.get({publicKey: {challenge, rpId}}) on
// the page origin: it returns the assertion's three byte strings.
func securityKey(priv ed25519.PrivateKey, rpID, origin string, challenge []byte) webauthn.Assertion {
	rpIDHash := sha256.Sum256([]byte(rpID))
	authData := append(rpIDHash[:], webauthn.FlagUP|webauthn.FlagUV)
	authData = binary.BigEndian.AppendUint32(authData, 41) // signature counter
	clientData := fmt.Appendf(nil, `{"type":"webauthn.get","challenge":"%s","origin":"%s","crossOrigin":false}`,
		base64.RawURLEncoding.EncodeToString(challenge), origin)
	clientDataHash := sha256.Sum256(clientData)
	sig := ed25519.Sign(priv, append(authData[:len(authData):len(authData)], clientDataHash[:]...))
	return webauthn.Assertion{AuthenticatorData: authData, ClientDataJSON: clientData, Signature: sig}
}

func Example() {
	priv := ed25519.NewKeyFromSeed(make([]byte, 32)) // the approver's passkey
	pub, _ := webauthn.KeyFromEd25519(priv.Public().(ed25519.PublicKey))

	// Enrolment, once: the kiosk keeps the credential public key's COSE
	// encoding (from ParseAttestationObject at registration) and the
	// approver checks its fingerprint.
	enrolled := pub.COSE()

	// Approval: the coordinator's page asked the passkey to sign the
	// SHA-256 of the approval message; the assertion crossed the air gap.
	message := []byte("airsign approval v1\n…wallet, request, transaction, outputs, fee, expiry…")
	challenge := sha256.Sum256(message)
	assertion := securityKey(priv, "treasury.example", "https://treasury.example", challenge[:])

	// The kiosk recomputes the message from the PSBT and verifies.
	key, err := webauthn.ParseCOSEKey(enrolled)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("approver's key:", key.AlgName(), key.Fingerprint())
	expect := webauthn.Expect{RPID: "treasury.example", Challenge: challenge[:], RequireUV: true}
	fmt.Println("approves this message:", key.Verify(assertion, expect) == nil)
	fmt.Println("signature counter:", assertion.SignCount())

	// The same assertion does not approve any other message.
	other := sha256.Sum256([]byte("airsign approval v1\n…another amount…"))
	expect.Challenge = other[:]
	err = key.Verify(assertion, expect)
	fmt.Println("approves another message:", err == nil, errors.Is(err, webauthn.ErrChallenge))
	fmt.Println(err)

	// Output:
	// approver's key: EdDSA f83b0213c91438e9
	// approves this message: true
	// signature counter: 41
	// approves another message: false true
	// webauthn: wrong challenge: the assertion was made for another challenge: it approves a different message (another request, wallet or amount)
}
