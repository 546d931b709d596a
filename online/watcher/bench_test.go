package watcher

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"

	"airsign/online/chain"
	"airsign/online/regtest"
	"airsign/online/store"
)

// BenchmarkScan1000Blocks10000Addresses scans 1,000 real regtest blocks
// (with 50 deposits spread over them) for a wallet watching 10,000
// addresses (gaps of 5,000 on each branch), into a fresh SQLite store each
// iteration: derivation, fetching every block over RPC, matching and one
// transaction per block.
func BenchmarkScan1000Blocks10000Addresses(b *testing.B) {
	node := regtest.Start(b, regtest.Options{})
	desc := testDescriptor(b, 7)
	start := node.Height(b) + 1
	for i := range uint32(50) {
		script, err := desc.PkScript(i%2, i*97)
		if err != nil {
			b.Fatal(err)
		}
		node.Fund(b, script, btcutil.Amount(10_000+i))
		node.Generate(b, 18)
	}
	if h := node.Height(b); h < start+999 {
		node.Generate(b, uint32(start+999-h))
	}
	end := start + 999
	c, err := chain.Dial(chain.Config{URL: node.RPCURL(), User: node.RPCUser(), Pass: node.RPCPass()})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		st, err := store.Open(filepath.Join(b.TempDir(), fmt.Sprintf("s%d.db", i)))
		if err != nil {
			b.Fatal(err)
		}
		if err := st.AddWallet(ctx, store.Wallet{Name: "hot", Network: "regtest", Descriptor: desc.String(),
			Birthday: start, Created: time.Now()}); err != nil {
			b.Fatal(err)
		}
		w := New(c, st, Options{ReceiveGap: 5000, ChangeGap: 5000})
		b.StartTimer()
		r, err := w.Sync(ctx)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if r.Applied < 1000 || len(r.Deposits) != 50 {
			b.Fatalf("applied %d blocks with %d deposits, want >= 1000 and 50", r.Applied, len(r.Deposits))
		}
		as, _ := st.Addresses(ctx, "hot")
		if len(as) < 10_000 {
			b.Fatalf("watched %d addresses, want >= 10000", len(as))
		}
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/float64(end-start+1), "ms/block")
}
