package daemon

import (
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// SegwitActivationHeight is the first block height at which btcd v0.24.2
// enforces segwit and taproot on regtest (BIP9: 144-block window, both
// deployments signalled by btcd's miner, STARTED at 144, LOCKED_IN at 288,
// ACTIVE at 432). The mempool applies the rules of the next block, so witness
// spends are accepted once the tip is SegwitActivationHeight-1.
const SegwitActivationHeight = 432

// generateBatch bounds one `generate` call so a slow batch cannot look like
// a hung RPC.
const generateBatch = 500

// Generate mines blocks to the node's mining address and returns their
// hashes.
func (d *Daemon) Generate(blocks uint32) ([]*chainhash.Hash, error) {
	var all []*chainhash.Hash
	for blocks > 0 {
		k := min(blocks, generateBatch)
		hs, err := d.client.Generate(k)
		if err != nil {
			return all, fmt.Errorf("regtest: generate %d: %w", k, err)
		}
		all = append(all, hs...)
		blocks -= k
	}
	return all, d.save()
}

// Height returns the height of the node's best block.
func (d *Daemon) Height() (int32, error) {
	h, err := d.client.GetBlockCount()
	if err != nil {
		return 0, fmt.Errorf("regtest: getblockcount: %w", err)
	}
	return int32(h), nil
}

// BestHash returns the hash of the node's best block.
func (d *Daemon) BestHash() (*chainhash.Hash, error) {
	h, err := d.client.GetBestBlockHash()
	if err != nil {
		return nil, fmt.Errorf("regtest: getbestblockhash: %w", err)
	}
	return h, nil
}

// SoftForkStatus returns the BIP9 status ("defined", "started", "lockedin",
// "active", "failed") btcd reports for a deployment ("segwit", "taproot",
// "csv") — the state that applies to the next block.
func (d *Daemon) SoftForkStatus(name string) (string, error) {
	info, err := d.client.GetBlockChainInfo()
	if err != nil {
		return "", fmt.Errorf("regtest: getblockchaininfo: %w", err)
	}
	if info.UnifiedSoftForks != nil {
		if f := info.UnifiedSoftForks.SoftForks[name]; f != nil && f.BIP9SoftForkDescription != nil {
			return f.BIP9SoftForkDescription.Status, nil
		}
	}
	if info.SoftForks != nil {
		if d := info.SoftForks.Bip9SoftForks[name]; d != nil {
			return d.Status, nil
		}
	}
	return "", fmt.Errorf("regtest: getblockchaininfo reports no deployment %q", name)
}

// ActivateSegwitTaproot mines until segwit and taproot apply to the next
// block (tip at SegwitActivationHeight-1 or above) and checks that the node
// reports both as active. Past that height it mines nothing.
func (d *Daemon) ActivateSegwitTaproot() error {
	h, err := d.Height()
	if err != nil {
		return err
	}
	if h < SegwitActivationHeight-1 {
		if _, err := d.Generate(uint32(SegwitActivationHeight - 1 - h)); err != nil {
			return err
		}
	}
	for _, f := range []string{"segwit", "taproot"} {
		s, err := d.SoftForkStatus(f)
		if err != nil {
			return err
		}
		if s != "active" {
			h, _ := d.Height()
			return fmt.Errorf("regtest: %s is %q at height %d, want active", f, s, h)
		}
	}
	return nil
}
