package coordinator

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"airsign/offline/kiosk"
	"airsign/online/store"
	"airsign/psbt"
	"airsign/psbt/approval"
	"airsign/psbt/approval/webauthn"
	"airsign/psbt/descriptor"
)

const testRPID = "localhost"

// softKey is a security key with an Ed25519 credential, as a test drives
// one. It is not a mock of a part airsign uses: the coordinator's code path
// is the browser's answer, which the browser test makes with Chromium's
// virtual authenticator.
type softKey struct {
	priv  ed25519.PrivateKey
	key   webauthn.Key
	id    []byte
	count uint32
}

func newSoftKey(t *testing.T, seed byte) *softKey {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32))
	k, err := webauthn.KeyFromEd25519(priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return &softKey{priv: priv, key: k, id: bytes.Repeat([]byte{seed, 0xc7}, 8)}
}

func clientJSON(typ string, challenge []byte, origin string) []byte {
	return fmt.Appendf(nil, `{"type":%q,"challenge":%q,"origin":%q,"crossOrigin":false}`, typ, base64.RawURLEncoding.EncodeToString(challenge), origin)
}

// register answers navigator.credentials.create with "none" attestation.
func (s *softKey) register(challenge []byte) WebAuthnRegistration {
	rp := sha256.Sum256([]byte(testRPID))
	auth := append(rp[:], webauthn.FlagUP|webauthn.FlagAT, 0, 0, 0, 0)
	auth = append(auth, make([]byte, 16)...) // AAGUID
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(s.id)))
	auth = append(append(auth, s.id...), s.key.COSE()...)
	// {"fmt": "none", "attStmt": {}, "authData": auth} in CBOR.
	att := append([]byte{0xa3, 0x63}, "fmt"...)
	att = append(append(att, 0x64), "none"...)
	att = append(append(att, 0x67), "attStmt"...)
	att = append(att, 0xa0, 0x68)
	att = append(att, "authData"...)
	att = append(att, 0x58, byte(len(auth)))
	att = append(att, auth...)
	return WebAuthnRegistration{RPID: testRPID, Challenge: challenge, CredentialID: s.id, AttestationObject: att,
		ClientDataJSON: clientJSON("webauthn.create", challenge, "http://localhost:8080"), Label: "test key"}
}

// assert answers navigator.credentials.get.
func (s *softKey) assert(challenge []byte, flags byte) webauthn.Assertion {
	s.count++
	rp := sha256.Sum256([]byte(testRPID))
	auth := binary.BigEndian.AppendUint32(append(rp[:], flags), s.count)
	client := clientJSON("webauthn.get", challenge, "http://localhost:8080")
	sum := sha256.Sum256(client)
	return webauthn.Assertion{AuthenticatorData: auth, ClientDataJSON: client, Signature: ed25519.Sign(s.priv, append(bytes.Clone(auth), sum[:]...))}
}

// station makes an approver station's approval of a PSBT: what it
// computes from the PSBT and the wallet's descriptor, never from the
// coordinator's words.
func station(t *testing.T, key ed25519.PrivateKey, d *descriptor.Descriptor, raw []byte, expires time.Time) string {
	t.Helper()
	p, err := psbt.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	request, err := approval.RequestOf(p)
	if err != nil || request == "" {
		t.Fatalf("the PSBT names request %q, %v; the station shows it", request, err)
	}
	fee, err := approval.FeeOf(p)
	if err != nil {
		t.Fatal(err)
	}
	m, err := approval.MessageFor(p, kiosk.WalletID(d), request, fee, expires)
	if err != nil {
		t.Fatal(err)
	}
	return approval.MarshalTransfer(approval.Sign(m, "bob's station", key))
}

// kioskCounts is what the kiosk counts in p under a policy that wants
// station or webauthn approvals.
func kioskCounts(t *testing.T, p []byte, d *descriptor.Descriptor, enrolled []approval.Enrolled, need int) ([]approval.Counted, []string) {
	t.Helper()
	q, err := psbt.Decode(p)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := psbt.Analyze(q, d, psbt.DefaultPolicy)
	if err != nil {
		t.Fatal(err)
	}
	counted, problems, err := approval.CheckWith(q, kiosk.WalletID(d), sum.Fee, time.Now(), enrolled,
		approval.Rules{Need: need, Kinds: []approval.Kind{approval.KindStation, approval.KindWebAuthn}})
	if err != nil {
		t.Fatal(err)
	}
	return counted, problems
}

// An approver station's approval, handed in as its text, is filed under
// the name of the user who registered the station's key, and the kiosk
// counts it; four eyes holds for it as for any approval.
func TestStationApproval(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.user(t, "alice", store.RoleRequester)
	f.user(t, "bob", store.RoleApprover)
	f.user(t, "carol", store.RoleApprover)
	_, d, wd := f.treasuryRequest(t)
	f.deposit(t, "treasury", 200_000)
	f.deposit(t, "treasury", 200_000)
	bobKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0xb0}, 32))
	carolKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0xc0}, 32))
	bobText := approval.StationKey(bobKey.Public().(ed25519.PublicKey)).String()

	if _, err := f.c.RegisterStationKey(ctx, "alice", bobText, ""); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a station key for a requester: got %v, want ErrForbidden", err)
	}
	if _, err := f.c.RegisterStationKey(ctx, "bob", fmt.Sprintf("coordinator-sealed:ed25519:%x", bobKey.Public()), ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a sealed key as a station key: got %v, want ErrInvalid", err)
	}
	if _, err := f.c.RegisterStationKey(ctx, "bob", bobText, "bob's laptop"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.RegisterStationKey(ctx, "carol", bobText, ""); !errors.Is(err, store.ErrExists) {
		t.Fatalf("bob's station key registered for carol: got %v, want ErrExists", err)
	}

	expires := time.Now().Add(4 * time.Hour)
	// carol's station is not registered here: refused, naming the key.
	if _, err := f.c.ApproveStation(ctx, wd.ID, "alice", station(t, carolKey, d, wd.PSBT, expires)); !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "no user registered") {
		t.Fatalf("an unregistered station: got %v", err)
	}
	// bob's approval of another request, handed in for this one.
	other, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: foreignAddress(t, 9), Amount: 60_000, FeeRate: 2, Requester: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.ApproveStation(ctx, wd.ID, "alice", station(t, bobKey, d, other.PSBT, expires)); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "another request") {
		t.Fatalf("another request's approval: got %v", err)
	}
	if _, err := f.c.ApproveStation(ctx, wd.ID, "alice", "cHNidP8BAH..."); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a PSBT instead of an approval: got %v", err)
	}
	got, err := f.c.ApproveStation(ctx, wd.ID, "alice", station(t, bobKey, d, wd.PSBT, expires))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := f.c.Approvals(ctx, wd.ID)
	if err != nil || len(recs) != 1 || recs[0].Approver != "bob" || recs[0].Kind != "station" || !recs[0].Expires.Equal(expires.Truncate(time.Second)) {
		t.Fatalf("Approvals = %+v, %v; want bob's station approval until %v", recs, err, expires)
	}
	enrolled := []approval.Enrolled{{Name: "bob", Key: approval.StationKey(bobKey.Public().(ed25519.PublicKey))}}
	if counted, problems := kioskCounts(t, got.PSBT, d, enrolled, 1); len(counted) != 1 || counted[0] != (approval.Counted{Name: "bob", Kind: approval.KindStation}) {
		t.Fatalf("the kiosk counts %v (%q); want bob's station approval", counted, problems)
	}

	// A station approval by the request's own requester is refused.
	f.user(t, "dora", store.RoleApprover)
	doraKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0xd0}, 32))
	if _, err := f.c.RegisterStationKey(ctx, "dora", approval.StationKey(doraKey.Public().(ed25519.PublicKey)).String(), ""); err != nil {
		t.Fatal(err)
	}
	own, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: foreignAddress(t, 9), Amount: 20_000, FeeRate: 2, Requester: "dora"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.ApproveStation(ctx, own.ID, "alice", station(t, doraKey, d, own.PSBT, expires)); !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "four eyes") {
		t.Fatalf("dora's station approving dora's request: got %v, want four eyes", err)
	}
}

// A security key registered in the browser approves by signing the
// approval message's challenge; the coordinator files the assertion and the
// kiosk counts it.
func TestWebAuthnApproval(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.user(t, "alice", store.RoleRequester)
	f.user(t, "bob", store.RoleApprover)
	_, d, wd := f.treasuryRequest(t)
	f.deposit(t, "treasury", 200_000)
	bob := newSoftKey(t, 0x42)
	challenge := bytes.Repeat([]byte{0x5a}, 32)

	// Registration: the answer must be to this page's challenge, for this
	// site, from the credential it names.
	for _, tc := range []struct {
		name string
		edit func(r *WebAuthnRegistration)
		want string
	}{
		{"another challenge", func(r *WebAuthnRegistration) { r.Challenge = bytes.Repeat([]byte{1}, 32) }, "another challenge"},
		{"an assertion, not a registration", func(r *WebAuthnRegistration) {
			r.ClientDataJSON = clientJSON("webauthn.get", challenge, "http://localhost:8080")
		}, "not a registration"},
		{"another site's page", func(r *WebAuthnRegistration) {
			r.ClientDataJSON = clientJSON("webauthn.create", challenge, "https://evil.example")
		}, "not a page of localhost"},
		{"another credential id", func(r *WebAuthnRegistration) { r.CredentialID = []byte("other") }, "does not match"},
		{"another relying party", func(r *WebAuthnRegistration) {
			r.RPID = "treasury.example"
			r.ClientDataJSON = clientJSON("webauthn.create", challenge, "https://treasury.example")
		}, "another site"},
	} {
		r := bob.register(challenge)
		tc.edit(&r)
		if _, err := f.c.RegisterWebAuthn(ctx, "bob", r); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("registration with %s: got %v, want ErrInvalid saying %q", tc.name, err, tc.want)
		}
	}
	if _, err := f.c.RegisterWebAuthn(ctx, "alice", bob.register(challenge)); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a security key for a requester: got %v, want ErrForbidden", err)
	}
	k, err := f.c.RegisterWebAuthn(ctx, "bob", bob.register(challenge))
	if err != nil {
		t.Fatal(err)
	}
	if !k.WebAuthn.Equal(bob.key) || k.RPID != testRPID {
		t.Fatalf("registered %v, want bob's key for %s", k, testRPID)
	}

	// Approval: the page asks for the challenge, the key signs it.
	if _, err := f.c.WebAuthnChallenge(ctx, wd.ID, "alice", testRPID, 0); !errors.Is(err, ErrForbidden) {
		t.Fatalf("the requester asking to approve: got %v, want ErrForbidden", err)
	}
	if _, err := f.c.WebAuthnChallenge(ctx, wd.ID, "bob", "treasury.example", 0); !errors.Is(err, ErrNoApprovalKey) {
		t.Fatalf("a challenge for a site bob has no key for: got %v, want ErrNoApprovalKey", err)
	}
	req, err := f.c.WebAuthnChallenge(ctx, wd.ID, "bob", testRPID, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(req.Credentials) != 1 || !bytes.Equal(req.Credentials[0], bob.id) || !bytes.Equal(req.Challenge, approval.Challenge(req.Message)) {
		t.Fatalf("challenge %+v; want bob's credential and the message's challenge", req)
	}
	other, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: foreignAddress(t, 9), Amount: 60_000, FeeRate: 2, Requester: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	otherReq, err := f.c.WebAuthnChallenge(ctx, other.ID, "bob", testRPID, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.ApproveWebAuthn(ctx, wd.ID, "bob", req.Expires, bob.id, bob.assert(otherReq.Challenge, webauthn.FlagUP)); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "another approval") {
		t.Fatalf("an assertion for another request: got %v", err)
	}
	if _, err := f.c.ApproveWebAuthn(ctx, wd.ID, "bob", req.Expires.Add(time.Hour), bob.id, bob.assert(req.Challenge, webauthn.FlagUP)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("an assertion filed with another expiry: got %v", err)
	}
	if _, err := f.c.ApproveWebAuthn(ctx, wd.ID, "bob", req.Expires, []byte("unknown"), bob.assert(req.Challenge, webauthn.FlagUP)); !errors.Is(err, ErrForbidden) {
		t.Fatalf("an unregistered credential: got %v", err)
	}
	got, err := f.c.ApproveWebAuthn(ctx, wd.ID, "bob", req.Expires, bob.id, bob.assert(req.Challenge, webauthn.FlagUP))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := f.c.Approvals(ctx, wd.ID)
	if err != nil || len(recs) != 1 || recs[0].Approver != "bob" || recs[0].Kind != "webauthn" {
		t.Fatalf("Approvals = %+v, %v; want bob's webauthn approval", recs, err)
	}
	enrolled := []approval.Enrolled{{Name: "bob", Key: k}}
	if counted, problems := kioskCounts(t, got.PSBT, d, enrolled, 1); len(counted) != 1 || counted[0] != (approval.Counted{Name: "bob", Kind: approval.KindWebAuthn}) {
		t.Fatalf("the kiosk counts %v (%q); want bob's webauthn approval", counted, problems)
	}
}

// Nothing the coordinator holds is enough to approve for a policy that
// counts station and webauthn approvals: with every sealed key opened (its
// password captured) and every key-sized value in its database taken as a
// private key, the approvals it can make do not count at the kiosk.
func TestCoordinatorCannotForgeApprovals(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.user(t, "alice", store.RoleRequester)
	f.user(t, "bob", store.RoleApprover)
	f.user(t, "carol", store.RoleApprover)
	_, d, wd := f.treasuryRequest(t)
	f.approvalKey(t, "bob", "bob's long password")
	carolSealed := f.approvalKey(t, "carol", "carol's long password")
	bobStation := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0xb0}, 32))
	if _, err := f.c.RegisterStationKey(ctx, "bob", approval.StationKey(bobStation.Public().(ed25519.PublicKey)).String(), ""); err != nil {
		t.Fatal(err)
	}
	carolKey := newSoftKey(t, 0x43)
	ck, err := f.c.RegisterWebAuthn(ctx, "carol", carolKey.register(bytes.Repeat([]byte{7}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	// The kiosk enrolled bob's station and carol's security key, and
	// carol's sealed key too: its policy does not count that kind.
	enrolled := []approval.Enrolled{
		{Name: "bob", Key: approval.StationKey(bobStation.Public().(ed25519.PublicKey))},
		{Name: "carol", Key: ck},
		{Name: "carol", Key: approval.SealedKey(carolSealed)},
	}

	// The attacker runs the coordinator: the approvals it makes with the
	// passwords it captured are filed, and do not count.
	for _, u := range []string{"bob", "carol"} {
		if _, err := f.c.Approve(ctx, wd.ID, u, []byte(u+"'s long password"), 0); err != nil {
			t.Fatal(err)
		}
	}
	got, err := f.c.Get(ctx, wd.ID)
	if err != nil {
		t.Fatal(err)
	}
	p, err := psbt.Decode(got.PSBT)
	if err != nil {
		t.Fatal(err)
	}
	fee, err := approval.FeeOf(p)
	if err != nil {
		t.Fatal(err)
	}
	m, err := approval.MessageFor(p, kiosk.WalletID(d), wd.ID, fee, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// Every BLOB of 32 or 64 bytes in the database, as an ed25519 seed or
	// private key, signs an approval too.
	db, err := sql.Open("sqlite", "file:"+f.dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	blobs := 0
	for _, q := range []string{
		`SELECT public_key FROM approval_keys`, `SELECT sealed FROM approval_keys`, `SELECT public_key FROM approver_keys`,
		`SELECT key_id FROM approver_keys`, `SELECT credential_id FROM approver_keys`, `SELECT token_hash FROM users`,
		`SELECT public_key FROM approvals`,
	} {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			var b []byte
			if err := rows.Scan(&b); err != nil {
				t.Fatal(err)
			}
			for i := 0; i+32 <= len(b); i++ {
				a := approval.Sign(m, "forged", ed25519.NewKeyFromSeed(b[i:i+32]))
				if err := approval.Attach(p, a); err != nil {
					t.Fatal(err)
				}
				blobs++
			}
		}
		rows.Close()
	}
	if blobs == 0 {
		t.Fatal("no key material found in the database: the test reads nothing")
	}
	raw, err := psbt.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	if counted, problems := kioskCounts(t, raw, d, enrolled, 1); len(counted) != 0 {
		t.Fatalf("the kiosk counts %v from what the coordinator holds (%d keys tried); problems %q", counted, blobs, problems)
	} else if !strings.Contains(strings.Join(problems, "\n"), "this wallet's policy needs 1 approvals made on an approver station (station) or with a security key or passkey (webauthn)") {
		t.Fatalf("the kiosk's refusal does not say which approvals it needs: %q", problems)
	}
}
