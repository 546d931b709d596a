package psbt

import (
	"bytes"
	"testing"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
)

// TestBtcdGaps records what btcd's parser (v1.1.8) accepts or cannot
// survive on its own, and checks that Decode refuses each. If a btcd
// upgrade starts refusing one, the test says so and the entry can go.
func TestBtcdGaps(t *testing.T) {
	tx11 := txBytes(unsignedTx(1, 1))
	global := [][]byte{kv([]byte{0x00}, tx11)}
	in := [][]byte{kv([]byte{0x01}, cat(le64(50000), []byte{0x16}, p2wpkh(0)))}
	prop := cat([]byte{0xfc, 7}, []byte("airsign"), []byte{0x01})
	gaps := []struct {
		name string
		data []byte
	}{
		{"duplicate proprietary key in the global map", build(append(global, kv(prop, []byte("a")), kv(prop, []byte("b"))), in, nil)},
		{"second unsigned transaction (kept as an unknown)", build(append(global, kv([]byte{0x00}, tx11)), in, nil)},
		{"unsigned-transaction key with key data after the first record", build(append(global, kv([]byte{0x00, 0x01}, tx11)), in, nil)},
		{"duplicate unknown key with different values in an input", build(global, append(in, kv(prop, []byte("a")), kv(prop, []byte("b"))), nil)},
		{"duplicate unknown key with different values in an output", build(global, in, [][]byte{kv(prop, []byte("a")), kv(prop, []byte("b"))})},
		{"sighash 0 followed by another sighash", build(global, append(in, kv([]byte{0x03}, le32(0)), kv([]byte{0x03}, le32(1))), nil)},
		{"trailing bytes after the last output map", cat(build(global, in, nil), []byte{0xde, 0xad})},
		{"an extra map after the last output map", cat(build(global, in, nil), []byte{0x00})},
		{"bytes after the unsigned transaction inside its value", build([][]byte{kv([]byte{0x00}, cat(tx11, []byte{0xaa}))}, in, nil)},
		{"witness UTXO whose script length disagrees with its value", build(global, [][]byte{kv([]byte{0x01}, cat(le64(5), []byte{0x10}, p2wpkh(0)))}, nil)},
		{"PSBT version 7", build(append(global, kv([]byte{0xfb}, le32(7))), in, nil)},
		{"version 2 field in a version 0 PSBT", build(append(global, kv([]byte{0x04}, []byte{1})), in, nil)},
		{"global xpub of the wrong length", build(append(global, kv(cat([]byte{0x01}, make([]byte, 10)), make([]byte, 4))), in, nil)},
		{"malformed proprietary key", build(append(global, kv([]byte{0xfc, 0x09}, nil)), in, nil)},
		{"taproot merkle root of 3 bytes", build(global, append(in, kv([]byte{0x18}, []byte{1, 2, 3})), nil)},
		{"taproot tree that is not a tree", build(global, in, [][]byte{kv([]byte{0x06}, []byte{5, 0xc0, 0})})},
		{"empty BIP32 derivation value (panics)", build(global, append(in, kv(cat([]byte{0x06}, pubKey(t)), nil)), nil)},
		{"taproot derivation claiming 2^59 leaf hashes (panics)", build(global, append(in, kv(cat([]byte{0x16}, xOnly(t)), cat([]byte{0xff}, le64(1<<59), make([]byte, 8)))), nil)},
	}
	for _, g := range gaps {
		t.Run(g.name, func(t *testing.T) {
			verdict := btcdVerdict(g.data)
			if verdict == "refused" {
				t.Errorf("btcd now refuses this itself; the entry can go")
			}
			t.Logf("btcd alone: %s", verdict)
			if _, err := Decode(g.data); err == nil {
				t.Errorf("Decode accepted it")
			} else {
				t.Logf("Decode: %v", err)
			}
		})
	}
}

func btcdVerdict(data []byte) (verdict string) {
	defer func() {
		if r := recover(); r != nil {
			verdict = "panicked"
		}
	}()
	if _, err := btcpsbt.NewFromRawBytes(bytes.NewReader(data), false); err != nil {
		return "refused"
	}
	return "accepted"
}
