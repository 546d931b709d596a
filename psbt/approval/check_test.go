package approval

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
)

// Keys by seed: alice has two (1 and 2, say an old and a new device),
// frank's key is enrolled under two names, eve's is removed, mallory's is
// not enrolled.
const (
	aliceKey, alice2Key, bobKey, carolKey, daveKey, eveKey, frankKey, malloryKey = 1, 2, 3, 4, 5, 6, 7, 8
)

func pub(n byte) ed25519.PublicKey { return testKey(n).Public().(ed25519.PublicKey) }

func testEnrolled() []Enrolled {
	return []Enrolled{
		{Name: "alice", Key: SealedKey(pub(aliceKey))},
		{Name: "alice", Key: SealedKey(pub(alice2Key))},
		{Name: "bob", Key: SealedKey(pub(bobKey))},
		{Name: "carol", Key: SealedKey(pub(carolKey))},
		{Name: "dave", Key: SealedKey(pub(daveKey))},
		{Name: "eve", Key: SealedKey(pub(eveKey)), Removed: true},
		{Name: "frank", Key: SealedKey(pub(frankKey))},
		{Name: "frank (treasury)", Key: SealedKey(pub(frankKey))},
	}
}

func TestCheck(t *testing.T) {
	// approve signs the message for this PSBT (0.5 and 0.6 BTC, fee
	// 1000 sat, wallet treasury), changed by edit.
	approve := func(key byte, edit func(m *Message)) func(t *testing.T) Approval {
		return func(t *testing.T) Approval {
			m := testMessage(t, testPacket(t, 0x11))
			if edit != nil {
				edit(&m)
			}
			return Sign(m, "signed-as-"+string(rune('a'+key)), testKey(key))
		}
	}
	forge := func(key byte, edit func(a *Approval)) func(t *testing.T) Approval {
		return func(t *testing.T) Approval {
			a := approve(key, nil)(t)
			edit(&a)
			return a
		}
	}
	other := testMessage(t, testPacket(t, 0x22)).TxID // same outputs, another input

	cases := []struct {
		name      string
		approvals []func(t *testing.T) Approval
		now       time.Time
		need      int
		want      []string
		problems  []string // substrings, in order
	}{
		{"two of two", ap(approve(aliceKey, nil), approve(bobKey, nil)), testNow, 2,
			[]string{"alice", "bob"}, nil},
		{"three, two needed", ap(approve(carolKey, nil), approve(bobKey, nil), approve(daveKey, nil)), testNow, 2,
			[]string{"bob", "carol", "dave"}, nil},
		{"missing", nil, testNow, 2,
			nil, []string{"the PSBT carries no approvals; 2 needed"}},
		{"none needed", nil, testNow, 0, nil, nil},
		{"one short", ap(approve(aliceKey, nil)), testNow, 2,
			[]string{"alice"}, []string{"1 of 2 approvals needed (alice); 1 more needed"}},
		{"forged signature", ap(approve(aliceKey, nil), forge(bobKey, func(a *Approval) { a.Signature[0] ^= 1 })), testNow, 2,
			[]string{"alice"}, []string{"approval by bob: the signature is not valid: it was forged, or the approval changed after signing", "1 of 2"}},
		{"fee raised after signing", ap(forge(bobKey, func(a *Approval) { a.Message.Fee = 99_000 })), testNow, 1,
			nil, []string{"approval by bob: the signature is not valid", "no approval counts; 1 needed"}},
		{"another transaction", ap(approve(carolKey, func(m *Message) { m.TxID = other })), testNow, 1,
			nil, []string{"approval by carol signs transaction " + other.String()[:16] + "…, not this one", "no approval counts"}},
		{"changed output value", ap(approve(carolKey, func(m *Message) { m.Outputs[1].Value = 50_000_000 })), testNow, 1,
			nil, []string{"approval by carol does not match: outputs differ: output 1 pays 0.5 BTC in the approval, 0.6 BTC in the PSBT", "no approval counts"}},
		{"changed output script", ap(approve(carolKey, func(m *Message) { m.Outputs[0].Script = p2wpkh(0xee) })), testNow, 1,
			nil, []string{fmt.Sprintf("output 0 pays script %x in the approval, %x in the PSBT", p2wpkh(0xee), p2wpkh(0xa0)), "no approval counts"}},
		{"an output more", ap(approve(carolKey, func(m *Message) { m.Outputs = append(m.Outputs, Output{Script: p2wpkh(1), Value: 1}) })), testNow, 1,
			nil, []string{"outputs differ: the approval lists 3 outputs, the PSBT has 2", "no approval counts"}},
		{"changed fee", ap(approve(bobKey, func(m *Message) { m.Fee = 2000 })), testNow, 1,
			nil, []string{"approval by bob does not match: the fee is 0.00002 BTC in the approval, 0.00001 BTC in the PSBT", "no approval counts"}},
		{"wrong wallet", ap(approve(bobKey, func(m *Message) { m.Wallet = "savings" })), testNow, 1,
			nil, []string{`approval by bob is for wallet "savings", not "treasury"`, "no approval counts"}},
		{"one second before expiry", ap(approve(daveKey, nil)), testExpires.Add(-time.Second), 1,
			[]string{"dave"}, nil},
		{"exactly at expiry", ap(approve(daveKey, nil)), testExpires, 1,
			nil, []string{"approval by dave has expired at 2026-03-14 10:26:53 UTC (it is now 2026-03-14 10:26:53 UTC)", "no approval counts"}},
		{"one second after expiry", ap(approve(daveKey, nil)), testExpires.Add(time.Second), 1,
			nil, []string{"approval by dave has expired at 2026-03-14 10:26:53 UTC (it is now 2026-03-14 10:26:54 UTC)", "no approval counts"}},
		{"unenrolled key", ap(approve(malloryKey, nil), approve(aliceKey, nil)), testNow, 1,
			[]string{"alice"}, []string{"approval by key " + shortKey(pub(malloryKey)) + ` (signed as "signed-as-i"): key not enrolled`}},
		{"removed key", ap(approve(eveKey, nil)), testNow, 1,
			nil, []string{"approval by eve: key " + shortKey(pub(eveKey)) + " removed on this kiosk", "no approval counts"}},
		{"same approver twice", ap(approve(aliceKey, nil), approve(alice2Key, nil)), testNow, 2,
			[]string{"alice"}, []string{"approval by alice counted once: the same approver twice", "1 of 2"}},
		{"two names with the same key", ap(approve(frankKey, nil)), testNow, 2,
			[]string{"frank"}, []string{"approval by frank counted once: its key " + shortKey(pub(frankKey)) + ` is enrolled as frank and as frank (treasury)`, "1 of 2"}},
		{"every refusal at once", ap(
			approve(aliceKey, nil), approve(alice2Key, nil), forge(bobKey, func(a *Approval) { a.Signature[63] ^= 0x80 }),
			approve(carolKey, func(m *Message) { m.TxID = other }), approve(eveKey, nil), approve(malloryKey, nil),
		), testNow, 2, []string{"alice"}, []string{"", "", "", "", "", "1 of 2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := testPacket(t, 0x11)
			for _, f := range c.approvals {
				a := f(t)
				put(p, &a)
			}
			got, problems, err := Check(p, "treasury", testFee, c.now, testEnrolled(), c.need)
			if err != nil {
				t.Fatalf("Check: got error %v, want nil", err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("approvers: got %q, want %q", got, c.want)
			}
			if len(problems) != len(c.problems) {
				t.Fatalf("problems: got %d %q, want %d like %q", len(problems), problems, len(c.problems), c.problems)
			}
			for i := range problems {
				if !strings.Contains(problems[i], c.problems[i]) {
					t.Errorf("problem %d: got %q, want it to contain %q", i, problems[i], c.problems[i])
				}
			}
		})
	}
}

func ap(fs ...func(t *testing.T) Approval) []func(t *testing.T) Approval { return fs }

func TestCheckErrors(t *testing.T) {
	good := func() *btcpsbt.Packet {
		p := testPacket(t, 0x11)
		if err := Attach(p, Sign(testMessage(t, p), "alice", testKey(aliceKey))); err != nil {
			t.Fatal(err)
		}
		return p
	}
	malformed := good()
	malformed.Unknowns[0].Value = malformed.Unknowns[0].Value[:40]
	cases := []struct {
		name     string
		p        *btcpsbt.Packet
		enrolled []Enrolled
		need     int
		err      error
		want     string
	}{
		{"malformed approval", malformed, testEnrolled(), 1, ErrMalformed, "approval by key " + shortKey(pub(aliceKey))},
		{"negative need", good(), testEnrolled(), -1, nil, "must not be negative"},
		{"enrolled key of 31 bytes", good(), []Enrolled{{Name: "zed", Key: SealedKey(make([]byte, 31))}}, 1, nil, `enrolled approver 0 ("zed"): a coordinator-sealed key is a 32-byte ed25519 public key, not 31 bytes`},
		{"enrolled without a name", good(), []Enrolled{{Key: SealedKey(pub(1))}}, 1, nil, "has no name"},
		{"no transaction", &btcpsbt.Packet{}, testEnrolled(), 1, nil, "no unsigned transaction"},
	}
	for _, c := range cases {
		got, problems, err := Check(c.p, "treasury", testFee, testNow, c.enrolled, c.need)
		if err == nil || (c.err != nil && !errors.Is(err, c.err)) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Check: got %q, %q, %v; want an error containing %q", c.name, got, problems, err, c.want)
		}
	}
}
