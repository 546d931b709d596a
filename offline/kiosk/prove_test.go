package kiosk

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"airsign/psbt"
	"airsign/psbt/approval"
	"airsign/psbt/bip322"
	"airsign/psbt/descriptor"
	"airsign/shamir"
)

// proofScript is the station's P2WPKH address at branch/index, as a
// BIP-322 owner.
func proofScript(t *testing.T, d *descriptor.Descriptor, branch, index uint32) bip322.Script {
	t.Helper()
	pk, err := d.PkScript(branch, index)
	if err != nil {
		t.Fatal(err)
	}
	return bip322.Script{PkScript: pk}
}

// deriveInput gives a PSBT input the derivation of the wallet's key at
// branch/index, as the coordinator does.
func deriveInput(t *testing.T, d *descriptor.Descriptor, pin *btcpsbt.PInput, branch, index uint32) {
	t.Helper()
	pub, err := d.PublicKey(branch, index)
	if err != nil {
		t.Fatal(err)
	}
	fp := d.MasterFingerprint()
	pin.Bip32Derivation = []*btcpsbt.Bip32Derivation{{PubKey: pub.SerializeCompressed(),
		MasterKeyFingerprint: binary.LittleEndian.Uint32(fp[:]), Bip32Path: d.Path(branch, index)}}
}

// proofCoin is a coin of value paid to script, in a transaction of its own.
func proofCoin(script bip322.Script, value btcutil.Amount, seed byte) bip322.Coin {
	prev := wire.NewMsgTx(2)
	prev.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{seed}}, nil, nil))
	prev.AddTxOut(wire.NewTxOut(int64(value), script.PkScript))
	return bip322.Coin{OutPoint: wire.OutPoint{Hash: prev.TxHash()}, Value: value, Script: script, PrevTx: prev}
}

// withMessage carries message beside p and encodes it, as the coordinator
// hands it over.
func withMessage(t *testing.T, p *btcpsbt.Packet, message []byte) []byte {
	t.Helper()
	approval.SetField(p, approval.SubtypeMessage, nil, message)
	raw, err := psbt.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func (s *station) quorum(t *testing.T, idx ...int) []*shamir.Share {
	t.Helper()
	var out []*shamir.Share
	for _, i := range idx {
		sh, err := shamir.Parse(bytes.Clone(s.shares[i-1]))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sh)
	}
	return out
}

func TestSignMessageAndProof(t *testing.T) {
	s := newStation(t)
	st := Station{Home: s.h, Via: ViaCLI, Now: func() time.Time { return s.now }}
	message := []byte("airsign controls this deposit address")
	owner := proofScript(t, s.desc, 0, 3)
	toSign, err := bip322.ToSignPSBT(message, owner)
	if err != nil {
		t.Fatal(err)
	}
	deriveInput(t, s.desc, &toSign.Inputs[0], 0, 3)
	msgPSBT := withMessage(t, toSign, message)

	if _, err := LoadPSBT(s.h, msgPSBT, "msg.psbt", "", s.now); !errors.Is(err, ErrProofPSBT) {
		t.Fatalf("LoadPSBT of a message PSBT: %v, want ErrProofPSBT (never reviewed as a withdrawal)", err)
	}
	pr, err := LoadProof(s.h, msgPSBT, "msg.psbt", s.now)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.desc.Address(0, 3)
	if err != nil {
		t.Fatal(err)
	}
	addr := a.EncodeAddress()
	if got, want := strings.Join(pr.Lines(), "\n"), "Sign message for address "+addr+":\n  “airsign controls this deposit address”"; got != want || pr.Kind() != KindSignMessage {
		t.Fatalf("review %q (%s), want %q", got, pr.Kind(), want)
	}
	signed, err := st.SignProof(pr, SignRequest{Shares: s.quorum(t, 1, 3)})
	if err != nil {
		t.Fatal(err)
	}
	sig, ok := Finished(signed)
	if !ok || sig.Simple == "" {
		t.Fatalf("a single-sig message signature is complete at the kiosk: %v %+v", ok, sig)
	}
	if _, err := bip322.Verify(owner.PkScript, message, sig.Simple); err != nil {
		t.Fatalf("the kiosk's signature does not verify: %v", err)
	}

	// A proof of reserves over two coins, bound to a challenge.
	challenge := []byte("audit 2026-Q4 nonce 5f1c")
	c1, c2 := proofCoin(proofScript(t, s.desc, 0, 0), 70_000, 1), proofCoin(proofScript(t, s.desc, 1, 2), 30_000, 2)
	proofFor := func(coins ...bip322.Coin) []byte {
		p, err := bip322.ReservesPSBT(challenge, owner, coins)
		if err != nil {
			t.Fatal(err)
		}
		deriveInput(t, s.desc, &p.Inputs[0], 0, 3)
		deriveInput(t, s.desc, &p.Inputs[1], 0, 0)
		if len(coins) > 1 && coins[1].OutPoint == c2.OutPoint {
			deriveInput(t, s.desc, &p.Inputs[2], 1, 2)
		}
		return withMessage(t, p, challenge)
	}
	pr, err = LoadProof(s.h, proofFor(c1, c2), "proof.psbt", s.now)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pr.Lines()[0], "Proof of reserves for challenge “audit 2026-Q4 nonce 5f1c”: 2 coin(s), total 0.00100000 BTC"; got != want || pr.Kind() != KindProve {
		t.Fatalf("review %q, want %q", got, want)
	}
	signed, err = st.SignProof(pr, SignRequest{Shares: s.quorum(t, 2, 3)})
	if err != nil {
		t.Fatal(err)
	}
	fin, ok := Finished(signed)
	if !ok {
		t.Fatal("the signed proof does not finish")
	}
	snap := bip322.Snapshot{Height: 100, Coins: map[wire.OutPoint]*wire.TxOut{
		c1.OutPoint: c1.PrevTx.TxOut[0], c2.OutPoint: c2.PrevTx.TxOut[0]}}
	if r, err := bip322.VerifyReserves(fin.PSBT, challenge, snap); err != nil || r.Amount != 100_000 {
		t.Fatalf("VerifyReserves: %v %v, want 100000 sat", r.Amount, err)
	}

	// A coin that is not the wallet's (no derivation of it) is refused
	// before any share is read, and logged.
	foreign := proofCoin(bip322.Script{PkScript: append([]byte{0x00, 0x14}, bytes.Repeat([]byte{7}, 20)...)}, 50_000, 3)
	pr, err = LoadProof(s.h, proofFor(c1, foreign), "foreign.psbt", s.now)
	if err != nil {
		t.Fatal(err)
	}
	var refusal *Refusal
	if _, err := st.SignProof(pr, SignRequest{Shares: s.quorum(t, 1, 2)}); !errors.As(err, &refusal) || !strings.Contains(refusal.Reason, "not a coin of wallet") {
		t.Fatalf("a proof with a foreign coin: %v, want a refusal naming it", err)
	}
	// One share is not the quorum.
	pr, err = LoadProof(s.h, msgPSBT, "msg.psbt", s.now)
	if err != nil {
		t.Fatal(err)
	}
	var failure *SignFailure
	if _, err := st.SignProof(pr, SignRequest{Shares: s.quorum(t, 1)}); !errors.As(err, &failure) {
		t.Fatalf("one share of a 2-of-3: %v, want a SignFailure", err)
	}

	entries, err := s.h.Log().Entries()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		if e.Kind != KindSignMessage && e.Kind != KindProve {
			continue
		}
		var m struct {
			Result, Address string
			MessageSHA256   string `json:"message_sha256"`
			AmountSat       int64  `json:"amount_sat"`
		}
		if err := json.Unmarshal(e.Data, &m); err != nil {
			t.Fatal(err)
		}
		if m.Address != addr || len(m.MessageSHA256) != 64 {
			t.Fatalf("entry %s names address %q and message hash %q", e.Kind, m.Address, m.MessageSHA256)
		}
		got = append(got, e.Kind+":"+m.Result+":"+strconv.FormatInt(m.AmountSat, 10))
	}
	want := "sign-message:signed:0 prove:signed:100000 prove:refused:120000 sign-message:failed:0"
	if strings.Join(got, " ") != want {
		t.Fatalf("entries %q, want %q", strings.Join(got, " "), want)
	}
}

// The message must be the one to_spend commits to: a PSBT whose carried
// message was swapped is not loaded.
func TestProofMessageMustMatch(t *testing.T) {
	s := newStation(t)
	p, err := bip322.ToSignPSBT([]byte("pay nobody"), proofScript(t, s.desc, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	deriveInput(t, s.desc, &p.Inputs[0], 0, 0)
	raw := withMessage(t, p, []byte("pay nobody."))
	if _, err := LoadProof(s.h, raw, "x.psbt", s.now); err == nil || !strings.Contains(err.Error(), "exact message") {
		t.Fatalf("a swapped message: %v, want the hash mismatch", err)
	}
	raw = withMessage(t, p, bytes.Repeat([]byte("a"), MaxMessageBytes+1))
	if _, err := LoadProof(s.h, raw, "x.psbt", s.now); err == nil || !strings.Contains(err.Error(), "shorter") {
		t.Fatalf("an oversized message: %v", err)
	}
}

func TestShowMessage(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Hello World", "“Hello World”"},
		{"a\nb", `"a\nb" (quoted: it holds characters that are not printable)`},
		{"pay\u202eevil", `"pay\u202eevil" (quoted: it holds characters that are not printable)`},
		{"\xff", `"\xff" (quoted: it holds characters that are not printable)`},
	} {
		if got := ShowMessage([]byte(c.in)); got != c.want {
			t.Errorf("ShowMessage(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}
