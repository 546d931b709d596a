package psbt

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"slices"
	"testing"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/psbt/descriptor"
)

// records lists a binary PSBT's maps as sorted "key=value" strings, read
// by a parser of its own (not the package's scanner): what a PSBT says,
// whatever the order of its records.
func records(t testing.TB, b []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(b, magic) {
		t.Fatalf("no PSBT magic: %x", b[:min(len(b), 8)])
	}
	r := bytes.NewReader(b[len(magic):])
	var maps [][]string
	for r.Len() > 0 {
		var m []string
		for {
			key, err := wire.ReadVarBytes(r, 0, MaxPSBTBytes, "key")
			if err != nil {
				t.Fatalf("map %d: %v", len(maps), err)
			}
			if len(key) == 0 {
				break
			}
			value, err := wire.ReadVarBytes(r, 0, MaxPSBTBytes, "value")
			if err != nil {
				t.Fatalf("map %d: %v", len(maps), err)
			}
			m = append(m, fmt.Sprintf("%x=%x", key, value))
		}
		slices.Sort(m)
		maps = append(maps, m)
	}
	return maps
}

// recordValue returns the value of the record of key in map m, and whether there
// is one.
func recordValue(maps [][]string, m int, key string) (string, bool) {
	for _, rec := range maps[m] {
		if k, v, _ := bytesCut(rec, "="); k == key {
			return v, true
		}
	}
	return "", false
}

func bytesCut(s, sep string) (string, string, bool) {
	before, after, ok := bytes.Cut([]byte(s), []byte(sep))
	return string(before), string(after), ok
}

// Every valid BIP370 vector, decoded and written again as version 2, says
// exactly what it said: the same records in every map.
func TestEncodeFormRoundTripsBIP370(t *testing.T) {
	for _, v := range loadVectors(t, "bip370-vectors.json").Valid {
		t.Run(v.Description, func(t *testing.T) {
			raw, err := base64.StdEncoding.DecodeString(v.Base64)
			if err != nil {
				t.Fatal(err)
			}
			p, f, err := DecodeForm(raw)
			if err != nil {
				t.Fatal(err)
			}
			if f.Version != 2 {
				t.Fatalf("form version %d, want 2", f.Version)
			}
			out, err := EncodeForm(p, f)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := records(t, out), records(t, raw); !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("written again:\n got %q\nwant %q", got, want)
			}
		})
	}
}

// Version 0 to 2 and back: every valid BIP174 and BIP371 vector converted
// to version 2 reads back as the same packet.
func TestEncodeFormV0ToV2(t *testing.T) {
	for _, name := range []string{"bip174-vectors.json", "bip371-vectors.json"} {
		for _, v := range loadVectors(t, name).Valid {
			t.Run(name+"/"+v.Description, func(t *testing.T) {
				p, f, err := DecodeForm([]byte(v.Base64))
				if err != nil {
					t.Fatal(err)
				}
				if f.Version != 0 {
					t.Fatalf("form version %d, want 0", f.Version)
				}
				want, err := Encode(p)
				if err != nil {
					t.Fatal(err)
				}
				v2, err := EncodeForm(p, Form{Version: 2})
				if err != nil {
					t.Fatal(err)
				}
				maps := records(t, v2)
				if got, _ := recordValue(maps, 0, "fb"); got != "02000000" {
					t.Errorf("PSBT_GLOBAL_VERSION %q, want 02000000", got)
				}
				if _, ok := recordValue(maps, 0, "00"); ok {
					t.Error("a version 2 PSBT with PSBT_GLOBAL_UNSIGNED_TX")
				}
				q, g, err := DecodeForm(v2)
				if err != nil {
					t.Fatal(err)
				}
				if g.Version != 2 {
					t.Errorf("read back as version %d", g.Version)
				}
				if got, err := Encode(q); err != nil || !bytes.Equal(got, want) {
					t.Errorf("read back as another packet (%v):\n got %x\nwant %x", err, got, want)
				}
			})
		}
	}
}

// v2Writer writes a version 2 PSBT from a packet's parts by hand, as another
// implementation would, without the package's encoder: the transaction's
// fields in the maps, modifiable inputs and outputs, and a required height
// lock time on input 0.
func v2Writer(t *testing.T, p *btcpsbt.Packet) []byte {
	t.Helper()
	// The version 0 serialization gives each map's non-transaction
	// records; the transaction's go in as version 2 fields.
	var v0 bytes.Buffer
	if err := p.Serialize(&v0); err != nil {
		t.Fatal(err)
	}
	maps := records(t, v0.Bytes())
	le32 := func(v uint32) string { return fmt.Sprintf("%x", binary.LittleEndian.AppendUint32(nil, v)) }
	tx := p.UnsignedTx
	global := []string{"02=" + le32(uint32(tx.Version)), fmt.Sprintf("04=%02x", len(tx.TxIn)), fmt.Sprintf("05=%02x", len(tx.TxOut)), "06=03", "fb=02000000"}
	for _, rec := range maps[0] {
		if rec[:3] != "00=" {
			global = append(global, rec)
		}
	}
	out := [][]string{global}
	for i, in := range tx.TxIn {
		m := []string{fmt.Sprintf("0e=%x", in.PreviousOutPoint.Hash[:]), "0f=" + le32(in.PreviousOutPoint.Index), "10=" + le32(in.Sequence)}
		if i == 0 {
			m = append(m, "12="+le32(tx.LockTime))
		}
		out = append(out, append(m, maps[1+i]...))
	}
	for o, txOut := range tx.TxOut {
		m := []string{fmt.Sprintf("03=%x", binary.LittleEndian.AppendUint64(nil, uint64(txOut.Value))), fmt.Sprintf("04=%x", txOut.PkScript)}
		out = append(out, append(m, maps[1+len(tx.TxIn)+o]...))
	}
	var b bytes.Buffer
	b.Write(magic)
	for _, m := range out {
		for _, rec := range m {
			k, v, _ := bytesCut(rec, "=")
			writePair(&b, unhex(t, k), unhex(t, v))
		}
		b.WriteByte(0)
	}
	return b.Bytes()
}

// A version 2 PSBT written by another implementation is signed and answered
// in version 2: the transaction's fields and the required lock time kept,
// the modifiable flags cleared for the ALL signatures (BIP370's signer
// rule), and the signature valid in btcd's script engine.
func TestSignV2AnswersV2(t *testing.T) {
	m, d := testWallet(t, descriptor.P2TR, descriptor.Regtest)
	defer m.Wipe()
	p := buildPSBT(t, d, []spend{{branch: 0, index: 0, amount: 60_000}}, []pay{{amount: 50_000, script: foreignScript(t, 9)}, {amount: 9_000, branch: 1, index: 0}})
	p.UnsignedTx.LockTime = 150
	in := v2Writer(t, p)

	q, f, err := DecodeForm(in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Sign(q, d, DefaultPolicy, m); err != nil {
		t.Fatal(err)
	}
	out, err := EncodeForm(q, f)
	if err != nil {
		t.Fatal(err)
	}
	maps := records(t, out)
	for _, c := range []struct {
		m         int
		key, want string
	}{
		{0, "fb", "02000000"},
		{0, "06", "00"}, // inputs and outputs modifiable before, not after
		{1, "12", "96000000"},
		{1, "0f", "01000000"},
		{2, "03", "50c3000000000000"},
	} {
		if got, ok := recordValue(maps, c.m, c.key); !ok || got != c.want {
			t.Errorf("map %d key %s = %q (present %v), want %q", c.m, c.key, got, ok, c.want)
		}
	}
	if _, ok := recordValue(maps, 0, "00"); ok {
		t.Error("version 2 answer with PSBT_GLOBAL_UNSIGNED_TX")
	}
	sig, ok := recordValue(maps, 1, "13")
	if !ok || len(sig) != 128 {
		t.Fatalf("input 0 taproot key signature %q, want 64 bytes", sig)
	}
	tx := q.UnsignedTx.Copy()
	tx.TxIn[0].Witness = wire.TxWitness{unhex(t, sig)}
	spent := q.Inputs[0].WitnessUtxo
	fetcher := txscript.NewCannedPrevOutputFetcher(spent.PkScript, spent.Value)
	vm, err := txscript.NewEngine(spent.PkScript, tx, 0, txscript.StandardVerifyFlags, nil, txscript.NewTxSigHashes(tx, fetcher), spent.Value, fetcher)
	if err != nil {
		t.Fatal(err)
	}
	if err := vm.Execute(); err != nil {
		t.Errorf("the signature in the version 2 answer does not verify: %v", err)
	}
}

// FuzzEncodeForm: whatever Decode accepts is written in its own version,
// and reads back as the same packet in the same version.
func FuzzEncodeForm(f *testing.F) {
	for _, name := range vectorFiles {
		for _, vec := range loadVectors(f, name).Valid {
			if raw, err := base64.StdEncoding.DecodeString(vec.Base64); err == nil {
				f.Add(raw)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, form, err := DecodeForm(data)
		if err != nil {
			return
		}
		want, err := Encode(p)
		if err != nil {
			t.Fatalf("Encode of a decoded PSBT: %v", err)
		}
		for _, version := range []uint32{form.Version, 2} {
			g := form
			if version != form.Version {
				g = Form{Version: version}
			}
			out, err := EncodeForm(p, g)
			if err != nil {
				t.Fatalf("EncodeForm version %d: %v", version, err)
			}
			q, back, err := DecodeForm(out)
			if err != nil {
				t.Fatalf("DecodeForm of EncodeForm's version %d: %v", version, err)
			}
			if back.Version != version {
				t.Fatalf("written as version %d, read as %d", version, back.Version)
			}
			if got, err := Encode(q); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("version %d read back as another packet (%v)", version, err)
			}
		}
	})
}
