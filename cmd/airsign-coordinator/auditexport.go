package main

import (
	"encoding/json"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"airsign/cmd/internal/chainproof"
	"airsign/psbt/auditlog"
)

// coordinatorExportFormat names the file `audit export` writes: the audit
// log's own export (auditlog.ExportFormat) together with the wallets the
// coordinator watches, so that an auditor can run airsign-audit
// cross-check from this file and the kiosk's transcripts alone, with no
// node and no access to the coordinator. Version 1 was the log's export
// alone; airsign-audit reads both. The wallet list is not signed by
// itself: airsign-audit checks it against the wallet-add and
// wallet-remove entries of the log, which are.
const coordinatorExportFormat = "airsign-coordinator-export/2"

// coordinatorExport is the file, one JSON object.
//
//	format   coordinatorExportFormat
//	network  the coordinator's network
//	wallets  every registered wallet, as the database holds it
//	log      the audit log's export, as auditlog.(*Log).Export wrote it
type coordinatorExport struct {
	Format  string          `json:"format"`
	Network string          `json:"network"`
	Wallets []exportWallet  `json:"wallets"`
	Log     json.RawMessage `json:"log"`
}

// exportWallet is one registered wallet. Identity is the hex SHA-256 of
// what the wallet pays to (descriptor.Identity), empty for a wallet
// registered before identities were stored.
type exportWallet struct {
	Name        string    `json:"name"`
	Network     string    `json:"network"`
	Birthday    int32     `json:"birthday"`
	Descriptor  string    `json:"descriptor"`
	Identity    string    `json:"identity,omitempty"`
	Created     time.Time `json:"created"`
	SuspendedTo string    `json:"suspended_to,omitempty"`
}

// coordinatorExportFile reads the wallets, then exports the log from
// since: a wallet registered in between shows in the log and not in the
// list, which the auditor's cross-check reports, and exporting again
// settles.
func (c *cli) coordinatorExportFile(l *auditlog.Log, since int64) ([]byte, error) {
	ws, err := c.coord.Wallets(c.ctx)
	if err != nil {
		return nil, err
	}
	log, err := l.Export(since)
	if err != nil {
		return nil, err
	}
	f := coordinatorExport{Format: coordinatorExportFormat, Network: c.network.String(), Wallets: []exportWallet{}, Log: log}
	for _, w := range ws {
		f.Wallets = append(f.Wallets, exportWallet{Name: w.Name, Network: w.Network, Birthday: w.Birthday, Descriptor: w.Descriptor,
			Identity: w.Identity, Created: w.Created.UTC(), SuspendedTo: w.Recovery})
	}
	out, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// chainFile writes the chain file (chainproof.Format) for the auditor to
// reconcile offline: every confirmed transaction that paid to or spent
// from a registered wallet, with the merkle branch and block header that
// prove it, as the node has the blocks now. The store's heights are as of
// the last sync; a block the node no longer has at that height (a reorg
// since) stops the export, saying to sync first.
func (c *cli) chainFile() ([]byte, error) {
	ws, err := c.coord.Wallets(c.ctx)
	if err != nil {
		return nil, err
	}
	heights := map[chainhash.Hash]int32{}
	for _, w := range ws {
		ms, err := c.coord.History(c.ctx, w.Name)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			heights[m.TxID] = m.Height
		}
	}
	f, err := chainproof.Build(c.ctx, c.node, c.network.String(), heights)
	if err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
