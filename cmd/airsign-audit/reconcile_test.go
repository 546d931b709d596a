package main

import (
	"crypto/ed25519"
	"encoding/hex"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"airsign/cmd/internal/chainproof"
	"airsign/psbt/auditlog"
	"airsign/psbt/descriptor"
)

type edKey ed25519.PrivateKey

func (k edKey) Sign(msg []byte) []byte { return ed25519.Sign(ed25519.PrivateKey(k), msg) }
func (k edKey) PublicKey() ed25519.PublicKey {
	return ed25519.PrivateKey(k).Public().(ed25519.PublicKey)
}

// reconcileWorld is two real logs whose entries have the shape the kiosk
// and the coordinator write, a round trip at a time, and the chain.
type reconcileWorld struct {
	t            *testing.T
	kiosk, coord *auditlog.Log
	chain        chainView
	now          time.Time
}

func newWorld(t *testing.T) *reconcileWorld {
	mk := func(seed byte, origin string) *auditlog.Log {
		k := edKey(ed25519.NewKeyFromSeed(append(make([]byte, 31), seed)))
		l, err := auditlog.Create(filepath.Join(t.TempDir(), "audit.log"), origin, k)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	w := &reconcileWorld{t: t, kiosk: mk(1, "airsign kiosk test"), coord: mk(2, auditlog.CoordinatorOrigin+"test"),
		chain: chainView{params: regtest}, now: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)}
	w.add(w.coord, "wallet-quorum", map[string]any{"wallet": "w", "need": 2, "result": "done"})
	return w
}

func (w *reconcileWorld) add(l *auditlog.Log, kind string, data map[string]any) {
	w.now = w.now.Add(time.Second)
	if err := l.Append(kind, data, w.now); err != nil {
		w.t.Fatal(err)
	}
}

func (w *reconcileWorld) record(l *auditlog.Log) auditlog.CheckpointRecord {
	cp, err := l.Checkpoint()
	if err != nil {
		w.t.Fatal(err)
	}
	return auditlog.Carried{VerifierKey: l.VerifierKey(), Checkpoint: cp}.Record()
}

// tx is a transaction spending in to one output of amount.
func tx(in wire.OutPoint, script []byte, amount int64) *wire.MsgTx {
	t := wire.NewMsgTx(2)
	t.AddTxIn(wire.NewTxIn(&in, nil, nil))
	t.AddTxOut(wire.NewTxOut(amount, script))
	return t
}

var regtest = &chaincfg.RegressionNetParams

// testWallet is the test mnemonic's BIP84 regtest account ("abandon … about").
var testWallet = coordinatorWallet{Name: "w", Network: "regtest",
	Descriptor: "wpkh([73c5da0a/84'/1'/0']tpubDC8msFGeGuwnKG9Upg7DM2b4DaRqg3CUZa5g8v2SRQ6K4NSkxUgd7HsL2XVWbVm39yBA4LAxysQAm397zwQSQoQgewGiYZqrA9DsP4zbQ1M/<0;1>/*)"}

var payee, _ = hex.DecodeString("00140000000000000000000000000000000000000001")

// roundTrip is one withdrawal through both logs, signed by the kiosk with
// approvals and broadcast, and confirmed.
func (w *reconcileWorld) roundTrip(id string, t *wire.MsgTx, approvals int) {
	txid := t.TxHash().String()
	w.add(w.coord, "request", map[string]any{"request": id, "wallet": "w", "result": "done", "unsigned_txid": txid})
	var names []map[string]string
	for i := range approvals {
		name := string(rune('a' + i))
		// the kiosk lists them in the PSBT's order, here the reverse
		names = append([]map[string]string{{"name": name}}, names...)
		w.add(w.coord, "approve", map[string]any{"request": id, "user": name, "kind": "station", "result": "done"})
	}
	coordCP := w.record(w.coord)
	w.add(w.kiosk, "sign", map[string]any{"txid": txid, "request": id, "result": "signed", "wallet": "w",
		"outputs": auditlog.TxOutputs(t, regtest), "approvals": names, "approvals_required": 2, "coordinator_checkpoint": coordCP})
	w.add(w.coord, "broadcast", map[string]any{"request": id, "result": "done", "txid": txid, "by": "olga",
		"outputs": auditlog.TxOutputs(t, regtest), "kiosk_checkpoints": []auditlog.CheckpointRecord{w.record(w.kiosk)}})
	w.confirm(t)
}

func (w *reconcileWorld) confirm(t *wire.MsgTx) {
	w.chain.txs = append(w.chain.txs, chainproof.Confirmed{Tx: t, Height: int32(100 + len(w.chain.txs)), Block: chainhash.Hash{byte(len(w.chain.txs))}})
}

func (w *reconcileWorld) reconcile(kioskSince int64, kioskLog *auditlog.Log) *reconcileReport {
	verify := func(l *auditlog.Log) auditlog.Report {
		data, err := l.Export(0)
		if err != nil {
			w.t.Fatal(err)
		}
		rep, err := auditlog.VerifyExport(data, l.VerifierKey(), nil)
		if err != nil {
			w.t.Fatal(err)
		}
		return rep
	}
	rep, err := reconcileRecords(verify(kioskLog), verify(w.coord), []coordinatorWallet{testWallet}, &w.chain)
	if err != nil {
		w.t.Fatal(err)
	}
	return rep
}

func TestReconcile(t *testing.T) {
	coin := func(b byte) wire.OutPoint { return wire.OutPoint{Hash: chainhash.Hash{b}, Index: 0} }
	for _, tc := range []struct {
		name   string
		change func(w *reconcileWorld) *auditlog.Log // the kiosk log to reconcile
		want   []string                              // in the problems, in order; none for clean
	}{
		{"two clean withdrawals", func(w *reconcileWorld) *auditlog.Log { return w.kiosk }, nil},
		{"a signature with no request", func(w *reconcileWorld) *auditlog.Log {
			w.add(w.kiosk, "sign", map[string]any{"txid": tx(coin(9), payee, 5).TxHash().String(), "result": "signed", "outputs": auditlog.TxOutputs(tx(coin(9), payee, 5), regtest)})
			return w.kiosk
		}, []string{"signed transaction " + tx(coin(9), payee, 5).TxHash().String() + " with no request id"}},
		{"a broadcast the kiosk never signed", func(w *reconcileWorld) *auditlog.Log {
			other := tx(coin(8), payee, 7)
			w.add(w.coord, "broadcast", map[string]any{"request": "r9", "result": "done", "txid": other.TxHash().String(), "outputs": auditlog.TxOutputs(other, regtest)})
			return w.kiosk
		}, []string{"broadcast transaction " + tx(coin(8), payee, 7).TxHash().String() + " (request r9) that the kiosk's log never signed"}},
		{"approvals below the quorum", func(w *reconcileWorld) *auditlog.Log {
			w.roundTrip("r3", tx(coin(3), payee, 3000), 1)
			return w.kiosk
		}, []string{"was approved by 1 in the coordinator's log, below the quorum of 2", "with 1 approvals of the 2 its policy requires"}},
		{"an approval the coordinator never recorded", func(w *reconcileWorld) *auditlog.Log {
			t5 := tx(coin(5), payee, 5000)
			w.add(w.coord, "request", map[string]any{"request": "r5", "wallet": "w", "result": "done", "unsigned_txid": t5.TxHash().String()})
			w.add(w.coord, "approve", map[string]any{"request": "r5", "user": "a", "result": "done"})
			w.add(w.kiosk, "sign", map[string]any{"txid": t5.TxHash().String(), "request": "r5", "result": "signed", "wallet": "w", "outputs": auditlog.TxOutputs(t5, regtest),
				"approvals": []map[string]string{{"name": "a"}, {"name": "mallory"}}, "approvals_required": 2})
			return w.kiosk
		}, []string{"the kiosk's entry 2 counted an approval by mallory for request r5"}},
		{"approvals below the coordinator's quorum", func(w *reconcileWorld) *auditlog.Log {
			w.add(w.coord, "wallet-quorum", map[string]any{"wallet": "w", "need": 3, "result": "done"})
			w.roundTrip("r6", tx(coin(6), payee, 6000), 2)
			return w.kiosk
		}, []string{"was approved by 2 in the coordinator's log, below the quorum of 3 it recorded for wallet w", "the kiosk's policy required 2 approvals, the coordinator's record of the quorum 3"}},
		{"a kiosk log rolled back after the second round trip", func(w *reconcileWorld) *auditlog.Log {
			// The same key, the log started again: the coordinator
			// recorded checkpoints it no longer has.
			k := edKey(ed25519.NewKeyFromSeed(append(make([]byte, 31), 1)))
			l, err := auditlog.Create(filepath.Join(t.TempDir(), "audit.log"), "airsign kiosk test", k)
			if err != nil {
				t.Fatal(err)
			}
			return l
		}, []string{"export has only 0: its log was rolled back", "export has only 0: its log was rolled back"}},
		{"a confirmed spend neither log explains", func(w *reconcileWorld) *auditlog.Log {
			// A coin paid to the wallet's first address, spent by a
			// transaction the kiosk never signed (the key used outside).
			d, err := descriptor.ParseForNetwork(testWallet.Descriptor, descriptor.Regtest)
			if err != nil {
				t.Fatal(err)
			}
			dv, _ := d.Deriver(0)
			ours, _ := dv.PkScript(0)
			funding := tx(coin(6), ours, 50_000)
			w.confirm(funding)
			w.confirm(tx(wire.OutPoint{Hash: funding.TxHash()}, payee, 40_000))
			return w.kiosk
		}, []string{"neither log explains it: the kiosk never signed it"}},
		{"an edited output in the coordinator's record", func(w *reconcileWorld) *auditlog.Log {
			t3 := tx(coin(4), payee, 4000)
			w.add(w.coord, "request", map[string]any{"request": "r4", "result": "done", "unsigned_txid": t3.TxHash().String()})
			w.add(w.kiosk, "sign", map[string]any{"txid": t3.TxHash().String(), "request": "r4", "result": "signed", "outputs": auditlog.TxOutputs(t3, regtest)})
			edited := auditlog.TxOutputs(t3, regtest)
			edited[0].AmountSat = 4500
			w.add(w.coord, "broadcast", map[string]any{"request": "r4", "result": "done", "txid": t3.TxHash().String(), "outputs": edited})
			return w.kiosk
		}, []string{"records other outputs than the kiosk's entry 2 signed: output 0 pays 4000 sat"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.roundTrip("r1", tx(coin(1), payee, 1000), 2)
			w.roundTrip("r2", tx(coin(2), payee, 2000), 2)
			rep := w.reconcile(0, tc.change(w))
			if len(rep.Problems) < len(tc.want) || rep.OK != (len(tc.want) == 0) {
				t.Fatalf("problems %q, want %q", rep.Problems, tc.want)
			}
			for i, want := range tc.want {
				if !strings.Contains(rep.Problems[i], want) {
					t.Errorf("problem %d = %q, want it to say %q", i, rep.Problems[i], want)
				}
			}
			if len(rep.Withdrawals) < 2 || rep.Withdrawals[0].Height == 0 {
				t.Fatalf("withdrawals %+v, want the two confirmed", rep.Withdrawals)
			}
			if got := rep.Withdrawals[0].Approvals; len(tc.want) == 0 && !slices.Equal(got, []string{"a", "b"}) {
				t.Errorf("approvals of the first withdrawal = %q, want [a b] (by name, whatever the kiosk's order)", got)
			}
		})
	}
}
