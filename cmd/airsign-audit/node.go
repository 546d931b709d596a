package main

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"

	"github.com/btcsuite/btcd/wire"

	"airsign/cmd/internal/chainproof"
	"airsign/online/chain"
	"airsign/psbt/descriptor"
)

// rpcFlags name the auditor's own node, the alternative to a chain file:
// what it says of the chain is taken as the truth, so it should be a node
// the auditor runs, not the coordinator's.
type rpcFlags struct {
	url, user, pass *string
}

func addRPCFlags(fs *flag.FlagSet) rpcFlags {
	return rpcFlags{fs.String("rpc-url", "", ""), fs.String("rpc-user", "", ""), fs.String("rpc-pass", "", "")}
}

// scan reads, block by block from the earliest wallet's birthday to the
// node's tip, every transaction that pays to the wallets' scripts or
// spends a coin they were paid, as the coordinator's chain file would
// hold them.
func (r rpcFlags) scan(wallets []coordinatorWallet) (*chainView, error) {
	if len(wallets) == 0 {
		return nil, fmt.Errorf("the coordinator's export lists no wallet to look for on the chain")
	}
	net, err := descriptor.ParseNetwork(wallets[0].Network)
	if err != nil {
		return nil, fmt.Errorf("wallet %s: %v", wallets[0].Name, err)
	}
	ctx := context.Background()
	node, err := chain.DialContext(ctx, chain.Config{URL: *r.url, User: *r.user, Pass: *r.pass, Params: net.Params()})
	if err != nil {
		return nil, fmt.Errorf("--rpc-url: %w", err)
	}
	defer node.Close()
	scripts, err := walletScripts(wallets, net.Params())
	if err != nil {
		return nil, err
	}
	from := int32(1)
	for i, w := range wallets {
		if i == 0 || w.Birthday < from {
			from = max(w.Birthday, 1)
		}
	}
	tip, _, err := node.Tip(ctx)
	if err != nil {
		return nil, fmt.Errorf("--rpc-url: %w", err)
	}
	view := &chainView{params: net.Params(), source: "node " + node.URL()}
	coins := map[wire.OutPoint]bool{}
	for h := from; h <= tip; h++ {
		hash, err := node.BlockHash(ctx, h)
		if err != nil {
			return nil, fmt.Errorf("--rpc-url: %w", err)
		}
		b, err := node.Block(ctx, hash)
		if err != nil {
			return nil, fmt.Errorf("--rpc-url: %w", err)
		}
		for _, tx := range b.Transactions {
			if touches(tx, scripts, coins) {
				view.txs = append(view.txs, chainproof.Confirmed{Tx: tx, Height: h, Block: hash})
			}
		}
	}
	return view, nil
}

// touches reports whether tx spends one of coins or pays to scripts,
// adding the coins it pays.
func touches(tx *wire.MsgTx, scripts map[string]string, coins map[wire.OutPoint]bool) bool {
	ours := false
	for _, in := range tx.TxIn {
		ours = ours || coins[in.PreviousOutPoint]
	}
	for vout, o := range tx.TxOut {
		if _, ok := scripts[hex.EncodeToString(o.PkScript)]; ok {
			coins[wire.OutPoint{Hash: tx.TxHash(), Index: uint32(vout)}] = true
			ours = true
		}
	}
	return ours
}
