package coordinator

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"

	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"airsign/offline/hd"
	"airsign/online/store"
	"airsign/psbt"
	"airsign/psbt/descriptor"
)

// signedRaw is what a wallet that finalizes itself returns: the kiosk's
// signatures, finalized into the raw transaction.
func signedRaw(t testing.TB, wd *Withdrawal, d *descriptor.Descriptor, masters ...*hd.Master) *wire.MsgTx {
	t.Helper()
	var partials [][]byte
	for _, m := range masters {
		partials = append(partials, sign(t, wd.Packet, d, m))
	}
	var packets []*btcpsbt.Packet
	for _, raw := range partials {
		p, err := psbt.Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		packets = append(packets, p)
	}
	combined, err := psbt.Combine(packets...)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := psbt.Finalize(combined)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

func txBytes(t testing.TB, tx *wire.MsgTx) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := tx.Serialize(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// encodeBase43 is Electrum's base_encode(v, base=43), to test the decoder
// against the encoding Electrum's QR codes use.
func encodeBase43(b []byte) string {
	n := new(big.Int).SetBytes(b)
	base, mod := big.NewInt(43), new(big.Int)
	var out []byte
	for n.Sign() > 0 {
		n.DivMod(n, base, mod)
		out = append(out, base43Alphabet[mod.Int64()])
	}
	for _, c := range b {
		if c != 0 {
			break
		}
		out = append(out, base43Alphabet[0])
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

// A request signed elsewhere and handed back as a raw transaction, in each
// form a wallet writes it, for script types whose scriptSig changes the
// txid (P2SH-P2WPKH, P2PKH) or does not, and a 2-of-3 multisig: broadcast,
// confirmed, and the audit log says it came raw and from whom.
func TestFinalizeRawTransaction(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	log := withAudit(t, f)
	type wallet struct {
		d       *descriptor.Descriptor
		masters []*hd.Master
	}
	wallets := map[string]wallet{}
	for i, script := range []descriptor.ScriptType{descriptor.P2WPKH, descriptor.P2SHP2WPKH, descriptor.P2PKH, descriptor.P2TR} {
		m, d := f.addWallet(t, script.String(), script, byte(40+i))
		wallets[script.String()] = wallet{d, []*hd.Master{m}}
		f.deposit(t, script.String(), 300_000)
	}
	masters, d := f.addMultisig(t, "vault", 50)
	wallets["vault"] = wallet{d, masters[1:]}
	f.deposit(t, "vault", 300_000)

	for _, tc := range []struct {
		wallet string
		form   func([]byte) []byte
	}{
		{descriptor.P2WPKH.String(), func(b []byte) []byte { return []byte(hex.EncodeToString(b) + "\n") }},
		{descriptor.P2SHP2WPKH.String(), func(b []byte) []byte { return b }},
		{descriptor.P2PKH.String(), func(b []byte) []byte { return []byte(strings.ToUpper(hex.EncodeToString(b))) }},
		{descriptor.P2TR.String(), func(b []byte) []byte { return []byte(encodeBase43(b)) }},
		{"vault", func(b []byte) []byte { return []byte(hex.EncodeToString(b)) }},
	} {
		t.Run(tc.wallet, func(t *testing.T) {
			w := wallets[tc.wallet]
			wd, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: tc.wallet, To: foreignAddress(t, 8), Amount: 100_000, FeeRate: 3, Requester: "alice"})
			if err != nil {
				t.Fatal(err)
			}
			tx := signedRaw(t, wd, w.d, w.masters...)
			res, err := f.c.FinalizeAs(ctx, "", "carol", true, tc.form(txBytes(t, tx)))
			if err != nil {
				t.Fatalf("FinalizeAs(raw): %v", err)
			}
			if res.Withdrawal.ID != wd.ID || res.TxID != tx.TxHash() || !res.Broadcast || res.Signatures != len(tx.TxIn) {
				t.Fatalf("got request %s, txid %s, broadcast %v, %d signatures; want %s, %s, true, %d",
					res.Withdrawal.ID, res.TxID, res.Broadcast, res.Signatures, wd.ID, tx.TxHash(), len(tx.TxIn))
			}
			f.node.Generate(t, 1)
			f.sync(t)
			if got, _ := f.c.Get(ctx, wd.ID); got.State != "confirmed" {
				t.Fatalf("after a block: state %s, want confirmed", got.State)
			}
			entries, err := log.Entries()
			if err != nil {
				t.Fatal(err)
			}
			last := entries[len(entries)-1]
			var data map[string]any
			if err := json.Unmarshal(last.Data, &data); err != nil {
				t.Fatal(err)
			}
			if last.Kind != "broadcast" || data["form"] != "raw transaction" || data["by"] != "carol" || data["request"] != wd.ID || data["result"] != "done" {
				t.Fatalf("audit entry %s %s; want a done broadcast of request %s as a raw transaction by carol", last.Kind, last.Data, wd.ID)
			}
		})
	}
}

// What a raw transaction must not be: another transaction than its
// request's (one output changed), no request's at all, badly signed,
// unsigned, another request's than the page's, or mixed with PSBTs. Each
// is refused with a sentence, and the request stays pending with its coins.
func TestFinalizeRawTransactionRefusals(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	m, d := f.addWallet(t, "treasury", descriptor.P2WPKH, 61)
	f.deposit(t, "treasury", 300_000)
	f.deposit(t, "treasury", 300_000)
	wd, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: foreignAddress(t, 12), Amount: 100_000, FeeRate: 2, Requester: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "treasury", To: foreignAddress(t, 12), Amount: 50_000, FeeRate: 2, Requester: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	good := signedRaw(t, wd, d, m)

	changed := good.Copy()
	changed.TxOut[0].Value -= 1000 // someone takes a little more fee
	unknown := good.Copy()
	unknown.TxIn[0].PreviousOutPoint = wire.OutPoint{Hash: chainhash.Hash{7}, Index: 3}
	badSig := good.Copy()
	sig := badSig.TxIn[0].Witness[0]
	badSig.TxIn[0].Witness[0] = append(append([]byte{}, sig[:10]...), append([]byte{sig[10] ^ 1}, sig[11:]...)...)
	unsigned := good.Copy()
	for _, in := range unsigned.TxIn {
		in.Witness = nil
	}
	signedPSBT := sign(t, wd.Packet, d, m)

	for _, tc := range []struct {
		name      string
		page      string // the request page it is given on, or "" for the CLI and API
		signed    [][]byte
		want      error
		wantWords string
	}{
		{"one output changed", "", [][]byte{txBytes(t, changed)}, ErrWrongTx, "is not request " + wd.ID + "'s: its output 0 pays"},
		{"one output changed, on its page", wd.ID, [][]byte{txBytes(t, changed)}, ErrWrongTx, "its output 0 pays"},
		{"unknown transaction", "", [][]byte{txBytes(t, unknown)}, ErrWrongTx, "matches no withdrawal request"},
		{"bad signature", "", [][]byte{txBytes(t, badSig)}, psbt.ErrBadSignature, "does not verify"},
		{"unsigned", "", [][]byte{txBytes(t, unsigned)}, ErrNotFinal, "carries no signature"},
		{"another request's page", other.ID, [][]byte{txBytes(t, good)}, ErrWrongTx, "is request " + wd.ID + "'s, not " + other.ID + "'s"},
		{"among PSBTs", "", [][]byte{signedPSBT, txBytes(t, good)}, ErrInvalid, "give it alone"},
		{"neither PSBT nor transaction", "", [][]byte{[]byte("0200zz")}, ErrInvalid, "nor a signed raw transaction"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.c.FinalizeAs(ctx, tc.page, "carol", true, tc.signed...)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.wantWords) {
				t.Fatalf("got %v; want %v saying %q", err, tc.want, tc.wantWords)
			}
			got, err := f.c.Get(ctx, wd.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != store.StatusPending || len(got.Inputs) != len(good.TxIn) {
				t.Fatalf("after the refusal: %s with %d coins reserved; want pending with %d", got.Status, len(got.Inputs), len(good.TxIn))
			}
		})
	}
}

// The parser of raw transactions: every form of one transaction reads as
// it, and what is not one is refused before anything large is allocated.
func TestParseRawTx(t *testing.T) {
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{1}, Index: 1}, nil, wire.TxWitness{{1, 2, 3}, bytes.Repeat([]byte{4}, 33)}))
	tx.AddTxOut(wire.NewTxOut(1000, []byte{0x00, 0x14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}))
	bin := txBytes(t, tx)
	h := hex.EncodeToString(bin)
	for _, tc := range []struct {
		name      string
		in        []byte
		wantWords string // "" for tx
	}{
		{"binary", bin, ""},
		{"hex", []byte(h), ""},
		{"hex upper case, wrapped", []byte(strings.ToUpper(h[:40]) + "\r\n" + strings.ToUpper(h[40:]) + "\n"), ""},
		{"base43", []byte(encodeBase43(bin)), ""},
		{"hex of two transactions", []byte(h + h), "follow the transaction"},
		{"binary with trailing bytes", append(bin[:len(bin):len(bin)], 0), "follow the transaction"},
		{"odd hex", []byte(h[1:]), "base43"},
		{"empty", []byte(" \n"), "empty"},
		{"over the cap", make([]byte, maxRawTxText+1), "more than any transaction"},
		{"binary over the cap", make([]byte, MaxRawTxBytes+1), "more than any transaction"},
		{"base43 too long for a QR code", bytes.Repeat([]byte("Z"), maxBase43Chars+1), "longer than a QR code holds"},
		{"text", []byte("hello, world"), "not a transaction"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRawTx(tc.in)
			if tc.wantWords == "" {
				if err != nil || got.WitnessHash() != tx.WitnessHash() {
					t.Fatalf("got %v, %v; want the transaction %s", got, err, tx.WitnessHash())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantWords) {
				t.Fatalf("got %v, %v; want an error saying %q", got, err, tc.wantWords)
			}
		})
	}
}

// What ParseRawTx accepts is one whole transaction: written back, it is
// what was read (in binary) and never over the cap; nothing panics.
func FuzzParseRawTx(f *testing.F) {
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{1}}, []byte{1}, wire.TxWitness{{2}}))
	tx.AddTxOut(wire.NewTxOut(1, []byte{0x51}))
	bin := txBytes(f, tx)
	f.Add(bin)
	f.Add([]byte(hex.EncodeToString(bin)))
	f.Add([]byte(encodeBase43(bin)))
	f.Add([]byte("psbt\xff"))
	f.Add([]byte("0200000000"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseRawTx(data)
		if err != nil {
			if got != nil {
				t.Fatal("a transaction with an error")
			}
			return
		}
		out := txBytes(t, got)
		if len(out) > MaxRawTxBytes || len(got.TxIn) == 0 || len(got.TxOut) == 0 {
			t.Fatalf("accepted a transaction of %d bytes, %d inputs, %d outputs", len(out), len(got.TxIn), len(got.TxOut))
		}
		again, err := ParseRawTx(out)
		if err != nil || again.WitnessHash() != got.WitnessHash() {
			t.Fatalf("written back and read again: %v, %v", again, err)
		}
		if !isText(data) && !bytes.Equal(data, out) {
			t.Fatalf("binary input %x read as %x", data, out)
		}
	})
}

// isText says whether data is one of the text forms ParseRawTx reads.
func isText(data []byte) bool {
	text := bytes.Join(bytes.Fields(data), nil)
	return onlyOf(text, "0123456789abcdefABCDEF") || onlyOf(text, base43Alphabet)
}
