package approval

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"

	"airsign/psbt"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
)

// approvalKey is the PSBT key of the approval by key k.
func approvalKey(k []byte) []byte {
	return append([]byte{0xfc, 7, 'a', 'i', 'r', 's', 'i', 'g', 'n', 0x01}, k...)
}

func TestValueGolden(t *testing.T) {
	a := Sign(goldenMessage(), "alice", testKey(1))
	p := testPacket(t, 0x11)
	if err := Attach(p, a); err != nil {
		t.Fatal(err)
	}
	u := p.Unknowns[0]
	if want := approvalKey(a.PublicKey); !bytes.Equal(u.Key, want) {
		t.Errorf("key: got %x, want %x", u.Key, want)
	}
	golden(t, "value.hex", u.Value)

	msg := goldenMessage().Canonical()
	want := []byte{1}
	want = binary.BigEndian.AppendUint32(want, uint32(len(msg)))
	want = append(want, msg...)
	want = append(want, 5, 'a', 'l', 'i', 'c', 'e')
	want = append(want, a.Signature...)
	if !bytes.Equal(u.Value, want) {
		t.Errorf("value:\ngot  %x\nwant %x", u.Value, want)
	}
}

// TestAttachExtractRoundTrip checks that approvals survive airsign's own
// PSBT encoder and decoder, in binary and base64, next to another tool's
// proprietary field and another airsign subtype.
func TestAttachExtractRoundTrip(t *testing.T) {
	p := testPacket(t, 0x11)
	other := &btcpsbt.Unknown{Key: []byte{0xfc, 3, 'x', 'y', 'z', 0x00}, Value: []byte("kept")}
	ours := &btcpsbt.Unknown{Key: []byte{0xfc, 7, 'a', 'i', 'r', 's', 'i', 'g', 'n', 0x02, 0xee}, Value: []byte("other airsign data")}
	p.Unknowns = append(p.Unknowns, other, ours)
	m := testMessage(t, p)
	var want []Approval
	for i, name := range []string{"carol", "alice", "bob"} {
		a := Sign(m, name, testKey(byte(i+1)))
		if err := Attach(p, a); err != nil {
			t.Fatalf("Attach(%s): %v", name, err)
		}
		want = append(want, a)
	}
	// Attach replaces the approval by the same key.
	carol := Sign(m, "carol", testKey(1))
	carol.Message.Request = "withdrawal-43"
	carol = Sign(carol.Message, "carol", testKey(1))
	if err := Attach(p, carol); err != nil {
		t.Fatal(err)
	}
	want[0] = carol

	bin, err := psbt.Encode(p)
	if err != nil {
		t.Fatalf("psbt.Encode: %v", err)
	}
	b64, err := psbt.EncodeBase64(p)
	if err != nil {
		t.Fatalf("psbt.EncodeBase64: %v", err)
	}
	for _, data := range [][]byte{bin, []byte(b64)} {
		q, err := psbt.Decode(data)
		if err != nil {
			t.Fatalf("psbt.Decode: %v", err)
		}
		got, err := Extract(q)
		if err != nil {
			t.Fatalf("Extract: %v", err)
		}
		if len(got) != len(want) {
			t.Fatalf("Extract: got %d approvals, want %d", len(got), len(want))
		}
		for _, w := range want {
			i := indexOfKey(got, w.PublicKey)
			if i < 0 {
				t.Errorf("Extract: the approval by %s is missing", w.Approver)
				continue
			}
			if !reflect.DeepEqual(got[i], w) {
				t.Errorf("Extract: got %+v, want %+v", got[i], w)
			}
			if err := got[i].Verify(); err != nil {
				t.Errorf("Verify after the round trip: %v", err)
			}
		}
		for _, u := range []*btcpsbt.Unknown{other, ours} {
			if !hasField(q, u) {
				t.Errorf("the field %x did not survive", u.Key)
			}
		}
		// Encode is canonical for what Decode returns, with approvals.
		again, err := psbt.Encode(q)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, bin) {
			t.Errorf("psbt.Encode(psbt.Decode(psbt.Encode(p))) differs from psbt.Encode(p)")
		}
	}
	approvers, problems, err := Check(mustDecode(t, bin), "treasury", testFee, testNow, []Enrolled{
		{Name: "alice", Key: SealedKey(testKey(2).Public().(ed25519.PublicKey))},
		{Name: "bob", Key: SealedKey(testKey(3).Public().(ed25519.PublicKey))},
	}, 2)
	if err != nil || !reflect.DeepEqual(approvers, []string{"alice", "bob"}) || len(problems) != 1 {
		t.Errorf("Check after the round trip: got %q, %q, %v; want [alice bob], carol's key not enrolled, nil", approvers, problems, err)
	}
}

func mustDecode(t *testing.T, b []byte) *btcpsbt.Packet {
	t.Helper()
	p, err := psbt.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func indexOfKey(as []Approval, k []byte) int {
	for i, a := range as {
		if bytes.Equal(a.PublicKey, k) {
			return i
		}
	}
	return -1
}

func hasField(p *btcpsbt.Packet, f *btcpsbt.Unknown) bool {
	for _, u := range p.Unknowns {
		if bytes.Equal(u.Key, f.Key) && bytes.Equal(u.Value, f.Value) {
			return true
		}
	}
	return false
}

func TestAttachRefuses(t *testing.T) {
	m := testMessage(t, testPacket(t, 0x11))
	forged := Sign(m, "alice", testKey(1))
	forged.Signature[0] ^= 1
	long := Sign(m, strings.Repeat("x", 65), testKey(1))
	for _, c := range []struct {
		name string
		p    *btcpsbt.Packet
		a    Approval
		err  error
	}{
		{"forged", testPacket(t, 0x11), forged, ErrSignature},
		{"long name", testPacket(t, 0x11), long, ErrMalformed},
		{"no transaction", &btcpsbt.Packet{}, Sign(m, "alice", testKey(1)), nil},
	} {
		err := Attach(c.p, c.a)
		if err == nil || (c.err != nil && !errors.Is(err, c.err)) {
			t.Errorf("%s: Attach: got %v, want an error wrapping %v", c.name, err, c.err)
		}
		if len(c.p.Unknowns) != 0 {
			t.Errorf("%s: Attach left %d fields after refusing", c.name, len(c.p.Unknowns))
		}
	}
}

func TestExtractRefuses(t *testing.T) {
	m := testMessage(t, testPacket(t, 0x11))
	a := Sign(m, "alice", testKey(1))
	good := a.marshalValue()
	key := approvalKey(a.PublicKey)
	msgLen := len(m.Canonical())
	edit := func(f func(v []byte) []byte) []byte { return f(bytes.Clone(good)) }

	cases := []struct {
		name  string
		key   []byte
		value []byte
		err   error
		want  string
	}{
		{"empty value", key, nil, ErrMalformed, "ends inside its format version"},
		{"value version 2", key, edit(func(v []byte) []byte { v[0] = 2; return v }), ErrUnsupportedVersion, "value format version 2"},
		{"message length beyond the value", key, edit(func(v []byte) []byte { v[1] = 0x7f; return v }), ErrMalformed, "more than 1048576"},
		{"message length one short", key, edit(func(v []byte) []byte { v[4]--; return v }), ErrMalformed, ""},
		{"truncated signature", key, good[:len(good)-1], ErrMalformed, "ends inside its signature (64 bytes needed, 63 left)"},
		{"trailing byte", key, append(bytes.Clone(good), 0), ErrMalformed, "1 bytes follow the signature"},
		{"empty name", key, edit(func(v []byte) []byte {
			return append(append(v[:5+msgLen:5+msgLen], 0), a.Signature...)
		}), ErrMalformed, "approver's name is empty"},
		{"name not UTF-8", key, edit(func(v []byte) []byte { v[5+msgLen+1] = 0xff; return v }), ErrMalformed, "not UTF-8"},
		{"message domain", key, edit(func(v []byte) []byte { v[5] = 'A'; return v }), ErrMalformed, "does not start with"},
		{"message version 2", key, edit(func(v []byte) []byte { v[5+23] = 2; return v }), ErrUnsupportedVersion, "message version 2"},
		{"too large", key, make([]byte, MaxValueBytes+1), ErrMalformed, "more than 1048576"},
		{"key of 31 bytes", key[:len(key)-1], good, ErrMalformed, "must be a 32-byte ed25519 public key, not 31 bytes"},
		{"key of 33 bytes", append(bytes.Clone(key), 0), good, ErrMalformed, "not 33 bytes"},
		{"identifier longer than the key", []byte{0xfc, 0x20, 'a'}, good, ErrMalformed, "identifier claims 32 bytes but only 1 follow"},
		{"no subtype", []byte{0xfc, 7, 'a', 'i', 'r', 's', 'i', 'g', 'n'}, good, ErrMalformed, "where the subtype should be"},
		{"identifier length not minimal", append([]byte{0xfc, 0xfd, 7, 0}, key[2:]...), good, ErrMalformed, "not minimally encoded"},
		{"subtype not minimal", append([]byte{0xfc, 7, 'a', 'i', 'r', 's', 'i', 'g', 'n', 0xfd, 1, 0}, a.PublicKey...), good, ErrMalformed, "the subtype (1) is not minimally encoded"},
	}
	for _, c := range cases {
		p := testPacket(t, 0x11)
		p.Unknowns = []*btcpsbt.Unknown{{Key: c.key, Value: c.value}}
		got, err := Extract(p)
		if err == nil || !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Extract: got %d approvals, %v; want an error wrapping %v containing %q", c.name, len(got), err, c.err, c.want)
		}
		if err != nil && !strings.Contains(err.Error(), "approval") {
			t.Errorf("%s: Extract's error %q does not say it is about an approval", c.name, err)
		}
	}

	// The same key twice, which psbt.Decode refuses but a packet built in
	// memory can hold.
	p := testPacket(t, 0x11)
	p.Unknowns = []*btcpsbt.Unknown{{Key: key, Value: good}, {Key: key, Value: good}}
	if _, err := Extract(p); err == nil || !strings.Contains(err.Error(), "a second approval by key") {
		t.Errorf("the same key twice: Extract: got %v, want an error naming a second approval", err)
	}
}

// TestDecodeRefusesMalformedKeys checks that a malformed proprietary key
// does not reach Extract through psbt.Decode either.
func TestDecodeRefusesMalformedKeys(t *testing.T) {
	p := testPacket(t, 0x11)
	if err := Attach(p, Sign(testMessage(t, p), "alice", testKey(1))); err != nil {
		t.Fatal(err)
	}
	bin, err := psbt.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	// Make the identifier claim more bytes than the key holds.
	i := bytes.Index(bin, []byte{0xfc, 7, 'a', 'i', 'r', 's', 'i', 'g', 'n'})
	bad := bytes.Clone(bin)
	bad[i+1] = 0x40
	if _, err := psbt.Decode(bad); err == nil {
		t.Errorf("psbt.Decode accepted a proprietary key whose identifier overruns it")
	}
}
