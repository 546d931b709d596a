package cfilter

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/online/chain"
	"airsign/online/regtest"
	"airsign/psbt/descriptor"
)

func dial(t *testing.T, params *chaincfg.Params, peers ...string) (*Client, error) {
	t.Helper()
	c, err := Dial(context.Background(), Config{Peers: peers, Params: params, Timeout: 10 * time.Second, Logf: t.Logf})
	if err == nil {
		t.Cleanup(c.Close)
	}
	return c, err
}

func key(label string) *btcec.PrivateKey {
	sum := sha256.Sum256([]byte("airsign cfilter_test " + label))
	k, _ := btcec.PrivKeyFromBytes(sum[:])
	return k
}

func p2wpkh(t testing.TB, k *btcec.PrivateKey) []byte {
	t.Helper()
	a, err := btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(k.PubKey().SerializeCompressed()), regtest.Params)
	if err != nil {
		t.Fatal(err)
	}
	s, err := txscript.PayToAddrScript(a)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// spend pays prev's output op, locked to k's P2WPKH, to pkScript.
func spend(t testing.TB, prev *wire.MsgTx, op wire.OutPoint, k *btcec.PrivateKey, pkScript []byte) *wire.MsgTx {
	t.Helper()
	out := prev.TxOut[op.Index]
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&op, nil, nil))
	tx.AddTxOut(wire.NewTxOut(out.Value-1000, pkScript))
	fetcher := txscript.NewCannedPrevOutputFetcher(out.PkScript, out.Value)
	w, err := txscript.WitnessSignature(tx, txscript.NewTxSigHashes(tx, fetcher), 0, out.Value, out.PkScript, txscript.SigHashAll, k, true)
	if err != nil {
		t.Fatal(err)
	}
	tx.TxIn[0].Witness = w
	return tx
}

func wantTip(t *testing.T, c *Client, n *regtest.Node) int32 {
	t.Helper()
	h, hash, err := c.Tip(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if wantH, wantHash := n.Height(t), *n.BestHash(t); h != wantH || hash != wantHash {
		t.Fatalf("Tip = %d %v, want the node's %d %v", h, hash, wantH, wantHash)
	}
	return h
}

// matching returns the heights in (from, to] whose blocks BlockIfMatches
// fetched for scripts.
func matching(t *testing.T, c *Client, from, to int32, scripts ...[]byte) []int32 {
	t.Helper()
	ctx := context.Background()
	var got []int32
	for h := from + 1; h <= to; h++ {
		hash, err := c.BlockHash(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		b, prev, err := c.BlockIfMatches(ctx, hash, scripts)
		if err != nil {
			t.Fatalf("BlockIfMatches(%d): %v", h, err)
		}
		if want, _ := c.BlockHash(ctx, h-1); prev != want {
			t.Errorf("BlockIfMatches(%d): prev %v, want %v", h, prev, want)
		}
		if b != nil {
			got = append(got, h)
		}
	}
	return got
}

// The client follows a btcd node's tip over P2P, fetches only the block
// that pays or spends a script, and broadcasts a spend the node confirms.
func TestFollowFilterBroadcast(t *testing.T) {
	n := regtest.Start(t, regtest.Options{Listen: true})
	regtest.ActivateSegwitTaproot(t, n) // also makes btcd current: it ignores filter requests before
	c, err := dial(t, regtest.Params, n.P2PAddr())
	if err != nil {
		t.Fatal(err)
	}
	start := wantTip(t, c, n)

	ours, theirs := key("ours"), key("theirs")
	script := p2wpkh(t, ours)
	n.Generate(t, 2)
	op, fund := n.Fund(t, script, btcutil.Amount(50_000_000))
	fundHeight := n.Height(t)
	n.Generate(t, 3)
	tip := wantTip(t, c, n)

	if got, want := matching(t, c, start, tip, script), []int32{fundHeight}; !slices.Equal(got, want) {
		t.Errorf("blocks fetched for our script at heights %v, want %v (the funding block only)", got, want)
	}
	st := c.Stats()
	if st.BlocksFetched != 1 || st.BlocksSkipped != int64(tip-start-1) {
		t.Errorf("Stats = %+v, want 1 block fetched and %d skipped", st, tip-start-1)
	}

	tx := spend(t, fund, op, ours, p2wpkh(t, theirs))
	txid, err := c.Broadcast(context.Background(), tx)
	if err != nil || txid != tx.TxHash() {
		t.Fatalf("Broadcast = %v, %v; want %v", txid, err, tx.TxHash())
	}
	if ids, _ := c.MempoolTxids(context.Background()); !slices.Contains(ids, txid) {
		t.Errorf("MempoolTxids = %v, want it to hold the broadcast %v", ids, txid)
	}
	// The same transaction again: the node has it.
	if _, err := c.Broadcast(context.Background(), tx); !errors.Is(err, chain.ErrDoubleBroadcast) {
		t.Errorf("second Broadcast = %v, want a double broadcast", err)
	}
	n.Generate(t, 1)
	tip2 := wantTip(t, c, n)
	// The spend matches on the script it spends.
	if got := matching(t, c, tip, tip2, script); !slices.Equal(got, []int32{tip2}) {
		t.Errorf("blocks fetched for the spend at %v, want [%d]", got, tip2)
	}
	if ids, _ := c.MempoolTxids(context.Background()); slices.Contains(ids, txid) {
		t.Errorf("MempoolTxids still holds %v after it confirmed", txid)
	}

	// A double spend of the confirmed coin: refused with btcd's reason.
	double := spend(t, fund, op, ours, script)
	_, err = c.Broadcast(context.Background(), double)
	var be *chain.BroadcastError
	if !errors.As(err, &be) || be.Reason == "" || errors.Is(err, chain.ErrDoubleBroadcast) {
		t.Errorf("Broadcast(double spend) = %v, want a refusal with the node's reason", err)
	}
	if rate, src, err := c.FeeRate(context.Background(), 6, 7); rate != 7 || err != nil || !strings.HasPrefix(src, chain.FeeSourceFallback) {
		t.Errorf("FeeRate = %v %q %v, want the fallback 7", rate, src, err)
	}
}

// A peer on another network, or another chain with the same message start,
// is refused at connect with a message that says so.
func TestWrongNetworkRefused(t *testing.T) {
	n := regtest.Start(t, regtest.Options{Listen: true})
	n.Generate(t, 1)
	otherGenesis := chaincfg.RegressionNetParams
	otherGenesis.Name = "regtest-other"
	otherGenesis.GenesisHash = chaincfg.MainNetParams.GenesisHash
	for _, tc := range []struct {
		params *chaincfg.Params
		want   string
	}{
		{&chaincfg.TestNet3Params, "is it a testnet3 node"},
		{&chaincfg.MainNetParams, "is it a mainnet node"},
		{&chaincfg.SigNetParams, "is it a signet node"},
		{descriptor.Testnet4.Params(), "is it a testnet4 node, and is that its P2P port (testnet4's default is 48333)"},
		{&otherGenesis, "genesis"},
	} {
		t.Run(tc.params.Name, func(t *testing.T) {
			_, err := dial(t, tc.params, n.P2PAddr())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Dial(%s) to a regtest node = %v, want an error containing %q", tc.params.Name, err, tc.want)
			}
		})
	}
	if _, err := dial(t, regtest.Params, n.P2PAddr()); err != nil {
		t.Errorf("Dial(regtest) = %v", err)
	}
}

// Two peers that fork: the client follows the one with more work, and a
// block of the losing branch is no longer on its chain.
func TestReorgAcrossPeers(t *testing.T) {
	a := regtest.Start(t, regtest.Options{Listen: true})
	b := regtest.Start(t, regtest.Options{Listen: true})
	a.Generate(t, 1)
	a.Connect(t, b)
	b.WaitForTip(t, a.BestHash(t), time.Minute)
	c, err := dial(t, regtest.Params, a.P2PAddr(), b.P2PAddr())
	if err != nil {
		t.Fatal(err)
	}
	orphaned, winning := regtest.Reorg(t, a, b, 2)
	h, hash, err := c.Tip(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if hash != *winning[len(winning)-1] || h != b.Height(t) {
		t.Errorf("Tip = %d %v, want b's %d %v", h, hash, b.Height(t), winning[len(winning)-1])
	}
	if _, _, err := c.BlockIfMatches(context.Background(), *orphaned[0], [][]byte{{0x51}}); err == nil || !strings.Contains(err.Error(), "not on the peers' best chain") {
		t.Errorf("BlockIfMatches(orphaned) = %v, want it refused as off the chain", err)
	}
	for i, w := range winning {
		got, err := c.BlockHash(context.Background(), h-int32(len(winning)-1-i))
		if err != nil || got != *w {
			t.Errorf("BlockHash = %v %v, want %v", got, err, w)
		}
	}
}

// The header chain refuses headers that do not link or lack proof of work,
// and switches forks only for strictly more work.
func TestHeaderChainConnect(t *testing.T) {
	now := func() time.Time { return time.Unix(1_700_000_000, 0) }
	params := &chaincfg.RegressionNetParams
	mine := func(prev chainhash.Hash, nonceBase uint32, n int) []*wire.BlockHeader {
		var out []*wire.BlockHeader
		for i := 0; i < n; i++ {
			h := &wire.BlockHeader{Version: 4, PrevBlock: prev, Timestamp: now(), Bits: params.PowLimitBits, Nonce: nonceBase}
			for {
				hash := h.BlockHash()
				if blockchainOK(params, h, hash) {
					break
				}
				h.Nonce++
			}
			out = append(out, h)
			prev = h.BlockHash()
			nonceBase = h.Nonce + 1
		}
		return out
	}
	c := newHeaderChain(params, now)
	main := mine(*params.GenesisHash, 0, 3)
	if changed, err := c.connect(main); !changed || err != nil {
		t.Fatalf("connect(main) = %v, %v", changed, err)
	}
	side := mine(*params.GenesisHash, 1<<20, 3) // equal work: the first seen stays
	if changed, err := c.connect(side); changed || err != nil {
		t.Errorf("connect(equal-work fork) = %v, %v; want no change", changed, err)
	}
	longer := append(side, mine(side[2].BlockHash(), 1<<21, 1)...)
	if changed, err := c.connect(longer); !changed || err != nil {
		t.Errorf("connect(longer fork) = %v, %v; want a switch", changed, err)
	}
	if h, tip := c.tip(); h != 4 || tip != longer[3].BlockHash() {
		t.Errorf("tip = %d %v, want 4 %v", h, tip, longer[3].BlockHash())
	}
	if _, ok := c.index[main[2].BlockHash()]; ok {
		t.Error("a block of the abandoned branch is still indexed")
	}
	for _, tc := range []struct {
		name string
		hs   func() []*wire.BlockHeader
		want string
	}{
		{"unknown parent", func() []*wire.BlockHeader { return mine(chainhash.Hash{1}, 0, 1) }, "do not build on our chain"},
		{"broken link", func() []*wire.BlockHeader {
			hs := mine(c.hashes[4], 0, 2)
			hs[1] = mine(chainhash.Hash{2}, 0, 1)[0]
			return hs
		}, "not on the header before it"},
		{"bits above limit", func() []*wire.BlockHeader {
			h := mine(c.hashes[4], 0, 1)[0]
			h.Bits = 0x2100ffff
			return []*wire.BlockHeader{h}
		}, "proof-of-work limit"},
		{"future", func() []*wire.BlockHeader {
			h := mine(c.hashes[4], 0, 1)[0]
			h.Timestamp = now().Add(3 * time.Hour)
			for !blockchainOK(params, h, h.BlockHash()) {
				h.Nonce++
			}
			return []*wire.BlockHeader{h}
		}, "ahead of ours"},
	} {
		if _, err := c.connect(tc.hs()); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: connect = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

func blockchainOK(p *chaincfg.Params, h *wire.BlockHeader, hash chainhash.Hash) bool {
	return (&headerChain{params: p}).checkWork(h, hash) == nil
}

// FuzzHeaderChain feeds hostile header batches: whatever connect accepts,
// the chain stays rooted at genesis and its index matches its hashes.
func FuzzHeaderChain(f *testing.F) {
	f.Add([]byte{}, uint8(1))
	f.Add(make([]byte, 80*3), uint8(2))
	now := func() time.Time { return time.Unix(1_700_000_000, 0) }
	f.Fuzz(func(t *testing.T, data []byte, batches uint8) {
		params := &chaincfg.RegressionNetParams
		c := newHeaderChain(params, now)
		per := len(data) / 80 / max(int(batches%8), 1)
		for len(data) >= 80 {
			var hs []*wire.BlockHeader
			for i := 0; i <= per && len(data) >= 80; i++ {
				var h wire.BlockHeader
				if err := h.Deserialize(strings.NewReader(string(data[:80]))); err != nil {
					t.Fatal(err)
				}
				data = data[80:]
				// Link to our tip half the time, so batches connect.
				if h.Version%2 == 0 {
					_, h.PrevBlock = c.tip()
				}
				hs = append(hs, &h)
			}
			_, _ = c.connect(hs)
		}
		if c.hashes[0] != *params.GenesisHash || len(c.hashes) != len(c.bits) || len(c.index) != len(c.hashes) {
			t.Fatalf("chain broken: %d hashes, %d bits, %d indexed", len(c.hashes), len(c.bits), len(c.index))
		}
		for i, h := range c.hashes {
			if c.index[h] != int32(i) {
				t.Fatalf("index[%v] = %d, want %d", h, c.index[h], i)
			}
		}
	})
}
