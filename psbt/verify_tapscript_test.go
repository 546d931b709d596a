package psbt

import (
	"errors"
	"testing"

	"github.com/btcsuite/btcd/wire"
)

// VerifySignatures counts and checks taproot script-path signatures
// against the leaf each names: a changed signature is refused.
func TestVerifyTapscriptSignatures(t *testing.T) {
	masters, w := recoveryWallet(t, trRecovery)
	p := scriptPSBT(t, w, wire.MaxTxInSequenceNum-2)
	for _, who := range []int{0, 1} {
		if _, err := SignScriptWallet(p, w, Policy{Cosigner: masters[who].Fingerprint()}, masters[who]); err != nil {
			t.Fatal(err)
		}
	}
	sigs := len(p.Inputs[0].TaprootScriptSpendSig)
	if sigs == 0 {
		t.Fatal("no script-path signatures")
	}
	if n, err := VerifySignatures(p); err != nil || n != sigs {
		t.Fatalf("VerifySignatures = %d, %v; want %d", n, err, sigs)
	}
	p.Inputs[0].TaprootScriptSpendSig[0].Signature[10] ^= 1
	if _, err := VerifySignatures(p); !errors.Is(err, ErrBadSignature) {
		t.Errorf("a changed signature: %v; want ErrBadSignature", err)
	}
	p.Inputs[0].TaprootScriptSpendSig[0].Signature[10] ^= 1
	p.Inputs[0].TaprootScriptSpendSig[0].LeafHash = make([]byte, 32)
	if _, err := VerifySignatures(p); !errors.Is(err, ErrBadSignature) {
		t.Errorf("a signature for a leaf the input lacks: %v; want ErrBadSignature", err)
	}
}
