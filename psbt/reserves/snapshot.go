// Package reserves is the UTXO snapshot file an auditor checks a proof of
// reserves against (bip322.VerifyReserves): the coins unspent at one
// block, with their scripts and amounts. The coordinator writes it from
// its synced view of the chain; an auditor may write the same file from
// their own node, and should, since a snapshot is only as good as its
// source.
package reserves

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/psbt/bip322"
)

// Format names the file, and Version its layout; a reader refuses any
// other.
const (
	Format  = "airsign-utxo-snapshot"
	Version = 1
)

// Limits on a snapshot, checked before anything is allocated for it.
const (
	MaxBytes = 32 << 20
	MaxCoins = 100_000
)

// Coin is one unspent output of the snapshot.
type Coin struct {
	OutPoint  string `json:"outpoint"` // txid:vout
	Script    string `json:"script"`   // scriptPubKey, hex
	AmountSat int64  `json:"amount_sat"`
}

// Snapshot is the file: which block the coins are unspent at, and the
// coins. Wallet and Network are labels for the reader.
type Snapshot struct {
	Format    string `json:"format"`
	Version   int    `json:"version"`
	Network   string `json:"network,omitempty"`
	Wallet    string `json:"wallet,omitempty"`
	Height    int32  `json:"height"`
	BlockHash string `json:"block_hash"`
	Coins     []Coin `json:"coins"`
}

// New is the snapshot of coins unspent at the block height/hash, in
// outpoint order so that the same set makes the same file.
func New(network, wallet string, height int32, hash chainhash.Hash, coins map[wire.OutPoint]*wire.TxOut) Snapshot {
	s := Snapshot{Format: Format, Version: Version, Network: network, Wallet: wallet, Height: height, BlockHash: hash.String(), Coins: []Coin{}}
	for op, out := range coins {
		s.Coins = append(s.Coins, Coin{OutPoint: op.String(), Script: hex.EncodeToString(out.PkScript), AmountSat: out.Value})
	}
	slices.SortFunc(s.Coins, func(a, b Coin) int { return strings.Compare(a.OutPoint, b.OutPoint) })
	return s
}

// Marshal is the file's bytes: indented JSON and a final newline.
func (s Snapshot) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	return append(b, '\n'), err
}

// ErrMalformed is wrapped by Parse's errors.
var ErrMalformed = errors.New("reserves: malformed UTXO snapshot")

// Parse reads a snapshot file and returns it as bip322 judges proofs
// against it, refusing anything beyond the limits, another format or
// version, unknown fields, a malformed outpoint, script or amount, and a
// coin listed twice.
func Parse(data []byte) (bip322.Snapshot, error) {
	if len(data) > MaxBytes {
		return bip322.Snapshot{}, fmt.Errorf("%w: it is %d bytes, more than %d; split the wallet's coins into several snapshots", ErrMalformed, len(data), MaxBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s Snapshot
	if err := dec.Decode(&s); err != nil {
		return bip322.Snapshot{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if dec.More() {
		return bip322.Snapshot{}, fmt.Errorf("%w: data follows the JSON object", ErrMalformed)
	}
	if s.Format != Format || s.Version != Version {
		return bip322.Snapshot{}, fmt.Errorf("%w: it is %q version %d; this reader takes %q version %d", ErrMalformed, s.Format, s.Version, Format, Version)
	}
	if s.Height < 0 {
		return bip322.Snapshot{}, fmt.Errorf("%w: height %d", ErrMalformed, s.Height)
	}
	hash, err := chainhash.NewHashFromStr(s.BlockHash)
	if err != nil || len(s.BlockHash) != 2*chainhash.HashSize {
		return bip322.Snapshot{}, fmt.Errorf("%w: block_hash %q is not 64 hex digits", ErrMalformed, s.BlockHash)
	}
	if len(s.Coins) > MaxCoins {
		return bip322.Snapshot{}, fmt.Errorf("%w: %d coins, more than %d", ErrMalformed, len(s.Coins), MaxCoins)
	}
	out := bip322.Snapshot{Height: s.Height, BlockHash: *hash, Coins: make(map[wire.OutPoint]*wire.TxOut, len(s.Coins))}
	for i, c := range s.Coins {
		op, err := wire.NewOutPointFromString(c.OutPoint)
		if err != nil || op.String() != c.OutPoint {
			return bip322.Snapshot{}, fmt.Errorf("%w: coin %d: outpoint %q is not txid:vout", ErrMalformed, i, c.OutPoint)
		}
		script, err := hex.DecodeString(c.Script)
		if err != nil || len(script) == 0 || len(script) > txscript.MaxScriptSize {
			return bip322.Snapshot{}, fmt.Errorf("%w: coin %d (%s): script %q is not 1 to %d bytes of hex", ErrMalformed, i, c.OutPoint, c.Script, txscript.MaxScriptSize)
		}
		if c.AmountSat < 0 || c.AmountSat > btcutil.MaxSatoshi {
			return bip322.Snapshot{}, fmt.Errorf("%w: coin %d (%s): amount %d sat is out of range", ErrMalformed, i, c.OutPoint, c.AmountSat)
		}
		if _, dup := out.Coins[*op]; dup {
			return bip322.Snapshot{}, fmt.Errorf("%w: coin %s is listed twice", ErrMalformed, c.OutPoint)
		}
		out.Coins[*op] = wire.NewTxOut(c.AmountSat, script)
	}
	return out, nil
}
