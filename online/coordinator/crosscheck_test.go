package coordinator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"airsign/online/chain/cfilter"
	"airsign/online/regtest"
	"airsign/online/store"
	"airsign/psbt/descriptor"
)

func TestDisagreements(t *testing.T) {
	op := func(b byte, i uint32) wire.OutPoint { return wire.OutPoint{Hash: chainhash.Hash{b}, Index: i} }
	view := func(name string, tip int32, settled byte, coins map[wire.OutPoint]int32, spent map[wire.OutPoint]int32) chainView {
		v := chainView{name: name, tip: tip, hasTip: true, coins: coins, spent: spent}
		if settled != 0 {
			v.settled = chainhash.Hash{settled}
		}
		return v
	}
	coins := map[wire.OutPoint]int32{op(1, 0): 100, op(2, 1): 105}
	many := map[wire.OutPoint]int32{}
	for i := range uint32(5) {
		many[op(3, i)] = 90
	}
	for _, tc := range []struct {
		name string
		a, b chainView
		want []string
	}{
		{"same", view("rpc", 110, 7, coins, nil), view("filters", 110, 7, coins, nil), nil},
		{"tips within the depth", view("rpc", 110, 7, coins, nil), view("filters", 104, 7, coins, nil), nil},
		{"tips apart", view("rpc", 111, 7, coins, nil), view("filters", 104, 7, coins, nil),
			[]string{"rpc is at block 111 and filters at block 104, more than 6 blocks apart"}},
		{"different chains", view("rpc", 110, 7, coins, nil), view("filters", 110, 8, coins, nil),
			[]string{"at block 104 (6 below the lower tip) rpc has 0000000000000000000000000000000000000000000000000000000000000007 and filters has 0000000000000000000000000000000000000000000000000000000000000008: they follow different chains"}},
		{"a settled hash one view lacks is no finding", view("rpc", 110, 7, coins, nil), view("filters", 110, 0, coins, nil), nil},
		{"a recent coin one lacks", view("rpc", 110, 7, coins, nil), view("filters", 110, 7, map[wire.OutPoint]int32{op(1, 0): 100}, nil), nil},
		{"a settled coin one lacks", view("rpc", 111, 7, coins, nil), view("filters", 111, 7, map[wire.OutPoint]int32{op(2, 1): 105}, nil),
			[]string{"coin " + op(1, 0).String() + " (block 100) is unspent for rpc but unknown to filters"}},
		{"a settled coin only the check has", view("rpc", 111, 7, map[wire.OutPoint]int32{op(2, 1): 105}, nil), view("filters", 111, 7, coins, nil),
			[]string{"coin " + op(1, 0).String() + " (block 100) is unspent for filters but unknown to rpc"}},
		{"a settled spend", view("rpc", 112, 7, coins, nil), view("filters", 112, 7, map[wire.OutPoint]int32{op(1, 0): 100}, map[wire.OutPoint]int32{op(2, 1): 106}),
			[]string{"coin " + op(2, 1).String() + " (block 105) is unspent for rpc but spent in block 106 for filters"}},
		{"a recent spend", view("rpc", 111, 7, coins, nil), view("filters", 111, 7, map[wire.OutPoint]int32{op(1, 0): 100}, map[wire.OutPoint]int32{op(2, 1): 106}), nil},
		{"no block scanned", view("rpc", 111, 7, coins, nil), chainView{name: "filters"},
			[]string{"filters has scanned no block while rpc is at block 111"}},
		{"neither scanned", chainView{name: "rpc"}, chainView{name: "filters"}, nil},
		{"many coins", view("rpc", 110, 7, many, nil), view("filters", 110, 7, nil, nil), []string{
			"coin " + op(3, 0).String() + " (block 90) is unspent for rpc but unknown to filters",
			"coin " + op(3, 1).String() + " (block 90) is unspent for rpc but unknown to filters",
			"coin " + op(3, 2).String() + " (block 90) is unspent for rpc but unknown to filters",
			"2 more coins",
		}},
	} {
		if got := disagreements(tc.a, tc.b, 6); !slices.Equal(got, tc.want) {
			t.Errorf("%s: disagreements =\n%q\nwant\n%q", tc.name, got, tc.want)
		}
	}
}

// A coordinator on one btcd node cross-checked by the compact block
// filters of another: withdrawals are refused while the nodes follow
// forks that differ beyond the depth, with what each says, and allowed
// again once the nodes reconnect and agree; a check backend that stops
// answering stops them too.
func TestCrossCheckFork(t *testing.T) {
	ctx := context.Background()
	f := newFixtureWith(t, regtest.Options{Listen: true})
	a := f.node
	b := regtest.Start(t, regtest.Options{Listen: true})
	b.Connect(t, a)
	b.WaitForTip(t, a.BestHash(t), 2*time.Minute)
	// The filter client reaches b through a relay the test can cut: the
	// harness's nodes must run until it ends.
	relay := newRelay(t, b.P2PAddr())
	filters, err := cfilter.Dial(ctx, cfilter.Config{Peers: []string{relay.addr()}, Params: regtest.Params, Timeout: 10 * time.Second, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(filters.Close)
	checkSt, err := store.Open(filepath.Join(t.TempDir(), "crosscheck.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { checkSt.Close() })
	var mu sync.Mutex
	var logged []string
	const depth = 2
	f.c, err = New(Config{Store: f.st, Node: f.c.cfg.Node, Network: descriptor.Regtest, FallbackFeeRate: 2,
		Check: &CrossCheck{Node: filters, Store: checkSt, Name: "rpc A", CheckName: "filters B", Depth: depth,
			Logf: func(format string, args ...any) {
				mu.Lock()
				defer mu.Unlock()
				logged = append(logged, fmt.Sprintf(format, args...))
			}}})
	if err != nil {
		t.Fatal(err)
	}
	req := WithdrawRequest{Wallet: "treasury", To: foreignAddress(t, 3), Amount: 100_000, FeeRate: 3, Requester: "alice"}
	refusedBy := func(c *Coordinator, step string, want ...string) {
		t.Helper()
		_, perr := c.Preview(ctx, req)
		_, werr := c.Withdraw(ctx, req)
		for _, err := range []error{perr, werr} {
			if !errors.Is(err, ErrCrossCheck) {
				t.Fatalf("%s: %v, want a refusal by the cross-check", step, err)
			}
			for _, w := range want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%s: refusal %q does not say %q", step, err, w)
				}
			}
		}
	}
	refused := func(step string, want ...string) {
		t.Helper()
		refusedBy(f.c, step, want...)
	}
	allowed := func(step string) {
		t.Helper()
		if _, err := f.c.Preview(ctx, req); err != nil {
			t.Fatalf("%s: Preview: %v", step, err)
		}
	}

	f.addWallet(t, "treasury", descriptor.P2WPKH, 9)
	f.deposit(t, "treasury", 300_000)
	a.Generate(t, depth+1)
	b.WaitForTip(t, a.BestHash(t), 2*time.Minute)
	f.sync(t)
	allowed("both nodes on one chain")

	// The nodes part; a confirms a deposit b never sees, and each mines
	// on its own until the fork is deeper than the depth.
	a.DisconnectAll(t)
	b.DisconnectAll(t)
	fork := a.Height(t)
	f.deposit(t, "treasury", 200_000)
	a.Generate(t, depth)
	b.Generate(t, depth+1)
	f.sync(t)
	refused("after the fork", "disagree beyond 2 blocks since", "unknown to filters B",
		fmt.Sprintf("at block %d (2 below the lower tip) rpc A has", fork+1), "they follow different chains",
		"Find which node is wrong")
	// Another coordinator on the same database, which never syncs (another
	// process holds the watcher lease): it compares when asked.
	otherSt, err := store.Open(filepath.Join(t.TempDir(), "crosscheck.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { otherSt.Close() })
	other, err := New(Config{Store: f.st, Node: f.c.cfg.Node, Network: descriptor.Regtest, FallbackFeeRate: 2,
		Check: &CrossCheck{Node: filters, Store: otherSt, Name: "rpc A", CheckName: "filters B", Depth: depth}})
	if err != nil {
		t.Fatal(err)
	}
	refusedBy(other, "by a coordinator that does not sync", "unknown to filters B")

	// a's chain is longer: b takes it once they reconnect.
	a.Generate(t, 1)
	b.Connect(t, a)
	b.WaitForTip(t, a.BestHash(t), 2*time.Minute)
	f.sync(t)
	allowed("after b reorganised onto a's chain")
	if bal, _ := f.c.Balance(ctx, "treasury"); bal.Confirmed != 500_000 {
		t.Errorf("confirmed balance %v, want both deposits' 500000 sat", bal.Confirmed)
	}

	// The check backend goes away: withdrawals stop until it answers.
	relay.cut()
	f.sync(t)
	refused("with the check backend gone", "filters B could not be asked", "remove \"check_backend\"")

	mu.Lock()
	defer mu.Unlock()
	var events []string
	for _, l := range logged {
		switch {
		case strings.Contains(l, "backends disagree"):
			events = append(events, "disagree")
		case strings.Contains(l, "agree again"):
			events = append(events, "agree")
		case strings.Contains(l, "could not be asked"):
			events = append(events, "unanswered")
		}
	}
	if want := []string{"disagree", "agree", "unanswered"}; !slices.Equal(events, want) {
		t.Errorf("logged %q, want the events %v", logged, want)
	}
}

// relay forwards TCP connections to a node's P2P port until cut.
type relay struct {
	ln     net.Listener
	mu     sync.Mutex
	conns  []net.Conn
	closed bool
}

func newRelay(t *testing.T, to string) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{ln: ln}
	t.Cleanup(r.cut)
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", to)
			if err != nil {
				in.Close()
				continue
			}
			r.mu.Lock()
			r.conns = append(r.conns, in, out)
			if r.closed {
				in.Close()
				out.Close()
			}
			r.mu.Unlock()
			go func() { io.Copy(out, in); out.Close() }()
			go func() { io.Copy(in, out); in.Close() }()
		}
	}()
	return r
}

func (r *relay) addr() string { return r.ln.Addr().String() }

// cut closes the listener and every connection: the node is unreachable.
func (r *relay) cut() {
	r.ln.Close()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	for _, c := range r.conns {
		c.Close()
	}
}
