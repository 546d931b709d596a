package approval

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/wire"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with the hex in testdata/name, or rewrites it with
// -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(hex.EncodeToString(got)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	want, err := hex.DecodeString(strings.TrimSpace(string(text)))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s:\ngot  %x\nwant %x\n(run with -update if the format changed on purpose, and document it)", name, got, want)
	}
}

// goldenMessage is fixed by hand, not derived from a PSBT, so that the
// golden bytes can be followed field by field against doc.go.
func goldenMessage() Message {
	m := Message{
		Version: 1,
		Wallet:  "treasury",
		Request: "W-7",
		Outputs: []Output{
			{Script: []byte{0x00, 0x14, 0xaa, 0xbb}, Value: 50_000_000},
			{Script: []byte{0x51}, Value: 1},
		},
		Fee:     1234,
		Expires: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
	for i := range m.TxID {
		m.TxID[i] = byte(i) // displayed as 1f1e1d…00
	}
	return m
}

func TestCanonicalGolden(t *testing.T) {
	m := goldenMessage()
	got := m.Canonical()
	golden(t, "canonical.hex", got)

	// The layout of doc.go, spelled out.
	want := []byte("airsign approval v1\n")
	want = append(want, 0, 0, 0, 1)
	want = append(want, 0, 0, 0, 8)
	want = append(want, "treasury"...)
	want = append(want, 0, 0, 0, 3)
	want = append(want, "W-7"...)
	for i := 31; i >= 0; i-- {
		want = append(want, byte(i))
	}
	want = append(want, 0, 0, 0, 2)
	want = append(want, 0, 0, 0, 0, 0x02, 0xfa, 0xf0, 0x80, 0, 0, 0, 4, 0x00, 0x14, 0xaa, 0xbb)
	want = append(want, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0x51)
	want = append(want, 0, 0, 0, 0, 0, 0, 0x04, 0xd2)
	want = append(want, 0, 0, 0, 0, 0x69, 0x57, 0x35, 0xa5) // 1767323045
	if !bytes.Equal(got, want) {
		t.Errorf("Canonical:\ngot  %x\nwant %x", got, want)
	}
	if m.Expires.Unix() != 1767323045 {
		t.Fatalf("the test's expiry is %d, not 1767323045", m.Expires.Unix())
	}
	back, err := parseMessage(got)
	if err != nil {
		t.Fatalf("parseMessage(Canonical()): %v", err)
	}
	if !bytes.Equal(back.Canonical(), got) {
		t.Errorf("parseMessage(Canonical()).Canonical() differs:\ngot  %x\nwant %x", back.Canonical(), got)
	}
	if back.TxID != m.TxID || back.Wallet != m.Wallet || !back.Expires.Equal(m.Expires) {
		t.Errorf("parseMessage(Canonical()) = %+v, want %+v", back, m)
	}
}

// TestCanonicalUnambiguous checks that messages differing in any field,
// including by moving bytes between fields, encode differently.
func TestCanonicalUnambiguous(t *testing.T) {
	base := goldenMessage()
	changes := []struct {
		name string
		f    func(*Message)
	}{
		{"version", func(m *Message) { m.Version = 2 }},
		{"wallet", func(m *Message) { m.Wallet = "treasurz" }},
		{"byte moved from wallet to request", func(m *Message) { m.Wallet, m.Request = "treasur", "yW-7" }},
		{"request", func(m *Message) { m.Request = "W-8" }},
		{"txid", func(m *Message) { m.TxID[0] ^= 1 }},
		{"output value", func(m *Message) { m.Outputs[1].Value = 2 }},
		{"output script", func(m *Message) { m.Outputs[1].Script = []byte{0x52} }},
		{"output order", func(m *Message) { m.Outputs[0], m.Outputs[1] = m.Outputs[1], m.Outputs[0] }},
		{"output dropped", func(m *Message) { m.Outputs = m.Outputs[:1] }},
		{"byte moved between scripts", func(m *Message) {
			m.Outputs[0].Script, m.Outputs[1].Script = []byte{0x00, 0x14, 0xaa}, []byte{0xbb, 0x51}
		}},
		{"fee", func(m *Message) { m.Fee++ }},
		{"expiry", func(m *Message) { m.Expires = m.Expires.Add(time.Second) }},
	}
	for _, c := range changes {
		m := goldenMessage()
		c.f(&m)
		if bytes.Equal(m.Canonical(), base.Canonical()) {
			t.Errorf("%s: Canonical did not change", c.name)
		}
	}
	// The time zone and sub-second part are not part of the message.
	m := goldenMessage()
	m.Expires = m.Expires.In(time.FixedZone("X", 3600)).Add(999 * time.Millisecond)
	if !bytes.Equal(m.Canonical(), base.Canonical()) {
		t.Errorf("Canonical depends on the expiry's zone or fraction of a second")
	}
}

func TestParseMessageRefuses(t *testing.T) {
	good := goldenMessage().Canonical()
	mod := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	cases := []struct {
		name string
		b    []byte
		want string
		err  error
	}{
		{"empty", nil, "ends inside its domain separator", ErrMalformed},
		{"other domain", mod(func(b []byte) []byte { b[0] = 'A'; return b }), "does not start with", ErrMalformed},
		{"version 2", mod(func(b []byte) []byte { b[23] = 2; return b }), "message version 2", ErrUnsupportedVersion},
		{"wallet longer than the message", mod(func(b []byte) []byte { b[27] = 200; return b }), "ends inside its wallet name", ErrMalformed},
		{"wallet over the limit", mod(func(b []byte) []byte { b[26] = 0x10; return b }), "wallet name is 4104 bytes, more than 256", ErrMalformed},
		{"truncated", good[:len(good)-1], "ends inside its expiry", ErrMalformed},
		{"trailing byte", append(bytes.Clone(good), 0), "1 bytes follow the message's expiry", ErrMalformed},
	}
	for _, c := range cases {
		_, err := parseMessage(c.b)
		if err == nil || !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: parseMessage: got %v, want an error wrapping %v containing %q", c.name, err, c.err, c.want)
		}
	}
}

func TestMessageFor(t *testing.T) {
	p := testPacket(t, 0x11)
	m, err := MessageFor(p, "treasury", "withdrawal-42", testFee, testExpires.Add(500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.TxID, p.UnsignedTx.TxHash(); got != want {
		t.Errorf("TxID: got %v, want %v", got, want)
	}
	if got, want := len(m.Outputs), 2; got != want {
		t.Fatalf("outputs: got %d, want %d", got, want)
	}
	for i, o := range m.Outputs {
		if !bytes.Equal(o.Script, p.UnsignedTx.TxOut[i].PkScript) || o.Value != p.UnsignedTx.TxOut[i].Value {
			t.Errorf("output %d: got %x %d, want %x %d", i, o.Script, o.Value, p.UnsignedTx.TxOut[i].PkScript, p.UnsignedTx.TxOut[i].Value)
		}
	}
	if m.Version != 1 || m.Fee != 1000 || !m.Expires.Equal(testExpires) || m.Expires.Location() != time.UTC {
		t.Errorf("got version %d, fee %d, expiry %v; want 1, 1000, %v", m.Version, m.Fee, m.Expires, testExpires)
	}
	// The message does not share the PSBT's scripts.
	p.UnsignedTx.TxOut[0].PkScript[2] ^= 0xff
	if bytes.Equal(m.Outputs[0].Script, p.UnsignedTx.TxOut[0].PkScript) {
		t.Errorf("the message's script changed with the PSBT's")
	}

	for _, c := range []struct {
		name, wallet, request string
		fee                   btcutil.Amount
		want                  string
	}{
		{"no wallet", "", "r", 1, "the wallet name is empty"},
		{"no request", "w", "", 1, "the request id is empty"},
		{"control character", "tre\u202easury", "r", 1, "format character U+202E"},
		{"negative fee", "w", "r", -1, "a fee of -1 satoshis"},
	} {
		_, err := MessageFor(testPacket(t, 0x11), c.wallet, c.request, c.fee, testExpires)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: MessageFor: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

func TestFeeOf(t *testing.T) {
	cases := []struct {
		name string
		edit func(t *testing.T, p *btcpsbt.Packet)
		want btcutil.Amount
		err  string
	}{
		{"witness UTXO", func(*testing.T, *btcpsbt.Packet) {}, testFee, ""},
		{"non-witness UTXO", func(t *testing.T, p *btcpsbt.Packet) {
			prev := wire.NewMsgTx(2)
			prev.AddTxOut(wire.NewTxOut(110_002_000, p2wpkh(1)))
			p.UnsignedTx.TxIn[0].PreviousOutPoint.Hash = prev.TxHash()
			p.Inputs[0].WitnessUtxo = nil
			p.Inputs[0].NonWitnessUtxo = prev
		}, 2000, ""},
		{"no UTXO", func(t *testing.T, p *btcpsbt.Packet) { p.Inputs[0].WitnessUtxo = nil }, 0, "input 0 carries neither"},
		{"UTXOs disagree", func(t *testing.T, p *btcpsbt.Packet) {
			prev := wire.NewMsgTx(2)
			prev.AddTxOut(wire.NewTxOut(5, p2wpkh(1)))
			p.Inputs[0].NonWitnessUtxo = prev
		}, 0, "contradicts itself"},
		{"outputs exceed inputs", func(t *testing.T, p *btcpsbt.Packet) { p.Inputs[0].WitnessUtxo.Value = 1 }, 0, "the outputs pay 1.1 BTC but the inputs spend only 0.00000001 BTC"},
	}
	for _, c := range cases {
		p := testPacket(t, 0x11)
		c.edit(t, p)
		got, err := FeeOf(p)
		switch {
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("%s: FeeOf: got %v, %v; want %v", c.name, got, err, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: FeeOf: got %v, %v; want an error containing %q", c.name, got, err, c.err)
		}
	}
}
