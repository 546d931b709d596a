package interop

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/offline/ceremony"
	"airsign/offline/home"
	"airsign/offline/kiosk"
	"airsign/online/chain"
	"airsign/online/coordinator"
	"airsign/online/regtest"
	"airsign/online/store"
	"airsign/psbt/descriptor"
	"airsign/shamir"
)

// t0 is the kiosk's clock: fixed, so that the run is the same every time.
var t0 = time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)

// The kiosk's wallets are restored from BIP-39 test vectors, so that what a
// foreign tool shows can be checked against published addresses too:
// abandon…about is master fingerprint 73c5da0a, the wallet of issue 21.
const (
	mnemonicWPKH = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
	mnemonicTR   = "legal winner thank year wave sausage worth useful legal winner thank yellow"
)

// world is what the cases share: one kiosk home with a P2WPKH and a P2TR
// wallet (2-of-3 share sets), one btcd regtest node, and one coordinator
// on it.
type world struct {
	home    *home.Home
	wallets map[string]*kioskWallet // by script: "wpkh", "tr"
	node    *regtest.Node
	coord   *coordinator.Coordinator
	rng     *mrand.ChaCha8
}

// kioskWallet is one of the kiosk's wallets with two of its shares.
type kioskWallet struct {
	name  string
	desc  *descriptor.Descriptor
	extra home.Wallet
	// slip132 is the account key as the watch-only export gives it for
	// Electrum (vpub on regtest for P2WPKH).
	slip132 string
	shares  []*shamir.Share
}

func newWorld(t *testing.T) *world {
	t.Helper()
	rng := mrand.NewChaCha8([32]byte{'i', 'n', 't', 'e', 'r', 'o', 'p'})
	h, err := home.Init(t.TempDir(), rng, t0)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{home: h, wallets: map[string]*kioskWallet{}, rng: rng}
	var inUse []uint16
	for _, c := range []struct {
		name, mnemonic string
		script         descriptor.ScriptType
	}{{"wpkh", mnemonicWPKH, descriptor.P2WPKH}, {"tr", mnemonicTR, descriptor.P2TR}} {
		res, err := ceremony.Run(ceremony.Params{Network: descriptor.Regtest, Script: c.script, Threshold: 2, Total: 3,
			Words: 12, Name: c.name, Mnemonic: []byte(c.mnemonic), InUse: inUse}, rng, t0, h)
		if err != nil {
			t.Fatalf("ceremony %s: %v", c.name, err)
		}
		inUse = append(inUse, res.Shares[0].SetID)
		kw := &kioskWallet{name: c.name, desc: res.Descriptor, extra: res.Wallet(), slip132: res.Transcript.AccountSLIP132}
		for _, sh := range res.Shares[:2] {
			cp, err := shamir.Parse(sh.Words())
			if err != nil {
				t.Fatal(err)
			}
			kw.shares = append(kw.shares, cp)
		}
		if err := h.AddWallet(res.Wallet()); err != nil {
			t.Fatal(err)
		}
		res.Wipe()
		w.wallets[c.name] = kw
	}

	w.node = regtest.Start(t, regtest.Options{})
	regtest.ActivateSegwitTaproot(t, w.node)
	client, err := chain.Dial(chain.Config{URL: w.node.RPCURL(), User: w.node.RPCUser(), Pass: w.node.RPCPass(), Params: regtest.Params})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	st, err := store.Open(filepath.Join(t.TempDir(), "coordinator.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w.coord, err = coordinator.New(coordinator.Config{Store: st, Node: client, Network: descriptor.Regtest, FallbackFeeRate: 2})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// station is the kiosk's session, as the command line drives it.
func (w *world) station() kiosk.Station {
	return kiosk.Station{Home: w.home, Via: kiosk.ViaCLI, Now: func() time.Time { return t0 }}
}

// kioskSign is the kiosk's whole signing path: load (every wallet asked;
// wallet, when not empty, is the one named, as sign --wallet names it),
// review, shares, sign. A refusal comes back with the review's reasons.
func (w *world) kioskSign(wallet string, data []byte, shares []*shamir.Share) ([]byte, error) {
	l, err := kiosk.LoadPSBT(w.home, data, "interop", wallet, t0)
	if err != nil {
		return nil, fmt.Errorf("kiosk load: %w", err)
	}
	signed, r, err := w.station().Sign(l, kiosk.SignRequest{Shares: shares})
	if err != nil {
		return nil, fmt.Errorf("kiosk sign (wallet %s, refusals %q): %w", l.Wallet.Name, r.Refusals, err)
	}
	return signed, nil
}

// coin is a regtest coin paid to an address of a wallet.
type coin struct {
	tx            *wire.MsgTx
	vout          uint32
	branch, index uint32
}

// fund pays amount to each (branch, index) of d and returns the coins.
func (w *world) fund(t *testing.T, d *descriptor.Descriptor, amount btcutil.Amount, at ...[2]uint32) []coin {
	t.Helper()
	var coins []coin
	for _, bi := range at {
		script, err := d.PkScript(bi[0], bi[1])
		if err != nil {
			t.Fatal(err)
		}
		op, tx := w.node.Fund(t, script, amount)
		coins = append(coins, coin{tx: tx, vout: op.Index, branch: bi[0], index: bi[1]})
	}
	return coins
}

// checkFinal runs every input of the final transaction through btcd's
// script engine against the coins it spends, then has the node accept it.
func (w *world) checkFinal(tx *wire.MsgTx, coins []coin) error {
	prev := txscript.NewMultiPrevOutFetcher(nil)
	for _, c := range coins {
		prev.AddPrevOut(wire.OutPoint{Hash: c.tx.TxHash(), Index: c.vout}, c.tx.TxOut[c.vout])
	}
	hashes := txscript.NewTxSigHashes(tx, prev)
	for i, in := range tx.TxIn {
		out := prev.FetchPrevOutput(in.PreviousOutPoint)
		if out == nil {
			return fmt.Errorf("input %d spends %v, not a coin of this case", i, in.PreviousOutPoint)
		}
		e, err := txscript.NewEngine(out.PkScript, tx, i, txscript.StandardVerifyFlags, nil, hashes, out.Value, prev)
		if err != nil {
			return fmt.Errorf("input %d: %v", i, err)
		}
		if err := e.Execute(); err != nil {
			return fmt.Errorf("input %d does not verify: %v", i, err)
		}
	}
	if _, err := w.node.TrySend(tx); err != nil {
		return fmt.Errorf("regtest refused the transaction: %v", err)
	}
	return nil
}

// sync brings the coordinator up to the node's tip.
func (w *world) sync() error {
	_, err := w.coord.Sync(context.Background())
	return err
}
