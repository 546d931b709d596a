package coordinator

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"

	"airsign/offline/hd"
	"airsign/online/regtest"
	"airsign/psbt"
	"airsign/psbt/bip322"
	"airsign/psbt/descriptor"
	"airsign/psbt/reserves"
)

// signProof is the kiosk's part for a BIP-322 PSBT: psbt.Sign with the
// policy the kiosk signs proofs under (no fee caps, version 0 allowed).
func signProof(t testing.TB, p *btcpsbt.Packet, d *descriptor.Descriptor, m *hd.Master) []byte {
	t.Helper()
	raw, err := psbt.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := psbt.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	pol := psbt.Policy{Cosigner: m.Fingerprint(), BIP322: true}
	if _, err := psbt.Sign(q, d, pol, m); err != nil {
		t.Fatalf("the kiosk's signer refused: %v", err)
	}
	out, err := psbt.Encode(q)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A proof of reserves over a regtest wallet's real coins: the coordinator
// builds it and the snapshot, the kiosk's signer signs, FinishProof makes
// the proof, and it verifies against the snapshot for that challenge only;
// once a coin is spent, against a later snapshot it is refused naming it.
func TestProveReserves(t *testing.T) {
	for _, script := range []descriptor.ScriptType{descriptor.P2WPKH, descriptor.P2TR, descriptor.P2SHP2WPKH, descriptor.P2PKH} {
		t.Run(script.String(), func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t)
			m, d := f.addWallet(t, "vault", script, 7)
			f.deposit(t, "vault", 400_000)
			f.deposit(t, "vault", 600_000)
			challenge := []byte("audit 2026-Q4: nonce 8c1e")
			p, snap, err := f.c.ProveReserves(ctx, "vault", challenge)
			if err != nil {
				t.Fatal(err)
			}
			if len(snap.Coins) != 2 || snap.Height != f.node.Height(t) {
				t.Fatalf("snapshot %d coins at %d, want 2 at the tip %d", len(snap.Coins), snap.Height, f.node.Height(t))
			}
			fin, message, err := FinishProof(signProof(t, p, d, m))
			if err != nil {
				t.Fatal(err)
			}
			if string(message) != string(challenge) {
				t.Fatalf("FinishProof's message %q", message)
			}
			raw, err := snap.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := reserves.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			r, err := bip322.VerifyReserves(fin.PSBT, challenge, parsed)
			if err != nil || r.Amount != 1_000_000 {
				t.Fatalf("VerifyReserves: %v, %v; want 1,000,000 sat", r.Amount, err)
			}
			if _, err := bip322.VerifyReserves(fin.PSBT, []byte("audit 2026-Q4: nonce 8c1f"), parsed); !errors.Is(err, bip322.ErrInvalid) {
				t.Fatalf("another challenge: %v, want ErrInvalid", err)
			}
			// Spend everything: a later snapshot holds none of the coins.
			wd, err := f.c.Withdraw(ctx, WithdrawRequest{Wallet: "vault", To: foreignAddress(t, 11), Amount: 700_000, Requester: "alice"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.c.Finalize(ctx, "", true, sign(t, wd.Packet, d, m)); err != nil {
				t.Fatal(err)
			}
			f.node.Generate(t, 1)
			f.sync(t)
			_, later, err := f.c.ProveReserves(ctx, "vault", []byte("next"))
			if err != nil {
				t.Fatal(err)
			}
			raw, _ = later.Marshal()
			parsed, err = reserves.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := bip322.VerifyReserves(fin.PSBT, challenge, parsed); err == nil || !strings.Contains(err.Error(), "not unspent in the snapshot") {
				t.Fatalf("the proof against a snapshot after the spend: %v, want a coin named not unspent", err)
			}
		})
	}
}

// A message signed by a 2-of-3 multisig address: each cosigner signs, and
// FinishProof combines the partials. One partial is not a signature; an
// address the wallet does not watch is refused.
func TestSignMessageMultisig(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	masters, d := f.addMultisig(t, "vault", 30)
	a, err := f.c.Receive(ctx, "vault")
	if err != nil {
		t.Fatal(err)
	}
	message := []byte("vault controls " + a.Address)
	p, err := f.c.SignMessage(ctx, "vault", a.Address, message)
	if err != nil {
		t.Fatal(err)
	}
	one := signProof(t, p, d, masters[0])
	if _, _, err := FinishProof(one); err == nil {
		t.Fatal("one cosigner's partial finished a 2-of-3 signature")
	}
	fin, _, err := FinishProof(one, signProof(t, p, d, masters[2]))
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := btcutil.DecodeAddress(a.Address, regtest.Params)
	script, _ := txscript.PayToAddrScript(addr)
	if _, err := bip322.Verify(script, message, fin.Simple); err != nil {
		t.Fatalf("the multisig signature does not verify: %v", err)
	}
	if _, err := f.c.SignMessage(ctx, "vault", foreignAddress(t, 11), message); err == nil || !strings.Contains(err.Error(), "not an address of wallet") {
		t.Fatalf("a foreign address: %v", err)
	}
}
