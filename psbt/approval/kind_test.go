package approval

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"

	"airsign/psbt/approval/webauthn"
)

const testRPID = "treasury.example"

// authenticator is a security key with an Ed25519 credential, as the
// tests drive one: it signs whatever challenge it is handed.
type authenticator struct {
	priv  ed25519.PrivateKey
	key   webauthn.Key
	count uint32
}

func newAuthenticator(t testing.TB, seed byte) *authenticator {
	t.Helper()
	priv := testKey(seed)
	k, err := webauthn.KeyFromEd25519(priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return &authenticator{priv: priv, key: k}
}

func (a *authenticator) enrolled(name string) Enrolled {
	return Enrolled{Name: name, Key: Key{Kind: KindWebAuthn, WebAuthn: a.key, RPID: testRPID}}
}

// assert answers navigator.credentials.get for challenge on origin with
// flags (user present 0x01, user verified 0x04).
func (a *authenticator) assert(challenge []byte, origin string, flags byte) webauthn.Assertion {
	a.count++
	rp := sha256.Sum256([]byte(testRPID))
	auth := append(rp[:], flags)
	auth = binary.BigEndian.AppendUint32(auth, a.count)
	client := fmt.Appendf(nil, `{"type":"webauthn.get","challenge":%q,"origin":%q,"crossOrigin":false}`,
		base64.RawURLEncoding.EncodeToString(challenge), origin)
	sum := sha256.Sum256(client)
	return webauthn.Assertion{AuthenticatorData: auth, ClientDataJSON: client,
		Signature: ed25519.Sign(a.priv, append(append([]byte{}, auth...), sum[:]...))}
}

// approve has a approve m as name, with the page's challenge.
func (a *authenticator) approve(name string, m Message, flags byte) WebAuthnApproval {
	return WebAuthnApproval{Approver: name, KeyID: a.key.ID(), Message: m, Assertion: a.assert(Challenge(m), "https://"+testRPID, flags)}
}

// put attaches wa to p without the coordinator's check, as a hostile
// coordinator could.
func putWebAuthn(p *btcpsbt.Packet, wa WebAuthnApproval) {
	putField(p, append(fieldPrefix(subtypeWebAuthn), wa.KeyID[:]...), wa.marshalValue())
}

func TestWebAuthnApprovals(t *testing.T) {
	bob, carol, mallory := newAuthenticator(t, 0x31), newAuthenticator(t, 0x32), newAuthenticator(t, 0x33)
	enrolled := []Enrolled{bob.enrolled("bob"), carol.enrolled("carol"), {Name: "dave", Key: StationKey(pub(daveKey))}}
	other := testPacket(t, 0x22, 50_000_000, 60_000_001) // another request: one satoshi more
	otherMsg := testMessage(t, other)
	const present, verified = webauthn.FlagUP, webauthn.FlagUP | webauthn.FlagUV

	cases := []struct {
		name     string
		rules    Rules
		build    func(p *btcpsbt.Packet, m Message)
		want     []Counted
		problems []string
	}{
		{"two security keys", Rules{Need: 2}, func(p *btcpsbt.Packet, m Message) {
			putWebAuthn(p, bob.approve("bob", m, present))
			putWebAuthn(p, carol.approve("carol", m, present))
		}, []Counted{{"bob", KindWebAuthn}, {"carol", KindWebAuthn}}, nil},
		{"a security key and a station", Rules{Need: 2, Kinds: []Kind{KindStation, KindWebAuthn}}, func(p *btcpsbt.Packet, m Message) {
			putWebAuthn(p, bob.approve("bob", m, present))
			put(p, ptr(Sign(m, "dave", testKey(daveKey))))
		}, []Counted{{"bob", KindWebAuthn}, {"dave", KindStation}}, nil},
		{"tampered authenticator data", Rules{Need: 1}, func(p *btcpsbt.Packet, m Message) {
			wa := bob.approve("bob", m, present)
			wa.Assertion.AuthenticatorData[33] ^= 0x40 // a flag the key did not sign
			putWebAuthn(p, wa)
		}, nil, []string{"approval by bob: the signature is not valid", "no approval counts"}},
		{"tampered signature", Rules{Need: 1}, func(p *btcpsbt.Packet, m Message) {
			wa := bob.approve("bob", m, present)
			wa.Assertion.Signature[5] ^= 1
			putWebAuthn(p, wa)
		}, nil, []string{"approval by bob: the signature is not valid"}},
		{"assertion for another request", Rules{Need: 1}, func(p *btcpsbt.Packet, m Message) {
			wa := bob.approve("bob", otherMsg, present)
			wa.Message = m // the hostile coordinator files it under this request
			putWebAuthn(p, wa)
		}, nil, []string{"approval by bob: the security key signed another message: this approval was made for another request"}},
		{"whole approval of another request", Rules{Need: 1}, func(p *btcpsbt.Packet, m Message) {
			putWebAuthn(p, bob.approve("bob", otherMsg, present))
		}, nil, []string{"approval by bob does not match: outputs differ"}},
		{"replayed from an earlier approval", Rules{Need: 1}, func(p *btcpsbt.Packet, m Message) {
			old := m
			old.Expires = m.Expires.Add(-time30m) // the approval bob gave before, for a shorter time
			wa := bob.approve("bob", old, present)
			wa.Message = m
			putWebAuthn(p, wa)
		}, nil, []string{"the security key signed another message"}},
		{"no user presence", Rules{Need: 1}, func(p *btcpsbt.Packet, m Message) {
			putWebAuthn(p, bob.approve("bob", m, 0))
		}, nil, []string{"approval by bob: the security key was not touched (no user presence)"}},
		{"user verification required", Rules{Need: 1, RequireUV: true}, func(p *btcpsbt.Packet, m Message) {
			putWebAuthn(p, bob.approve("bob", m, present))
			putWebAuthn(p, carol.approve("carol", m, verified))
		}, []Counted{{"carol", KindWebAuthn}}, []string{"approval by bob: the security key did not verify the user"}},
		{"unenrolled credential", Rules{Need: 1}, func(p *btcpsbt.Packet, m Message) {
			putWebAuthn(p, mallory.approve("bob", m, present))
		}, nil, []string{`approval by key ` + shortKey(ptr(mallory.key.ID())[:]) + ` (signed as "bob"): key not enrolled`}},
		{"another site's assertion", Rules{Need: 1}, func(p *btcpsbt.Packet, m Message) {
			wa := bob.approve("bob", m, present)
			wa.Assertion = bob.assert(Challenge(m), "https://evil.example", present)
			putWebAuthn(p, wa)
		}, nil, []string{"approval by bob: the signature is not valid"}},
		{"only coordinator-sealed keys where the policy wants others", Rules{Need: 1, Kinds: []Kind{KindStation, KindWebAuthn}}, func(p *btcpsbt.Packet, m Message) {
			put(p, ptr(Sign(m, "alice", testKey(aliceKey))))
		}, nil, []string{
			"approval by alice does not count: it was made with a coordinator-sealed key, and this wallet's policy counts only station or webauthn approvals here",
			"no approval counts; 1 needed: this wallet's policy needs 1 approvals made on an approver station (station) or with a security key or passkey (webauthn)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := testPacket(t, 0x11)
			m := testMessage(t, p)
			c.build(p, m)
			all := append(slices.Clone(enrolled), Enrolled{Name: "alice", Key: SealedKey(pub(aliceKey))})
			got, problems, err := CheckWith(p, "treasury", testFee, testNow, all, c.rules)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("counted %v, want %v (problems %q)", got, c.want, problems)
			}
			rest := strings.Join(problems, "\n")
			for _, want := range c.problems {
				i := strings.Index(rest, want)
				if i < 0 {
					t.Fatalf("problems %q; want, in order, %q", problems, c.problems)
				}
				rest = rest[i+len(want):]
			}
			if len(c.problems) == 0 && len(problems) != 0 {
				t.Errorf("problems %q, want none", problems)
			}
		})
	}
}

const time30m = 30 * 60 * 1e9

func ptr[T any](v T) *T { return &v }

// AttachWebAuthn refuses what Check would refuse, so a coordinator files
// only approvals the kiosk can count; the field round-trips.
func TestAttachWebAuthn(t *testing.T) {
	bob := newAuthenticator(t, 0x31)
	p := testPacket(t, 0x11)
	m := testMessage(t, p)
	wa := bob.approve("bob", m, webauthn.FlagUP)
	if err := AttachWebAuthn(p, wa, bob.key, "other.example"); !errors.Is(err, webauthn.ErrOrigin) && !errors.Is(err, webauthn.ErrRPID) {
		t.Errorf("AttachWebAuthn for another relying party: got %v, want ErrOrigin or ErrRPID", err)
	}
	bad := wa
	bad.Message.Fee++
	if err := AttachWebAuthn(p, bad, bob.key, testRPID); !errors.Is(err, webauthn.ErrChallenge) {
		t.Errorf("AttachWebAuthn of a changed message: got %v, want ErrChallenge", err)
	}
	if err := AttachWebAuthn(p, wa, bob.key, testRPID); err != nil {
		t.Fatal(err)
	}
	got, err := ExtractWebAuthn(p)
	if err != nil || len(got) != 1 {
		t.Fatalf("ExtractWebAuthn = %v, %v", got, err)
	}
	if got[0].KeyID != wa.KeyID || string(got[0].Message.Canonical()) != string(m.Canonical()) ||
		string(got[0].Assertion.Signature) != string(wa.Assertion.Signature) || got[0].Approver != "bob" {
		t.Errorf("ExtractWebAuthn = %+v, want %+v", got[0], wa)
	}
	if eds, err := Extract(p); err != nil || len(eds) != 0 {
		t.Errorf("Extract sees %d ed25519 approvals, %v; want none", len(eds), err)
	}
	Detach(p, wa.KeyID[:])
	if got, _ := ExtractWebAuthn(p); len(got) != 0 {
		t.Errorf("after Detach: %d approvals", len(got))
	}
}

func TestKeyText(t *testing.T) {
	bob := newAuthenticator(t, 0x31)
	for _, k := range []Key{
		StationKey(pub(bobKey)),
		SealedKey(pub(carolKey)),
		{Kind: KindWebAuthn, WebAuthn: bob.key, RPID: "localhost"},
	} {
		got, err := ParseKey(k.String(), "")
		if err != nil {
			t.Fatalf("ParseKey(%q): %v", k, err)
		}
		if got.String() != k.String() || string(got.ID()) != string(k.ID()) || got.Kind != k.Kind {
			t.Errorf("ParseKey(%q) = %q, want the same key", k, got)
		}
	}
	for _, c := range []struct {
		text string
		def  Kind
		want string
	}{
		{fmt.Sprintf("%x", pub(bobKey)), "", "does not say where it is kept"},
		{"station:ed25519:" + fmt.Sprintf("%x", pub(bobKey)), KindSealed, "says it is a station key, not coordinator-sealed"},
		{"usb:ed25519:00", "", `kind "usb"`},
		{"station:" + fmt.Sprintf("%x", pub(bobKey)), "", "station:ed25519:HEX"},
		{"station:ed25519:abcd", "", "2 bytes"},
		{"webauthn:Treasury.Example:AAAA", "", "lowercase"},
		{"webauthn:localhost:!!", "", "base64url"},
		{"webauthn:localhost:" + base64.RawURLEncoding.EncodeToString([]byte{0xa0}), "", ""},
	} {
		_, err := ParseKey(c.text, c.def)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseKey(%q, %q) = %v, want an error containing %q", c.text, c.def, err, c.want)
		}
	}
	if k, err := ParseKey(fmt.Sprintf("%x", pub(bobKey)), KindStation); err != nil || k.Kind != KindStation {
		t.Errorf("a bare key with kind station: %v, %v", k, err)
	}
}

func TestTransfer(t *testing.T) {
	p := testPacket(t, 0x11)
	a := Sign(testMessage(t, p), "bob", testKey(bobKey))
	text := MarshalTransfer(a)
	if !strings.HasPrefix(text, TransferPrefix) {
		t.Fatalf("MarshalTransfer = %q", text)
	}
	got, err := ParseTransfer(" " + text + "\n")
	if err != nil {
		t.Fatal(err)
	}
	q := testPacket(t, 0x11)
	if err := Attach(q, got); err != nil {
		t.Fatal(err)
	}
	put(p, &a)
	if len(p.Unknowns) != 1 || len(q.Unknowns) != 1 || string(p.Unknowns[0].Key) != string(q.Unknowns[0].Key) || string(p.Unknowns[0].Value) != string(q.Unknowns[0].Value) {
		t.Errorf("the transferred approval attaches as another field than the original")
	}
	// Damage anywhere is refused, never read as another approval; only the
	// name, which is not signed, may change (the coordinator files the
	// approval under the name of the key's owner).
	raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(text, TransferPrefix))
	for i := range raw {
		b := slices.Clone(raw)
		b[i] ^= 0x01
		got, err := ParseTransfer(TransferPrefix + base64.RawURLEncoding.EncodeToString(b))
		if err == nil && (got.Approver == a.Approver || string(got.Message.Canonical()) != string(a.Message.Canonical()) || !got.PublicKey.Equal(a.PublicKey)) {
			t.Fatalf("a transfer with byte %d changed was accepted as %+v", i, got)
		}
	}
	for _, bad := range []string{"", "AIRSIGN-APPROVAL-V1:", "cHNidP8B", TransferPrefix + "***", text + "AA", strings.Repeat("A", MaxTransferLen+1)} {
		if _, err := ParseTransfer(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseTransfer(%.40q) = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestRequestField(t *testing.T) {
	p := testPacket(t, 0x11)
	if id, err := RequestOf(p); err != nil || id != "" {
		t.Fatalf("RequestOf a PSBT without one = %q, %v", id, err)
	}
	if err := SetRequest(p, "wd-0123456789ab"); err != nil {
		t.Fatal(err)
	}
	if err := SetRequest(p, "wd-ba9876543210"); err != nil {
		t.Fatal(err)
	}
	if id, err := RequestOf(p); err != nil || id != "wd-ba9876543210" {
		t.Fatalf("RequestOf = %q, %v; want the last one set", id, err)
	}
	if len(p.Unknowns) != 1 {
		t.Errorf("%d global fields, want 1", len(p.Unknowns))
	}
	if err := SetRequest(p, "a\nb"); err == nil {
		t.Error("a request id with a newline was set")
	}
	// Approvals are untouched by it and it by them.
	a := Sign(testMessage(t, p), "bob", testKey(bobKey))
	if err := Attach(p, a); err != nil {
		t.Fatal(err)
	}
	if as, err := Extract(p); err != nil || len(as) != 1 {
		t.Errorf("Extract = %v, %v", as, err)
	}
}

func FuzzParseTransfer(f *testing.F) {
	p := testPacket(f, 0x11)
	f.Add(MarshalTransfer(Sign(testMessage(f, p), "bob", testKey(bobKey))))
	f.Add(TransferPrefix + "AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseTransfer(s)
		if err != nil {
			return
		}
		// What parses verifies and is written back the same way.
		if a.Verify() != nil {
			t.Fatal("ParseTransfer returned an approval that does not verify")
		}
		if again, err := ParseTransfer(MarshalTransfer(a)); err != nil || MarshalTransfer(again) != MarshalTransfer(a) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// An approval that expired before it was made is malformed, not signed.
func TestExpiryBefore1970(t *testing.T) {
	p := testPacket(t, 0x11)
	for _, exp := range []int64{0, -1, -62135596800} {
		if _, err := MessageFor(p, "treasury", "wd-1", testFee, unixUTC(exp)); !errors.Is(err, ErrMalformed) {
			t.Errorf("MessageFor expiring at %d: got %v, want ErrMalformed", exp, err)
		}
	}
	if _, err := MessageFor(p, "treasury", "wd-1", testFee, unixUTC(1)); err != nil {
		t.Errorf("MessageFor expiring at 1: %v", err)
	}
}

func TestStrip(t *testing.T) {
	p := testPacket(t, 0x11)
	m := testMessage(t, p)
	put(p, ptr(Sign(m, "bob", testKey(bobKey))))
	putWebAuthn(p, newAuthenticator(t, 0x31).approve("carol", m, webauthn.FlagUP))
	if err := SetRequest(p, "wd-1"); err != nil {
		t.Fatal(err)
	}
	// A checkpoint (subtype 2) and fields of others: another identifier,
	// and one that only starts like ours.
	other := []*btcpsbt.Unknown{
		{Key: append(fieldPrefix(0x02), 1, 2, 3), Value: []byte("checkpoint")},
		{Key: append([]byte{0xfc, 4}, "abcd"...), Value: []byte("other tool")},
		{Key: append([]byte{0xfc, 8}, "airsignX"...), Value: []byte("not ours")},
		{Key: []byte{0x05}, Value: []byte("unknown")},
	}
	p.Unknowns = append(p.Unknowns, other...)
	Strip(p)
	if len(p.Unknowns) != 3 {
		t.Fatalf("after Strip: %d fields, want the 3 that are not airsign's", len(p.Unknowns))
	}
	for i, u := range p.Unknowns {
		if string(u.Value) != string(other[i+1].Value) {
			t.Errorf("field %d kept is %q, want %q", i, u.Value, other[i+1].Value)
		}
	}
}
