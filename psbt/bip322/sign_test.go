package bip322

import (
	"errors"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
)

// owner is one script type's owner for the round trips: the script and the
// keys that sign for it.
type owner struct {
	name       string
	script     Script
	keys       []*btcec.PrivateKey
	wantSimple bool
}

func owners(t testing.TB) []owner {
	k1, k2, k3 := testKey(1), testKey(2), testKey(3)
	ms := multisig(t, 2, k1, k2, k3)
	shwsh := p2wsh(t, ms)
	return []owner{
		{"p2wpkh", Script{PkScript: p2wpkh(t, k1)}, []*btcec.PrivateKey{k1}, true},
		{"p2tr", Script{PkScript: p2tr(t, k2)}, []*btcec.PrivateKey{k2}, true},
		{"p2sh-p2wpkh", Script{PkScript: p2sh(t, p2wpkh(t, k3)), RedeemScript: p2wpkh(t, k3)}, []*btcec.PrivateKey{k3}, true},
		{"p2wsh 2-of-3", Script{PkScript: p2wsh(t, ms), WitnessScript: ms}, []*btcec.PrivateKey{k1, k3}, true},
		{"p2sh-p2wsh 2-of-3", Script{PkScript: p2sh(t, shwsh), RedeemScript: shwsh, WitnessScript: ms}, []*btcec.PrivateKey{k2, k3}, true},
		{"p2pkh", Script{PkScript: p2pkh(t, k1)}, []*btcec.PrivateKey{k1}, false},
		{"p2sh 2-of-3", Script{PkScript: p2sh(t, ms), RedeemScript: ms}, []*btcec.PrivateKey{k1, k2}, false},
	}
}

// TestSignVerifyRoundTrip signs through the PSBT path for every script
// type and verifies each encoding; another message must not verify.
func TestSignVerifyRoundTrip(t *testing.T) {
	msg := []byte("airsign: deposit address ownership, request 42")
	for _, o := range owners(t) {
		t.Run(o.name, func(t *testing.T) {
			p, err := ToSignPSBT(msg, o.script)
			if err != nil {
				t.Fatal(err)
			}
			signInput(t, p, 0, o.keys...)
			s, err := Finish(p)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Simple != ""; got != o.wantSimple {
				t.Fatalf("simple encoding given: %v, want %v", got, o.wantSimple)
			}
			encodings := map[Format]string{Full: s.Full}
			if o.wantSimple {
				encodings[Simple] = s.Simple
			}
			for f, sig := range encodings {
				got, err := Verify(o.script.PkScript, msg, sig)
				if err != nil {
					t.Fatalf("Verify(%v): %v", f, err)
				}
				if got != (Verified{Format: f}) {
					t.Errorf("Verify(%v) = %+v, want %+v", f, got, Verified{Format: f})
				}
				if _, err := Verify(o.script.PkScript, append(msg, '.'), sig); !errors.Is(err, ErrInvalid) {
					t.Errorf("Verify(%v) of another message = %v, want ErrInvalid", f, err)
				}
			}
		})
	}
}

// TestSignReproducesVectors signs BIP-322's P2WPKH vectors with the
// published key through the PSBT path: btcec's RFC 6979 nonce gives the
// vectors' non-ground signatures byte for byte.
func TestSignReproducesVectors(t *testing.T) {
	v := loadVectors(t)
	wif, err := btcutil.DecodeWIF(v.PrivateKeyWIF)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range v.Valid {
		if !c.RFC6979 {
			continue
		}
		n++
		p, err := ToSignPSBT([]byte(c.Message), Script{PkScript: mainnetScript(t, c.Address)})
		if err != nil {
			t.Fatal(err)
		}
		signInput(t, p, 0, wif.PrivKey)
		s, err := Finish(p)
		if err != nil {
			t.Fatal(err)
		}
		if s.Simple != c.Signature {
			t.Errorf("%s: signed %s, want %s", c.Name, s.Simple, c.Signature)
		}
	}
	if n == 0 {
		t.Fatal("no RFC 6979 vectors")
	}
}

func TestToSignPSBTRefuses(t *testing.T) {
	k := testKey(1)
	ms := multisig(t, 1, k)
	for _, c := range []struct {
		name   string
		script Script
	}{
		{"empty", Script{}},
		{"p2sh without redeem script", Script{PkScript: p2sh(t, ms)}},
		{"p2sh with another redeem script", Script{PkScript: p2sh(t, ms), RedeemScript: p2wpkh(t, k)}},
		{"p2wsh without witness script", Script{PkScript: p2wsh(t, ms)}},
		{"p2wsh with another witness script", Script{PkScript: p2wsh(t, ms), WitnessScript: p2pkh(t, k)}},
		{"redeem script on p2wpkh", Script{PkScript: p2wpkh(t, k), RedeemScript: ms}},
		{"witness script on p2tr", Script{PkScript: p2tr(t, k), WitnessScript: ms}},
		{"bare multisig", Script{PkScript: ms}},
		{"witness v2", Script{PkScript: append([]byte{0x52, 0x20}, make([]byte, 32)...)}},
	} {
		if _, err := ToSignPSBT([]byte("m"), c.script); err == nil {
			t.Errorf("%s: ToSignPSBT accepted it", c.name)
		}
	}
}
