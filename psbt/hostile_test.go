package psbt

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// kv is one key-value record in wire form.
func kv(key, value []byte) []byte {
	var b bytes.Buffer
	_ = wire.WriteVarBytes(&b, 0, key)
	_ = wire.WriteVarBytes(&b, 0, value)
	return b.Bytes()
}

// build writes a PSBT from maps of records; each map gets its separator.
func build(maps ...[][]byte) []byte {
	b := append([]byte{}, magic...)
	for _, m := range maps {
		for _, r := range m {
			b = append(b, r...)
		}
		b = append(b, 0x00)
	}
	return b
}

// p2wpkh is a pay-to-witness-pubkey-hash script for a made-up key hash.
func p2wpkh(i int) []byte {
	h := sha256.Sum256([]byte(fmt.Sprint("key", i)))
	return append([]byte{0x00, 0x14}, h[:20]...)
}

// unsignedTx returns a transaction spending nIn made-up P2WPKH outputs to
// nOut P2WPKH outputs.
func unsignedTx(nIn, nOut int) *wire.MsgTx {
	tx := wire.NewMsgTx(2)
	for i := 0; i < nIn; i++ {
		h := chainhash.HashH([]byte(fmt.Sprint("prev", i)))
		tx.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&h, uint32(i%4)), nil, nil))
	}
	for i := 0; i < nOut; i++ {
		tx.AddTxOut(wire.NewTxOut(int64(10000+i), p2wpkh(1000+i)))
	}
	return tx
}

func txBytes(tx *wire.MsgTx) []byte {
	var b bytes.Buffer
	_ = tx.SerializeNoWitness(&b)
	return b.Bytes()
}

// p2wpkhPSBT is a version 0 PSBT spending nIn P2WPKH outputs, each with its
// witness UTXO, as a coordinator would send it.
func p2wpkhPSBT(tb testing.TB, nIn, nOut int) []byte {
	tb.Helper()
	p, err := btcpsbt.NewFromUnsignedTx(unsignedTx(nIn, nOut))
	if err != nil {
		tb.Fatal(err)
	}
	for i := range p.Inputs {
		p.Inputs[i].WitnessUtxo = wire.NewTxOut(int64(50000+i), p2wpkh(i))
		p.Inputs[i].SighashType = 1
	}
	b, err := Encode(p)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

func cat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

func TestHostileInputs(t *testing.T) {
	tx11 := txBytes(unsignedTx(1, 1))
	witnessUTXO := cat(le64(50000), []byte{0x16}, p2wpkh(0))
	global := [][]byte{kv([]byte{0x00}, tx11)}
	in := [][]byte{kv([]byte{0x01}, witnessUTXO)}
	valid := build(global, in, nil)
	if _, err := Decode(valid); err != nil {
		t.Fatalf("the base PSBT of these tests does not decode: %v", err)
	}
	prop := func(sub byte, data string) []byte {
		return cat([]byte{0xfc, 7}, []byte("airsign"), []byte{sub}, []byte(data))
	}
	// A transaction declaring 1001 inputs: the count alone must be refused.
	txManyIn := cat(le32(2), []byte{0xfd, 0xe9, 0x03})
	txManyOut := cat(le32(2), []byte{0x00, 0xfd, 0xe9, 0x03})
	huge := cat(magic, []byte{0x01, 0x00, 0xff}, le64(1<<60))

	tests := []struct {
		name     string
		data     []byte
		want     error
		contains string
	}{
		{"length prefix of 2^60 bytes", huge, ErrTruncated, "claims 1152921504606846976 bytes but only 0 remain"},
		{"key length of 2^60 bytes", cat(magic, []byte{0xff}, le64(1<<60)), ErrInvalidField, "a key of 1152921504606846976 bytes"},
		{"2 MiB input", bytes.Repeat([]byte{0x70}, 2<<20), ErrTooLarge, "the input is 2097152 bytes, more than airsign's limit of 1048576"},
		{"2 MiB of base64 text", []byte("cHNidP8" + strings.Repeat("A", 2<<20)), ErrTooLarge, "limit of 1048576"},
		{"1001 inputs in the unsigned transaction", build([][]byte{kv([]byte{0x00}, txManyIn)}), ErrTooLarge, "1001 inputs in the unsigned transaction, more than airsign's limit of 1000"},
		{"1001 outputs in the unsigned transaction", build([][]byte{kv([]byte{0x00}, txManyOut)}), ErrTooLarge, "1001 outputs in the unsigned transaction, more than airsign's limit of 1000"},
		{"1001 inputs in a version 2 PSBT", build([][]byte{kv([]byte{0x02}, le32(2)), kv([]byte{0x04}, []byte{0xfd, 0xe9, 0x03}), kv([]byte{0x05}, []byte{0x01}), kv([]byte{0xfb}, le32(2))}), ErrTooLarge, "PSBT_GLOBAL_INPUT_COUNT is 1001"},
		{"input count larger than the bytes can hold", build([][]byte{kv([]byte{0x00}, cat(le32(2), []byte{0xfd, 0xe8, 0x03}))}), ErrTruncated, "1000 inputs in the unsigned transaction claimed"},
		{"duplicate key in the global map", build(append(global, kv(prop(1, "k"), []byte("a")), kv(prop(1, "k"), []byte("b"))), in, nil), ErrDuplicateKey, "global map"},
		{"duplicate unsigned transaction", build(append(global, kv([]byte{0x00}, tx11)), in, nil), ErrDuplicateKey, "key 0x00 appears twice"},
		{"duplicate key in an input", build(global, append(in, kv(prop(1, "k"), []byte("a")), kv(prop(1, "k"), []byte("b"))), nil), ErrDuplicateKey, "input 0"},
		{"duplicate sighash 0 in an input", build(global, append(in, kv([]byte{0x03}, le32(0)), kv([]byte{0x03}, le32(1))), nil), ErrDuplicateKey, "input 0"},
		{"duplicate key in an output", build(global, in, [][]byte{kv([]byte{0x00}, []byte{0x51}), kv([]byte{0x00}, []byte{0x52})}), ErrDuplicateKey, "output 0"},
		{"trailing bytes", cat(valid, []byte{0x01, 0x02}), ErrTrailingData, "2 bytes follow the last output map"},
		{"an extra output map", cat(valid, []byte{0x00}), ErrTrailingData, "they form another map"},
		{"missing output map", valid[:len(valid)-1], ErrTruncated, "ends after 0 of its 1 output maps"},
		{"PSBT version 1", build(append(global, kv([]byte{0xfb}, le32(1))), in, nil), ErrUnsupportedVersion, "PSBT version 1"},
		{"PSBT version 3", build(append(global, kv([]byte{0xfb}, le32(3))), in, nil), ErrUnsupportedVersion, "airsign reads versions 0 (BIP174) and 2 (BIP370)"},
		{"bytes after the unsigned transaction in its field", build([][]byte{kv([]byte{0x00}, cat(tx11, []byte{0xaa}))}, in, nil), ErrTrailingData, "1 bytes follow the unsigned transaction"},
		{"witness UTXO with a wrong script length", build(global, [][]byte{kv([]byte{0x01}, cat(le64(5), []byte{0x10}, p2wpkh(0)))}, nil), ErrTrailingData, "follow the witness UTXO's script"},
		{"witness UTXO of a negative amount", build(global, [][]byte{kv([]byte{0x01}, cat(le64(1<<63), []byte{0x16}, p2wpkh(0)))}, nil), ErrInvalidField, "outside 0 to 21,000,000 BTC"},
		{"empty BIP32 derivation (btcd panics)", build(global, append(in, kv(cat([]byte{0x06}, pubKey(t)), nil)), nil), ErrInvalidField, "a BIP32 derivation must be a 4-byte fingerprint"},
		{"taproot derivation claiming 2^59 leaf hashes", build(global, append(in, kv(cat([]byte{0x16}, xOnly(t)), cat([]byte{0xff}, le64(1<<59), make([]byte, 8)))), nil), ErrTruncated, "576460752303423488 leaf hashes claimed"},
		{"non-minimal compact size", cat(magic, []byte{0xfd, 0x01, 0x00}), ErrInvalidField, "not minimally encoded"},
		{"malformed global xpub", build(append(global, kv(cat([]byte{0x01}, make([]byte, 77)), make([]byte, 4))), in, nil), ErrInvalidField, "78-byte BIP32 extended public key"},
		{"malformed proprietary key", build(append(global, kv([]byte{0xfc, 0x09, 'a'}, nil)), in, nil), ErrTruncated, "the proprietary identifier claims 9 bytes"},
		{"taproot tree that is not complete", build(global, in, [][]byte{kv([]byte{0x06}, []byte{1, 0xc0, 1, 0x51})}), ErrInvalidField, "do not form a complete tree"},
		{"taproot merkle root of 31 bytes", build(global, append(in, kv([]byte{0x18}, make([]byte, 31))), nil), ErrInvalidField, "PSBT_IN_TAP_MERKLE_ROOT: the value must be 32 bytes"},
		{"sha256 preimage that does not match", build(global, append(in, kv(cat([]byte{0x0b}, make([]byte, 32)), []byte("x"))), nil), ErrInvalidField, "does not hash to the key's hash"},
		{"version 2 field in version 0", build(append(global, kv([]byte{0x02}, le32(2))), in, nil), ErrInvalidField, "is a version 2 field"},
		{"hex with a bad digit", []byte("70736274ffzz"), ErrNotPSBT, "not valid hex"},
		{"empty input", []byte("  \n"), ErrNotPSBT, "empty"},
		{"no magic", []byte("hello"), ErrNotPSBT, "not a PSBT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.data)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Decode error = %v, want errors.Is %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("Decode error = %q, want it to contain %q", err, tc.contains)
			}
			if err.Error() != strings.ToLower(err.Error()[:1])+err.Error()[1:] {
				t.Errorf("error %q does not start in lower case", err)
			}
		})
	}
}

func TestNonWitnessUTXOMustMatch(t *testing.T) {
	prev := unsignedTx(1, 2)
	var pb bytes.Buffer
	_ = prev.Serialize(&pb)
	spend := wire.NewMsgTx(2)
	h := prev.TxHash()
	spend.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&h, 1), nil, nil))
	spend.AddTxOut(wire.NewTxOut(5000, p2wpkh(9)))
	ok := build([][]byte{kv([]byte{0x00}, txBytes(spend))}, [][]byte{kv([]byte{0x00}, pb.Bytes())}, nil)
	if _, err := Decode(ok); err != nil {
		t.Fatalf("Decode of a matching previous transaction: %v", err)
	}
	spend.TxIn[0].PreviousOutPoint.Index = 2
	_, err := Decode(build([][]byte{kv([]byte{0x00}, txBytes(spend))}, [][]byte{kv([]byte{0x00}, pb.Bytes())}, nil))
	if !errors.Is(err, ErrInvalidField) || !strings.Contains(err.Error(), "which has only 2 outputs") {
		t.Errorf("output index out of range: error = %v", err)
	}
	spend.TxIn[0].PreviousOutPoint.Hash[0] ^= 1
	_, err = Decode(build([][]byte{kv([]byte{0x00}, txBytes(spend))}, [][]byte{kv([]byte{0x00}, pb.Bytes())}, nil))
	if !errors.Is(err, ErrInvalidField) || !strings.Contains(err.Error(), "attached the wrong previous transaction") {
		t.Errorf("wrong previous transaction: error = %v", err)
	}
}

func TestWitnessUTXOLongScript(t *testing.T) {
	// btcd takes everything after byte 9 as the script, which is wrong
	// for scripts of 253 bytes or more (three-byte length).
	script := bytes.Repeat([]byte{0x51}, 300)
	var v bytes.Buffer
	_ = wire.WriteTxOut(&v, 0, 0, wire.NewTxOut(7, script))
	data := build([][]byte{kv([]byte{0x00}, txBytes(unsignedTx(1, 1)))}, [][]byte{kv([]byte{0x01}, v.Bytes())}, nil)
	p, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Inputs[0].WitnessUtxo; got.Value != 7 || !bytes.Equal(got.PkScript, script) {
		t.Errorf("witness UTXO = %d sat, %d-byte script; want 7 sat, 300-byte script", got.Value, len(got.PkScript))
	}
	roundTrip(t, data)
}

func TestProprietaryRoundTrip(t *testing.T) {
	approval := cat([]byte{0xfc, 7}, []byte("airsign"), []byte{0x01}, []byte("withdrawal-42"))
	other := cat([]byte{0xfc, 3}, []byte("xyz"), []byte{0x00})
	unknown := []byte{0xf0, 0x01, 0x02}
	data := build(
		[][]byte{kv([]byte{0x00}, txBytes(unsignedTx(1, 1))), kv(approval, []byte("alice,bob")), kv(unknown, []byte("g"))},
		[][]byte{kv([]byte{0x01}, cat(le64(50000), []byte{0x16}, p2wpkh(0))), kv(approval, []byte("input approval")), kv(other, nil)},
		[][]byte{kv(approval, []byte("output approval")), kv(unknown, []byte("o"))},
	)
	p, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(enc, data) {
		t.Errorf("Encode(Decode(x)) != x:\n got %x\nwant %x", enc, data)
	}
	q, err := Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		u    []*btcpsbt.Unknown
		key  []byte
		val  string
	}{
		{"global", q.Unknowns, approval, "alice,bob"},
		{"input", q.Inputs[0].Unknowns, approval, "input approval"},
		{"output", q.Outputs[0].Unknowns, approval, "output approval"},
	} {
		found := false
		for _, u := range c.u {
			found = found || (bytes.Equal(u.Key, c.key) && string(u.Value) == c.val)
		}
		if !found {
			t.Errorf("%s: the airsign proprietary field did not survive Decode→Encode→Decode", c.name)
		}
	}
	roundTrip(t, data)
}

func TestEncodeBase64(t *testing.T) {
	data := p2wpkhPSBT(t, 2, 2)
	p, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	s, err := EncodeBase64(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s, "cHNidP8") {
		t.Errorf("EncodeBase64 = %.20q…, want the base64 PSBT prefix", s)
	}
	q, err := Decode([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	if q.UnsignedTx.TxHash() != p.UnsignedTx.TxHash() {
		t.Error("base64 round trip changed the transaction")
	}
	if _, err := Encode(&btcpsbt.Packet{}); err == nil {
		t.Error("Encode of an empty packet succeeded")
	}
}

func TestV2MatchesV0(t *testing.T) {
	// A version 2 PSBT decodes to the packet of its version 0 twin.
	tx := unsignedTx(2, 1)
	tx.TxIn[1].Sequence = 0xfffffffd
	tx.LockTime = 800000
	witness := cat(le64(50000), []byte{0x16}, p2wpkh(0))
	v0 := build([][]byte{kv([]byte{0x00}, txBytes(tx))},
		[][]byte{kv([]byte{0x01}, witness)}, [][]byte{kv([]byte{0x01}, witness)}, nil)
	in := func(i int) [][]byte {
		r := [][]byte{kv([]byte{0x01}, witness), kv([]byte{0x0e}, tx.TxIn[i].PreviousOutPoint.Hash[:]), kv([]byte{0x0f}, le32(tx.TxIn[i].PreviousOutPoint.Index))}
		if i == 1 {
			r = append(r, kv([]byte{0x10}, le32(0xfffffffd)), kv([]byte{0x12}, le32(800000)))
		}
		return r
	}
	v2 := build([][]byte{kv([]byte{0x02}, le32(2)), kv([]byte{0x03}, le32(1)), kv([]byte{0x04}, []byte{2}), kv([]byte{0x05}, []byte{1}), kv([]byte{0xfb}, le32(2))},
		in(0), in(1), [][]byte{kv([]byte{0x03}, le64(uint64(tx.TxOut[0].Value))), kv([]byte{0x04}, tx.TxOut[0].PkScript)})
	p0, err := Decode(v0)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := Decode(v2)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := Encode(p0)
	b, _ := Encode(p2)
	if !bytes.Equal(a, b) {
		t.Errorf("version 2 decodes to\n%x\nwant the version 0 twin\n%x", b, a)
	}
}

func pubKey(t testing.TB) []byte {
	t.Helper()
	// The secp256k1 generator, compressed.
	return mustHex(t, "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
}

func xOnly(t testing.TB) []byte { return pubKey(t)[1:] }

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b := make([]byte, len(s)/2)
	for i := range b {
		var v byte
		if _, err := fmt.Sscanf(s[2*i:2*i+2], "%02x", &v); err != nil {
			t.Fatal(err)
		}
		b[i] = v
	}
	return b
}
