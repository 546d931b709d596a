// Package webauthn verifies approvals made with WebAuthn / FIDO2
// authenticators (security keys and passkeys), offline, on the kiosk; and
// reads the registration data of new credentials, for the coordinator.
//
// It imports the Go standard library only, and nothing that opens sockets
// or runs programs: the kiosk links it.
//
// # The ceremony
//
// An approver enrols a credential once: the coordinator's page calls
// navigator.credentials.create with attestation "none", and
// ParseAttestationObject reads the response's attestation object; the
// credential public key (AuthData.Key, a Key) is what the kiosk will trust,
// kept as its canonical COSE encoding (Key.COSE) and known to people by its
// Fingerprint, which the approver compares on the kiosk at enrolment.
//
// To approve, the coordinator's page calls navigator.credentials.get with
// the challenge set to the 32-byte SHA-256 of the airsign approval message
// (the exact request: wallet, transaction, outputs, fee, expiry). The
// response's authenticator data, client data JSON and signature (an
// Assertion) cross the air gap; the kiosk, which computes the approval
// message itself from the PSBT, calls Key.Verify with Expect{RPID,
// Challenge: SHA-256(message), RequireUV}.
//
// # What Verify checks
//
// That the assertion is signed by the enrolled key, over authenticator data
// and client data that say: an authentication (type "webauthn.get"); of
// exactly this challenge, hence of exactly this approval message; on an
// https page of the relying party (RP ID or a subdomain of it; plain http
// only for localhost), not inside a frame of another site; for a credential
// of this relying party (RP ID hash); with a person touching the
// authenticator (UP); and, if the kiosk's policy requires it, with the
// authenticator verifying that person by PIN or biometric (UV). The full
// list of rules is in Key.Verify's documentation; every refusal is an error
// that wraps one of the Err sentinels and says what is wrong and what to
// do.
//
// # What it does not check
//
//   - Attestation is not trusted. ParseAttestationObject does not verify
//     attestation statements of any format: a key is trusted because a
//     person enrolled it and compared its fingerprint, not because an
//     authenticator vendor certified the device. AAGUID says nothing
//     reliable either.
//   - The signature counter is not enforced. Assertion.SignCount exposes
//     it for a caller that keeps the last value per credential (a non-zero
//     counter that does not increase hints at a cloned authenticator; many
//     passkeys always report 0).
//   - The credential ID and user handle are not checked: the caller chooses
//     which enrolled key to verify with.
//   - What the approver saw. A security key without a screen signs
//     whatever challenge the page gives it, and the approver cannot see the
//     challenge. The kiosk binds the challenge to the exact approval
//     message, so an assertion counts only for the message it was made
//     for, and cannot be replayed for another request, wallet or amount.
//     But a compromised coordinator can show the approver one request
//     while asking the key to sign another request's message: the approver
//     then approves what they did not see. Defences live outside this
//     package (independent review of what the kiosk shows, several
//     approvers on separate devices, limits).
//   - Freshness. A challenge is a hash of the message, not a random nonce;
//     the message's expiry, checked by the caller, bounds how long an
//     approval counts.
//   - Subdomains. Any https subdomain of the RP ID may run the ceremony
//     (WebAuthn scopes credentials that way): the relying party must not
//     serve other people's content on its subdomains.
//
// # Encodings
//
// CBOR is decoded strictly (definite lengths, no tags, no floats, no
// duplicate map keys, a depth and an item cap, lengths checked before
// allocation), but integers and lengths need not be in their shortest
// form. A Key's identity (ID, Fingerprint) is the SHA-256 of its canonical
// COSE encoding (core deterministic CBOR, RFC 8949 §4.2.1), so it does not
// depend on how the authenticator encoded it. Key.COSE documents the exact
// bytes.
//
// Only ES256 (ECDSA P-256 with SHA-256, COSE -7) and EdDSA (Ed25519, COSE
// -8) credentials are accepted; every security key and passkey provider
// offers ES256. RS256 and others are refused by name at registration.
package webauthn
