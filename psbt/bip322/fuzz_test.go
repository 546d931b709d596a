package bip322

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"
)

// FuzzDecodeSignature feeds arbitrary bytes to the signature decoders and
// to Verify. Invariants: what a decoder accepts encodes back to exactly its
// bytes (one encoding per signature), within the limits; Verify never
// panics and answers valid or an error of one of its three kinds.
func FuzzDecodeSignature(f *testing.F) {
	for _, c := range append(loadVectors(f).Valid, loadVectors(f).Invalid...) {
		b, err := base64.StdEncoding.DecodeString(c.Signature)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, []byte(c.Message))
	}
	f.Add([]byte{0x00}, []byte(""))
	f.Add([]byte{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}, []byte("m"))
	pkScripts := [][]byte{p2wpkh(f, testKey(1)), p2tr(f, testKey(1)), p2pkh(f, testKey(1)), p2sh(f, p2wpkh(f, testKey(1)))}
	f.Fuzz(func(t *testing.T, b, message []byte) {
		if tx, err := decodeFull(b); err == nil {
			if got := encodeTx(tx); !bytes.Equal(got, b) {
				t.Fatalf("full: decoded %x, encodes to %x", b, got)
			}
			if len(tx.TxIn) == 0 || len(tx.TxIn) > MaxInputs {
				t.Fatalf("full: %d inputs accepted", len(tx.TxIn))
			}
		} else if !errors.Is(err, ErrMalformed) {
			t.Fatalf("full: error %v does not wrap ErrMalformed", err)
		}
		if w, err := decodeSimple(b); err == nil {
			if got := encodeWitness(w); !bytes.Equal(got, b) {
				t.Fatalf("simple: decoded %x, encodes to %x", b, got)
			}
			if len(w) > MaxWitnessItems {
				t.Fatalf("simple: %d items accepted", len(w))
			}
		}
		if sig, err := decodeLegacy(b); err == nil && !bytes.Equal(sig, b) {
			t.Fatalf("legacy: decoded %x as %x", b, sig)
		}
		text := base64.StdEncoding.EncodeToString(b)
		if got, err := decodeText(text); err == nil && !bytes.Equal(got, b) {
			t.Fatalf("base64 %s decoded to %x, want %x", text, got, b)
		}
		for _, pk := range pkScripts {
			_, err := Verify(pk, message, text)
			if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrInconclusive) {
				t.Fatalf("Verify: error %v is of no kind", err)
			}
		}
	})
}

// FuzzVerifyReserves feeds mutated proofs to VerifyReserves. Invariant:
// it never panics, and whatever it accepts proves at most the snapshot's
// coins, each once.
func FuzzVerifyReserves(f *testing.F) {
	fx := newReserveFixture(f)
	f.Add(fx.proof, challenge)
	f.Fuzz(func(t *testing.T, proof, ch []byte) {
		r, err := VerifyReserves(proof, ch, fx.snap)
		if err != nil {
			return
		}
		seen := map[any]bool{}
		var sum int64
		for _, op := range r.Coins {
			out, ok := fx.snap.Coins[op]
			if !ok || seen[op] {
				t.Fatalf("proved %v, which is not in the snapshot or proved twice", op)
			}
			seen[op] = true
			sum += out.Value
		}
		if int64(r.Amount) != sum {
			t.Fatalf("Amount %v, coins sum to %d", r.Amount, sum)
		}
	})
}
