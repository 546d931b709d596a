package reserves

import (
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

func sample() Snapshot {
	coins := map[wire.OutPoint]*wire.TxOut{
		{Hash: chainhash.Hash{2}, Index: 1}: wire.NewTxOut(30_000, []byte{0x00, 0x14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}),
		{Hash: chainhash.Hash{1}, Index: 0}: wire.NewTxOut(70_000, []byte{0x51, 0x20, 9}),
	}
	return New("regtest", "vault", 101, chainhash.Hash{0xaa}, coins)
}

func TestRoundTrip(t *testing.T) {
	s := sample()
	raw, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got.Height != 101 || got.BlockHash != (chainhash.Hash{0xaa}) || len(got.Coins) != 2 {
		t.Fatalf("parsed %+v", got)
	}
	if out := got.Coins[wire.OutPoint{Hash: chainhash.Hash{1}}]; out == nil || out.Value != 70_000 {
		t.Fatalf("coin 1: %v", out)
	}
	// the same coins make the same file, whatever the map's order
	again, _ := sample().Marshal()
	if string(again) != string(raw) {
		t.Fatal("two snapshots of the same coins differ")
	}
}

func TestParseRefuses(t *testing.T) {
	good, _ := sample().Marshal()
	for _, c := range []struct{ name, from, to, want string }{
		{"another version", `"version": 1`, `"version": 2`, "version 2"},
		{"another format", Format, "utxos", `"utxos"`},
		{"short block hash", `"block_hash": "`, `"block_hash": "0`, "64 hex"},
		{"bad outpoint", `:1"`, `:x"`, "txid:vout"},
		{"negative amount", `"amount_sat": 30000`, `"amount_sat": -1`, "out of range"},
		{"unknown field", `"height"`, `"heigth": 1, "height"`, "unknown field"},
		{"empty script", `"script": "512009"`, `"script": ""`, "hex"},
		{"odd hex", `"script": "512009"`, `"script": "51200"`, "hex"},
	} {
		data := strings.Replace(string(good), c.from, c.to, 1)
		if data == string(good) {
			t.Fatalf("%s: the edit %q did not apply", c.name, c.from)
		}
		_, err := Parse([]byte(data))
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want ErrMalformed mentioning %q", c.name, err, c.want)
		}
	}
	s := sample()
	s.Coins = append(s.Coins, s.Coins[0])
	raw, _ := s.Marshal()
	if _, err := Parse(raw); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("a coin listed twice: %v", err)
	}
}

// Whatever Parse accepts is within the limits and writes back to a file
// that parses to the same coins.
func FuzzParse(f *testing.F) {
	good, _ := sample().Marshal()
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error not ErrMalformed: %v", err)
			}
			return
		}
		if len(s.Coins) > MaxCoins {
			t.Fatalf("%d coins accepted", len(s.Coins))
		}
		raw, err := New("", "", s.Height, s.BlockHash, s.Coins).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(raw)
		if err != nil || len(back.Coins) != len(s.Coins) || back.BlockHash != s.BlockHash {
			t.Fatalf("written back: %v", err)
		}
		for op, out := range s.Coins {
			if b := back.Coins[op]; b == nil || b.Value != out.Value || string(b.PkScript) != string(out.PkScript) {
				t.Fatalf("coin %v changed", op)
			}
		}
	})
}
