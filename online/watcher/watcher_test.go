package watcher

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/offline/hd"
	"airsign/online/chain"
	"airsign/online/chain/cfilter"
	"airsign/online/regtest"
	"airsign/online/store"
	"airsign/psbt/descriptor"
)

// testDescriptor is a P2WPKH account of a seed that exists only in tests.
func testDescriptor(t testing.TB, seed byte) *descriptor.Descriptor {
	t.Helper()
	m, err := hd.MasterFromEntropy(bytes.Repeat([]byte{seed}, 16), descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Wipe()
	d, err := m.Account(descriptor.P2WPKH, 0)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

type fixture struct {
	node  *regtest.Node
	chain *chain.Client
	st    *store.Store
	path  string
	desc  *descriptor.Descriptor
}

func newFixture(t *testing.T, opts regtest.Options) *fixture {
	t.Helper()
	node := regtest.Start(t, opts)
	c, err := chain.Dial(chain.Config{URL: node.RPCURL(), User: node.RPCUser(), Pass: node.RPCPass()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	f := &fixture{node: node, chain: c, desc: testDescriptor(t, 7)}
	f.path = filepath.Join(t.TempDir(), "coordinator.db")
	f.reopen(t)
	if err := f.st.AddWallet(context.Background(), store.Wallet{Name: "hot", Network: "regtest",
		Descriptor: f.desc.String(), Birthday: 1, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) reopen(t *testing.T) {
	t.Helper()
	if f.st != nil {
		f.st.Close()
	}
	st, err := store.Open(f.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.st = st
}

func (f *fixture) script(t testing.TB, branch, index uint32) []byte {
	t.Helper()
	s, err := f.desc.PkScript(branch, index)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustSync(t *testing.T, w *Watcher) Report {
	t.Helper()
	r, err := w.Sync(context.Background())
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	return r
}

func balance(t *testing.T, st *store.Store) (btcutil.Amount, btcutil.Amount) {
	t.Helper()
	c, u, err := st.Balance(context.Background(), "hot")
	if err != nil {
		t.Fatal(err)
	}
	return c, u
}

// Deposits at several gaps, in one block and over several: what the gap
// limit promises is found, what lies beyond it is not.
func TestDepositsAndGaps(t *testing.T) {
	f := newFixture(t, regtest.Options{})
	w := New(f.chain, f.st, Options{})
	ctx := context.Background()

	// Block A: receive 0 and 19 (the last of the first 20) and change 9.
	// Block B: receive 38 (within 20 of 19) and 39+20=59 in the same
	// block only reachable through 38... no: 58 is reachable (38+20),
	// so pay 58 too. Receive 100 is beyond every gap and must stay unseen.
	pay := func(branch, index uint32, sats int64) wire.OutPoint {
		op, _ := f.node.Fund(t, f.script(t, branch, index), btcutil.Amount(sats))
		return op
	}
	pay(0, 0, 100_000)
	pay(0, 19, 200_000)
	pay(1, 9, 300_000)
	f.node.Generate(t, 1)
	r := mustSync(t, w)
	if got, want := len(r.Deposits), 3; got != want {
		t.Fatalf("first block: got %d deposits, want %d: %+v", got, want, r.Deposits)
	}
	pay(0, 38, 400_000)
	pay(0, 58, 500_000)
	hidden := pay(0, 100, 600_000)
	f.node.Generate(t, 1)
	r = mustSync(t, w)
	if got, want := len(r.Deposits), 2; got != want {
		t.Fatalf("second block: got %d deposits, want %d: %+v", got, want, r.Deposits)
	}
	conf, unconf := balance(t, f.st)
	if conf != 1_500_000 || unconf != 0 {
		t.Fatalf("balance: got %v confirmed %v unconfirmed, want 0.015 BTC confirmed", conf, unconf)
	}
	us, _ := f.st.UTXOs(ctx, "hot")
	for _, u := range us {
		if u.OutPoint == hidden {
			t.Fatalf("an output 42 past the last used address was found: the gap is not what it says")
		}
	}
	// The watch list now reaches 58+20 on receive and 9+10 on change.
	as, _ := f.st.Addresses(ctx, "hot")
	var last [2]uint32
	for _, a := range as {
		last[a.Branch] = max(last[a.Branch], a.Index)
	}
	if last != [2]uint32{78, 19} {
		t.Fatalf("derived up to %v, want [78 19]", last)
	}
	tip, _, _, _ := f.st.Tip(ctx)
	if h := f.node.Height(t); tip != h {
		t.Fatalf("store tip %d, node %d", tip, h)
	}
}

// A 3-block reorg moves a deposit into another block: it is credited once,
// at its new height, and the blocks the watcher had applied are undone.
func TestReorg(t *testing.T) {
	ctx := context.Background()
	a := newFixture(t, regtest.Options{Listen: true})
	b := regtest.Start(t, regtest.Options{Listen: true})
	w := New(a.chain, a.st, Options{})

	// Shared history with one deposit.
	a.node.Fund(t, a.script(t, 0, 0), 100_000)
	a.node.Generate(t, 1)
	a.node.Connect(t, b)
	b.WaitForTip(t, a.node.BestHash(t), 2*time.Minute)
	fork := a.node.Height(t)
	a.node.DisconnectAll(t)
	b.DisconnectAll(t)

	// a confirms the second deposit in the first of 3 stale blocks (Fund
	// mines that block).
	op, moved := a.node.Fund(t, a.script(t, 0, 1), 200_000)
	a.node.Generate(t, 2)
	staleTip := a.node.Height(t)
	if staleTip != fork+3 {
		t.Fatalf("a mined %d blocks past the fork, want 3", staleTip-fork)
	}
	mustSync(t, w)
	if got, want := heightOf(t, a.st, op), minedAt(t, a.chain, op.Hash, fork+1, staleTip); got != want {
		t.Fatalf("before the reorg: deposit at height %d, want %d", got, want)
	}

	// b mines one block without it, then confirms it, and outgrows a.
	b.Generate(t, 1)
	b.Send(t, moved)
	b.Generate(t, uint32(staleTip-fork))
	a.node.Connect(t, b)
	a.node.WaitForTip(t, b.BestHash(t), 2*time.Minute)

	r := mustSync(t, w)
	if want := staleTip - fork; int32(r.Disconnected) != want || int32(r.Applied) != want+1 {
		t.Fatalf("reorg: disconnected %d applied %d, want %d and %d", r.Disconnected, r.Applied, want, want+1)
	}
	if got := heightOf(t, a.st, op); got != fork+2 {
		t.Fatalf("after the reorg: deposit at height %d, want %d", got, fork+2)
	}
	conf, unconf := balance(t, a.st)
	if conf != 300_000 || unconf != 0 {
		t.Fatalf("balance after reorg: %v confirmed + %v unconfirmed, want 300000 confirmed once", conf, unconf)
	}
	h, hash, _, _ := a.st.Tip(ctx)
	if h != b.Height(t) || hash != *b.BestHash(t) {
		t.Fatalf("store tip %d %s, node tip %d %s", h, hash, b.Height(t), b.BestHash(t))
	}
}

// minedAt finds the block in from..to (main chain) holding txid.
func minedAt(t *testing.T, c *chain.Client, txid chainhash.Hash, from, to int32) int32 {
	t.Helper()
	ctx := context.Background()
	for h := from; h <= to; h++ {
		hash, err := c.BlockHash(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		b, err := c.Block(ctx, hash)
		if err != nil {
			t.Fatal(err)
		}
		for _, tx := range b.Transactions {
			if tx.TxHash() == txid {
				return h
			}
		}
	}
	t.Fatalf("%s is in no block from %d to %d", txid, from, to)
	return -1
}

func heightOf(t *testing.T, st *store.Store, op wire.OutPoint) int32 {
	t.Helper()
	us, err := st.UTXOs(context.Background(), "hot")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range us {
		if u.OutPoint == op {
			return u.Height
		}
	}
	t.Fatalf("%v is not among the wallet's outputs %+v", op, us)
	return -1
}

// cancelAfter is the real chain client whose context is cancelled after n
// blocks have been fetched: the watcher stops between two blocks or in the
// middle of one, as a killed process would (the store's own crash test
// covers a kill inside a commit).
type cancelAfter struct {
	Chain
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Block(ctx context.Context, hash chainhash.Hash) (*wire.MsgBlock, error) {
	c.n--
	if c.n == 0 {
		c.cancel()
	}
	return c.Chain.Block(ctx, hash)
}

type state struct {
	Tip       int32
	Hash      chainhash.Hash
	UTXOs     []store.UTXO
	Addresses []store.Address
	History   []store.Movement
}

func stateOf(t *testing.T, st *store.Store) state {
	t.Helper()
	ctx := context.Background()
	var s state
	var err error
	if s.Tip, s.Hash, _, err = st.Tip(ctx); err != nil {
		t.Fatal(err)
	}
	if s.UTXOs, err = st.UTXOs(ctx, "hot"); err != nil {
		t.Fatal(err)
	}
	if s.Addresses, err = st.Addresses(ctx, "hot"); err != nil {
		t.Fatal(err)
	}
	if s.History, err = st.History(ctx, "hot"); err != nil {
		t.Fatal(err)
	}
	return s
}

// Interrupted at any block and restarted (new process state: a reopened
// store and a new Watcher), the watcher ends in exactly the state of one
// uninterrupted scan.
func TestRestartMidScan(t *testing.T) {
	f := newFixture(t, regtest.Options{})
	for i := range uint32(12) {
		f.node.Fund(t, f.script(t, i%2, i*3), btcutil.Amount(10_000*(i+1)))
		f.node.Generate(t, 2)
	}
	mustSync(t, New(f.chain, f.st, Options{}))
	want := stateOf(t, f.st)
	if len(want.UTXOs) != 12 {
		t.Fatalf("reference scan found %d deposits, want 12", len(want.UTXOs))
	}

	for _, stopAt := range []int{1, 7, 60, 101, 118} {
		t.Run(fmt.Sprint("stop after block ", stopAt), func(t *testing.T) {
			g := &fixture{node: f.node, chain: f.chain, desc: f.desc, path: filepath.Join(t.TempDir(), "c.db")}
			g.reopen(t)
			if err := g.st.AddWallet(context.Background(), store.Wallet{Name: "hot", Network: "regtest",
				Descriptor: f.desc.String(), Birthday: 1, Created: time.Now()}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if _, err := New(&cancelAfter{Chain: g.chain, n: stopAt, cancel: cancel}, g.st, Options{}).Sync(ctx); err == nil {
				t.Fatal("the interrupted Sync reported success")
			}
			if got := stateOf(t, g.st); got.Tip >= want.Tip {
				t.Fatalf("interrupted scan reached %d; the test interrupted nothing", got.Tip)
			}
			g.reopen(t)
			mustSync(t, New(g.chain, g.st, Options{}))
			if got := stateOf(t, g.st); !reflect.DeepEqual(got, want) {
				t.Fatalf("after restart:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// A wallet registered after the store has scanned past its birthday gets
// its history through Rescan, and the other wallets keep theirs.
func TestRescanForLateWallet(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, regtest.Options{})
	late := testDescriptor(t, 9)
	lateScript, _ := late.PkScript(0, 3)
	f.node.Fund(t, f.script(t, 0, 0), 50_000)
	f.node.Fund(t, lateScript, 70_000)
	f.node.Generate(t, 1)
	w := New(f.chain, f.st, Options{})
	mustSync(t, w)
	before := stateOf(t, f.st)

	if err := f.st.AddWallet(ctx, store.Wallet{Name: "late", Network: "regtest", Descriptor: late.String(),
		Birthday: 50, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := w.Rescan(ctx, 50); err != nil {
		t.Fatal(err)
	}
	mustSync(t, w)
	if c, _, _ := f.st.Balance(ctx, "late"); c != 70_000 {
		t.Fatalf("late wallet balance %v, want 70000", c)
	}
	if after := stateOf(t, f.st); !reflect.DeepEqual(after, before) {
		t.Fatalf("the first wallet changed in the rescan:\n got %+v\nwant %+v", after, before)
	}
}

// A deposit is seen in the mempool, then confirmed in a block; counting it
// twice would show in the balance.
func TestMempoolThenBlock(t *testing.T) {
	f := newFixture(t, regtest.Options{})
	w := New(f.chain, f.st, Options{})
	f.node.Fund(t, f.script(t, 0, 0), 1000) // matures the harness coinbases first
	f.node.Generate(t, 1)
	mustSync(t, w)
	op := payUnconfirmed(t, f.node, f.script(t, 0, 4), 250_000)
	r := mustSync(t, w)
	if r.Mempool != 1 {
		t.Fatalf("mempool: got %d transactions, want 1", r.Mempool)
	}
	if c, u := balance(t, f.st); c != 1000 || u != 250_000 {
		t.Fatalf("balance with the deposit in the mempool: %v confirmed %v unconfirmed", c, u)
	}
	f.node.Generate(t, 1)
	r = mustSync(t, w)
	if c, u := balance(t, f.st); c != 251_000 || u != 0 {
		t.Fatalf("balance after the block: %v confirmed %v unconfirmed, want 251000 and 0", c, u)
	}
	if h := heightOf(t, f.st, op); h != r.Height {
		t.Fatalf("deposit at %d, want the new block %d", h, r.Height)
	}
}

// payUnconfirmed pays sats to script in a transaction left in the node's
// mempool (Fund confirms its payments): it funds a P2PKH key of the test's
// own and spends that without mining.
func payUnconfirmed(t *testing.T, n *regtest.Node, script []byte, sats int64) wire.OutPoint {
	t.Helper()
	key, err := btcec.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	addr, err := btcutil.NewAddressPubKeyHash(btcutil.Hash160(key.PubKey().SerializeCompressed()), regtest.Params)
	if err != nil {
		t.Fatal(err)
	}
	p2pkh, _ := txscript.PayToAddrScript(addr)
	prev, _ := n.Fund(t, p2pkh, btcutil.Amount(sats+10_000))
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&prev, nil, nil))
	tx.AddTxOut(wire.NewTxOut(sats, script))
	sig, err := txscript.SignatureScript(tx, 0, p2pkh, txscript.SigHashAll, key, true)
	if err != nil {
		t.Fatal(err)
	}
	tx.TxIn[0].SignatureScript = sig
	return wire.OutPoint{Hash: *n.Send(t, tx), Index: 0}
}

// A node behind our tip on the same chain (restarting, or still syncing)
// is waited for, not treated as a reorg that undoes our blocks.
func TestNodeBehindIsNotAReorg(t *testing.T) {
	a := newFixture(t, regtest.Options{Listen: true})
	b := regtest.Start(t, regtest.Options{Listen: true})
	a.node.Fund(t, a.script(t, 0, 0), 100_000)
	a.node.Connect(t, b)
	b.WaitForTip(t, a.node.BestHash(t), 2*time.Minute)
	a.node.DisconnectAll(t)
	b.DisconnectAll(t)
	a.node.Fund(t, a.script(t, 0, 1), 200_000) // only a has this block
	mustSync(t, New(a.chain, a.st, Options{}))
	before := stateOf(t, a.st)

	bc, err := chain.Dial(chain.Config{URL: b.RPCURL(), User: b.RPCUser(), Pass: b.RPCPass()})
	if err != nil {
		t.Fatal(err)
	}
	defer bc.Close()
	r := mustSync(t, New(bc, a.st, Options{}))
	if !r.NodeBehind || r.Disconnected != 0 || r.Height != before.Tip {
		t.Fatalf("node behind: report %+v, want NodeBehind at our tip %d and nothing undone", r, before.Tip)
	}
	if after := stateOf(t, a.st); !reflect.DeepEqual(after, before) {
		t.Fatalf("state changed while the node was behind:\n got %+v\nwant %+v", after, before)
	}
}

// Two wallets that derive the same scripts (a copy registered before
// wallets were identified by what they pay to): the first keeps them, the
// copy is not credited, the collision is reported, and a deposit seen
// first in the mempool no longer wedges every later sync.
func TestScriptClaimedTwice(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, regtest.Options{})
	// The same descriptor without its checksum: another string, the same
	// scripts, registered after "hot". "zcopy" sorts after "hot", and was
	// the one read last, which used to take every script.
	spelled := f.desc.String()
	spelled = spelled[:strings.LastIndexByte(spelled, '#')]
	if err := f.st.AddWallet(ctx, store.Wallet{Name: "zcopy", Network: "regtest", Descriptor: spelled, Birthday: 1, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	w := New(f.chain, f.st, Options{})
	r := mustSync(t, w)
	if len(r.Collisions) == 0 || !strings.Contains(r.Collisions[0], `wallet "zcopy"`) || !strings.Contains(r.Collisions[0], `wallet "hot"`) {
		t.Fatalf("collisions %q, want the copy and hot named", r.Collisions)
	}
	// A deposit into the mempool, then into a block.
	payUnconfirmed(t, f.node, f.script(t, 0, 2), 150_000)
	mustSync(t, w)
	f.node.Generate(t, 1)
	mustSync(t, w)
	mustSync(t, w)
	for _, tc := range []struct {
		wallet string
		want   btcutil.Amount
	}{{"hot", 150_000}, {"zcopy", 0}} {
		c, u, err := f.st.Balance(ctx, tc.wallet)
		if err != nil {
			t.Fatal(err)
		}
		if c+u != tc.want {
			t.Errorf("wallet %s: %v, want %v (the first registered keeps the scripts)", tc.wallet, c+u, tc.want)
		}
	}
}

// With a FilterChain (the compact block filter backend) the watcher fetches
// only the blocks that touch its scripts, and finds the same deposits,
// relayed unconfirmed and then confirmed.
func TestFilterChainFetchesOnlyMatches(t *testing.T) {
	f := newFixture(t, regtest.Options{Listen: true})
	ctx := context.Background()
	f.node.Fund(t, f.script(t, 0, 0), 1000) // matures the harness coinbases first
	f.node.Generate(t, 2)
	cf, err := cfilter.Dial(ctx, cfilter.Config{Peers: []string{f.node.P2PAddr()}, Params: regtest.Params, Timeout: 10 * time.Second, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cf.Close)
	w := New(cf, f.st, Options{})
	r := mustSync(t, w)
	if len(r.Deposits) != 1 || r.Height != f.node.Height(t) {
		t.Fatalf("Sync: %d deposits at height %d, want 1 at %d", len(r.Deposits), r.Height, f.node.Height(t))
	}
	if st := cf.Stats(); st.BlocksFetched != 1 || st.BlocksSkipped != int64(r.Applied-1) {
		t.Errorf("Stats = %+v after applying %d blocks, want 1 fetched and the rest skipped", st, r.Applied)
	}
	op := payUnconfirmed(t, f.node, f.script(t, 0, 4), 250_000)
	// btcd announces transactions to peers on a trickle of up to 10 s.
	for deadline := time.Now().Add(45 * time.Second); ; {
		mustSync(t, w)
		if _, u := balance(t, f.st); u == 250_000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the unconfirmed deposit was not relayed to the watcher in 45 s")
		}
		time.Sleep(500 * time.Millisecond)
	}
	f.node.Generate(t, 1)
	r = mustSync(t, w)
	if c, u := balance(t, f.st); c != 251_000 || u != 0 {
		t.Fatalf("balance after the block: %v confirmed %v unconfirmed, want 251000 and 0", c, u)
	}
	if h := heightOf(t, f.st, op); h != r.Height {
		t.Fatalf("deposit at %d, want the new block %d", h, r.Height)
	}
	if st := cf.Stats(); st.BlocksFetched != 2 {
		t.Errorf("Stats = %+v, want 2 blocks fetched (the two deposits')", st)
	}
}
