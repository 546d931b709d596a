package regtest

import (
	"airsign/online/regtest/internal/txtest"
	"bytes"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcjson"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/online/regtest/daemon"
)

func p2pkhScript(t testing.TB, k *btcec.PrivateKey) []byte {
	a, err := btcutil.NewAddressPubKeyHash(btcutil.Hash160(k.PubKey().SerializeCompressed()), Params)
	if err != nil {
		t.Fatal(err)
	}
	s, err := txscript.PayToAddrScript(a)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// p2trScript is a BIP86 key-path-only output: the internal key tweaked with
// an empty script tree.
func p2trScript(t testing.TB, internal *btcec.PrivateKey) []byte {
	outKey := txscript.ComputeTaprootKeyNoScript(internal.PubKey())
	s, err := txscript.PayToTaprootScript(outKey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signP2TRKeyPath signs input 0 with a BIP341 key-path schnorr signature
// (SIGHASH_DEFAULT); txscript applies the BIP86 tweak to the internal key.
func signP2TRKeyPath(t testing.TB, tx *wire.MsgTx, prevOut *wire.TxOut, internal *btcec.PrivateKey) {
	fetcher := txscript.NewCannedPrevOutputFetcher(prevOut.PkScript, prevOut.Value)
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	w, err := txscript.TaprootWitnessSignature(tx, hashes, 0, prevOut.Value, prevOut.PkScript, txscript.SigHashDefault, internal)
	if err != nil {
		t.Fatal(err)
	}
	tx.TxIn[0].Witness = w
}

func TestStartStopLeavesNoProcess(t *testing.T) {
	var pid int
	var exited <-chan struct{}
	var stopBegins time.Time
	t.Run("node", func(t *testing.T) {
		t.Cleanup(func() {
			t.Logf("stop (RPC stop until the process is reaped) took %v", time.Since(stopBegins))
		})
		start := time.Now()
		n := Start(t, Options{})
		t.Logf("Start took %v (pid %d, rpc %s)", time.Since(start), n.PID(), n.RPCURL())
		pid, exited = n.PID(), n.Exited()
		if txtest.ProcessGone(pid) {
			t.Fatalf("btcd pid %d not running", pid)
		}
		if h := n.Height(t); h != 0 {
			t.Fatalf("fresh node at height %d", h)
		}
		if n.P2PAddr() != "" {
			t.Fatalf("P2PAddr %q without Listen", n.P2PAddr())
		}
		info, err := n.Client().GetBlockChainInfo()
		if err != nil {
			t.Fatal(err)
		}
		if info.Chain != "regtest" {
			t.Fatalf("chain %q", info.Chain)
		}
		stopBegins = time.Now()
	})
	select {
	case <-exited:
	default:
		t.Fatal("btcd not reaped after the test's cleanup")
	}
	if !txtest.ProcessGone(pid) {
		t.Fatalf("btcd pid %d still exists after cleanup", pid)
	}
}

func TestGenerateAdvancesHeight(t *testing.T) {
	t.Parallel()
	n := Start(t, Options{})
	start := time.Now()
	hs := n.Generate(t, 10)
	if len(hs) != 10 {
		t.Fatalf("got %d hashes", len(hs))
	}
	if h := n.Height(t); h != 10 {
		t.Fatalf("height %d, want 10", h)
	}
	if best := n.BestHash(t); !best.IsEqual(hs[9]) {
		t.Fatalf("best %v, want %v", best, hs[9])
	}
	n.Generate(t, 600) // more than one batch
	n.WaitForHeight(t, 610, time.Minute)
	t.Logf("610 blocks in %v", time.Since(start))

	// Blocks pay the harness mining address.
	blk, err := n.Client().GetBlock(hs[0])
	if err != nil {
		t.Fatal(err)
	}
	want, _ := txscript.PayToAddrScript(n.MiningAddress())
	if !bytes.Equal(blk.Transactions[0].TxOut[0].PkScript, want) {
		t.Fatalf("coinbase pays %x, want %x", blk.Transactions[0].TxOut[0].PkScript, want)
	}
}

func TestFund(t *testing.T) {
	t.Parallel()
	n := Start(t, Options{})
	k := txtest.Key("fund")
	script := txtest.P2WPKHScript(t, k, Params)

	start := time.Now()
	op, prev := n.Fund(t, script, 1_2345_6789)
	fundHeight := n.Height(t)
	t.Logf("first Fund (mines ~101 blocks) took %v, height %d", time.Since(start), fundHeight)
	start = time.Now()
	op2, _ := n.Fund(t, p2pkhScript(t, k), 60*btcutil.SatoshiPerBitcoin) // needs two coinbases
	t.Logf("second Fund took %v, height %d", time.Since(start), n.Height(t))
	if op2 == op {
		t.Fatal("same outpoint twice")
	}

	if prev.TxHash() != op.Hash {
		t.Fatalf("prevTx %v, outpoint %v", prev.TxHash(), op)
	}
	out, err := n.Client().GetTxOut(&op.Hash, op.Index, false)
	if err != nil {
		t.Fatal(err)
	}
	if out == nil {
		t.Fatal("gettxout: funded output not in the UTXO set")
	}
	if out.Confirmations != int64(n.Height(t)-fundHeight+1) || out.Value != 1.23456789 || out.Coinbase {
		t.Fatalf("gettxout: %+v", out)
	}
	if out.ScriptPubKey.Hex != hex.EncodeToString(script) {
		t.Fatalf("gettxout script %s, want %x", out.ScriptPubKey.Hex, script)
	}
	raw, err := n.Client().GetRawTransaction(&op.Hash)
	if err != nil {
		t.Fatalf("getrawtransaction (txindex): %v", err)
	}
	if raw.Hash().String() != op.Hash.String() {
		t.Fatalf("getrawtransaction returned %v", raw.Hash())
	}
	out2, err := n.Client().GetTxOut(&op2.Hash, op2.Index, false)
	if err != nil || out2 == nil || out2.Value != 60 {
		t.Fatalf("second output: %+v, %v", out2, err)
	}
}

func TestInvalidTxRefused(t *testing.T) {
	t.Parallel()
	n := Start(t, Options{})
	k := txtest.Key("invalid")
	script := p2pkhScript(t, k)
	op, prev := n.Fund(t, script, btcutil.SatoshiPerBitcoin)

	sign := func(tx *wire.MsgTx, key *btcec.PrivateKey) {
		sig, err := txscript.SignatureScript(tx, 0, script, txscript.SigHashAll, key, true)
		if err != nil {
			t.Fatal(err)
		}
		tx.TxIn[0].SignatureScript = sig
	}

	cases := []struct {
		name string
		tx   func() *wire.MsgTx
		want string // substring of the node's reason
	}{
		{"wrong key", func() *wire.MsgTx {
			tx := txtest.SpendTo(prev, op, script, 1000)
			sign(tx, txtest.Key("someone else"))
			return tx
		}, "failed to validate input"},
		{"overspend", func() *wire.MsgTx {
			tx := txtest.SpendTo(prev, op, script, -1000)
			sign(tx, k)
			return tx
		}, "total value of all transaction inputs"},
		{"missing input", func() *wire.MsgTx {
			bogus := op
			bogus.Hash[0] ^= 0xff
			tx := txtest.SpendTo(prev, bogus, script, 1000)
			sign(tx, k)
			return tx
		}, "missing-inputs"},
		{"dust output (policy, --rejectnonstd)", func() *wire.MsgTx {
			tx := txtest.SpendTo(prev, op, script, 1000)
			tx.AddTxOut(wire.NewTxOut(100, txtest.P2WPKHScript(t, k, Params)))
			tx.TxOut[0].Value -= 100
			sign(tx, k)
			return tx
		}, "dust"},
	}
	for _, c := range cases {
		tx := c.tx()
		ok, reason := n.TestMempoolAccept(t, tx)
		t.Logf("%s: testmempoolaccept allowed=%v reason=%q", c.name, ok, reason)
		if ok || !strings.Contains(reason, c.want) {
			t.Errorf("%s: allowed=%v reason=%q, want refusal containing %q", c.name, ok, reason, c.want)
		}
		_, err := n.TrySend(tx)
		t.Logf("%s: sendrawtransaction: %v", c.name, err)
		var rpcErr *btcjson.RPCError
		if !errors.As(err, &rpcErr) {
			t.Errorf("%s: sendrawtransaction error %v, want an RPC error", c.name, err)
		}
	}

	// The correctly signed spend is accepted, and Send works.
	good := txtest.SpendTo(prev, op, script, 1000)
	sign(good, k)
	if ok, reason := n.TestMempoolAccept(t, good); !ok {
		t.Fatalf("good tx refused: %s", reason)
	}
	if h := n.Send(t, good); *h != good.TxHash() {
		t.Fatalf("Send returned %v", h)
	}
	// A second copy is now a duplicate.
	if ok, reason := n.TestMempoolAccept(t, good); ok {
		t.Fatal("duplicate accepted")
	} else {
		t.Logf("duplicate: %q", reason)
	}
}

// TestActivationHeights measures the segwit/taproot activation on btcd
// v0.24.2 regtest and proves a BIP86 key-path spend works afterwards.
func TestActivationHeights(t *testing.T) {
	t.Parallel()
	n := Start(t, Options{})
	start := time.Now()

	wk := txtest.Key("segwit")
	tk := txtest.Key("taproot internal")
	wScript, tScript := txtest.P2WPKHScript(t, wk, Params), p2trScript(t, tk)
	// Paying witness scripts works before activation.
	wOp, wPrev := n.Fund(t, wScript, 2*btcutil.SatoshiPerBitcoin)
	tOp, tPrev := n.Fund(t, tScript, 3*btcutil.SatoshiPerBitcoin)
	dest := txtest.P2WPKHScript(t, txtest.Key("dest"), Params)

	wSpend := txtest.SpendTo(wPrev, wOp, dest, 500)
	txtest.SignP2WPKH(t, wSpend, wPrev.TxOut[wOp.Index], wk)
	tSpend := txtest.SpendTo(tPrev, tOp, dest, 500)
	signP2TRKeyPath(t, tSpend, tPrev.TxOut[tOp.Index], tk)

	// BIP9 state for the block after the tip, as getblockchaininfo reports.
	checkpoints := []struct {
		tip  int32
		want string
	}{{142, "defined"}, {143, "started"}, {286, "started"}, {287, "lockedin"}, {SegwitActivationHeight - 2, "lockedin"}}
	for _, c := range checkpoints {
		if h := n.Height(t); h < c.tip {
			n.Generate(t, uint32(c.tip-h))
		}
		for _, f := range []string{"segwit", "taproot"} {
			if got := n.SoftForkStatus(t, f); got != c.want {
				t.Errorf("tip %d: %s %q, want %q", c.tip, f, got, c.want)
			}
		}
	}
	if h := n.Height(t); h != SegwitActivationHeight-2 {
		t.Fatalf("at %d", h)
	}
	// Tip 430: the next block (431) does not enforce segwit; witness
	// spends are refused.
	for name, tx := range map[string]*wire.MsgTx{"p2wpkh": wSpend, "p2tr": tSpend} {
		ok, reason := n.TestMempoolAccept(t, tx)
		t.Logf("tip 430, %s spend: allowed=%v reason=%q", name, ok, reason)
		if ok {
			t.Errorf("tip 430: %s spend accepted before activation", name)
		}
	}

	ActivateSegwitTaproot(t, n)
	if h := n.Height(t); h != SegwitActivationHeight-1 {
		t.Fatalf("ActivateSegwitTaproot left the tip at %d", h)
	}
	t.Logf("activation reached in %v (including 2 Funds)", time.Since(start))

	// Taproot rules are enforced, not just witness v1 tolerated: a
	// key-path spend with a corrupted schnorr signature is refused.
	bad := tSpend.Copy()
	bad.TxIn[0].Witness = wire.TxWitness{append([]byte(nil), tSpend.TxIn[0].Witness[0]...)}
	bad.TxIn[0].Witness[0][10] ^= 1
	if ok, reason := n.TestMempoolAccept(t, bad); ok {
		t.Fatal("p2tr spend with a bad signature accepted after activation")
	} else {
		t.Logf("tip 431, bad p2tr signature: %q", reason)
	}
	for name, tx := range map[string]*wire.MsgTx{"p2wpkh": wSpend, "p2tr": tSpend} {
		if ok, reason := n.TestMempoolAccept(t, tx); !ok {
			t.Fatalf("tip 431: %s spend refused: %s", name, reason)
		}
		n.Send(t, tx)
	}
	blocks := n.Generate(t, 1)
	blk, err := n.Client().GetBlock(blocks[0])
	if err != nil {
		t.Fatal(err)
	}
	mined := map[string]bool{}
	for _, tx := range blk.Transactions {
		mined[tx.TxHash().String()] = true
	}
	if !mined[wSpend.TxHash().String()] || !mined[tSpend.TxHash().String()] {
		t.Fatalf("block %d lacks the witness spends", SegwitActivationHeight)
	}
	if len(tSpend.TxIn[0].Witness) != 1 || len(tSpend.TxIn[0].Witness[0]) != schnorr.SignatureSize {
		t.Fatalf("p2tr witness is not a lone 64-byte schnorr signature")
	}

	// Idempotent past activation; Fund keeps working.
	ActivateSegwitTaproot(t, n)
	n.Fund(t, tScript, btcutil.SatoshiPerBitcoin)
}

func TestReorg(t *testing.T) {
	t.Parallel()
	a := Start(t, Options{Listen: true})
	b := Start(t, Options{Listen: true})
	if a.MiningAddress().EncodeAddress() == b.MiningAddress().EncodeAddress() {
		t.Fatal("two nodes share a mining address")
	}

	// A deposit that gets confirmed only on a's soon-stale branch.
	k := txtest.Key("reorg")
	op, prev := a.Fund(t, p2pkhScript(t, k), btcutil.SatoshiPerBitcoin)
	deposit := txtest.SpendTo(prev, op, txtest.P2WPKHScript(t, txtest.Key("deposit"), Params), 1000)
	sig, err := txscript.SignatureScript(deposit, 0, prev.TxOut[op.Index].PkScript, txscript.SigHashAll, k, true)
	if err != nil {
		t.Fatal(err)
	}
	deposit.TxIn[0].SignatureScript = sig

	start := time.Now()
	base := a.Height(t)
	orphaned, winning := ReorgWith(t, a, b, 3, []*wire.MsgTx{deposit}, nil)
	t.Logf("3-block reorg took %v", time.Since(start))
	if len(orphaned) != 3 || len(winning) != 4 {
		t.Fatalf("orphaned %d, winning %d", len(orphaned), len(winning))
	}
	if ha, hb := a.Height(t), b.Height(t); ha != base+4 || hb != base+4 {
		t.Fatalf("heights a=%d b=%d, want %d", ha, hb, base+4)
	}
	if !a.BestHash(t).IsEqual(winning[3]) {
		t.Fatal("a not on b's chain")
	}
	// The stale block with the deposit is still known to a, but not in
	// its main chain.
	blk, err := a.Client().GetBlock(orphaned[0])
	if err != nil {
		t.Fatalf("stale block unknown to a: %v", err)
	}
	if len(blk.Transactions) != 2 || blk.Transactions[1].TxHash() != deposit.TxHash() {
		t.Fatalf("stale block does not hold the deposit")
	}
	// After the reorg the deposit is unconfirmed again: back in a's
	// mempool, not in the UTXO set as confirmed.
	depositHash := deposit.TxHash()
	out, err := a.Client().GetTxOut(&depositHash, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		t.Fatalf("deposit still confirmed after reorg: %+v", out)
	}
	pool, err := a.Client().GetRawMempool()
	if err != nil {
		t.Fatal(err)
	}
	inPool := false
	for _, h := range pool {
		inPool = inPool || *h == deposit.TxHash()
	}
	t.Logf("deposit back in a's mempool after reorg: %v", inPool)
	if !inPool {
		t.Error("deposit not returned to a's mempool")
	}
	// A second reorg in the same test works (nodes are reconnected).
	Reorg(t, a, b, 1)

	// Both nodes can fund on the shared chain: each spends only its own
	// coinbases, so their funding transactions never conflict.
	opB, _ := b.Fund(t, txtest.P2WPKHScript(t, k, Params), btcutil.SatoshiPerBitcoin)
	a.WaitForTip(t, b.BestHash(t), time.Minute)
	opA, _ := a.Fund(t, txtest.P2WPKHScript(t, k, Params), btcutil.SatoshiPerBitcoin)
	b.WaitForTip(t, a.BestHash(t), time.Minute)
	for _, n := range []*Node{a, b} {
		for _, op := range []wire.OutPoint{opA, opB} {
			if out, err := n.Client().GetTxOut(&op.Hash, op.Index, false); err != nil || out == nil {
				t.Fatalf("%v not visible on both nodes: %v %v", op, out, err)
			}
		}
	}
}

// TestDaemonSurvivesReorg: chain.dat follows a reorg of a persistent
// daemon, so the restart resumes the winning chain.
func TestDaemonSurvivesReorg(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "chain")
	a := launchPersistent(t, daemon.Config{Dir: dir, Listen: true})
	b := Start(t, Options{Listen: true})
	a.Generate(t, 5)
	orphaned, winning := Reorg(t, a, b, 2)
	a.DisconnectAll(t)
	if err := a.Daemon().Stop(); err != nil {
		t.Fatal(err)
	}
	a2 := launchPersistent(t, daemon.Config{Dir: dir})
	if best := a2.BestHash(t); *best != *winning[len(winning)-1] {
		t.Fatalf("tip after restart %v, want the winning %v", best, winning[len(winning)-1])
	}
	if _, err := a2.Client().GetBlockVerbose(orphaned[0]); err == nil {
		t.Logf("note: stale block %v known after restart", orphaned[0])
	}
	if h := a2.Height(t); h != 8 {
		t.Fatalf("height %d, want 8", h)
	}
}

// launchPersistent launches a daemon on cfg.Dir, which Start cannot (its
// Dir is Ephemeral), and wraps it in a Node for Reorg. The daemon is
// stopped at the end of the test (a second Stop is harmless).
func launchPersistent(t *testing.T, cfg daemon.Config) *Node {
	t.Helper()
	d, err := daemon.Launch(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("btcd log tail:\n%s", d.LogTail(30))
		}
		d.Stop()
	})
	return &Node{d: d, added: map[string]bool{}}
}
