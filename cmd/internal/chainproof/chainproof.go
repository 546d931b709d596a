// Package chainproof is the chain file the coordinator writes with its
// audit export (format airsign-chain/1) and airsign-audit reconcile reads:
// the wallets' confirmed transactions, each with the merkle branch that
// puts it in a block, and each block's header with its coinbase and the
// coinbase's branch, whose BIP-34 height says where the block stands. The
// auditor checks, offline, that every transaction is in its block, that
// every block has the work its header claims and is at the height the file
// says, and that blocks at consecutive heights chain; the block hashes are
// listed to compare with any independent node or explorer (reconcile
// --rpc-url asks a node directly instead).
package chainproof

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// Format names the file.
const Format = "airsign-chain/1"

// MaxFileBytes bounds a chain file before it is read.
const MaxFileBytes = 64 << 20

// maxBranch bounds a merkle branch: 2^32 transactions would not fit a
// block.
const maxBranch = 32

// File is the chain file, one JSON object.
type File struct {
	Format       string  `json:"format"`
	Network      string  `json:"network"`
	Blocks       []Block `json:"blocks"`
	Transactions []Tx    `json:"transactions"`
}

// Block is one block holding a transaction of the file: its 80-byte
// header, and its coinbase transaction with the branch from it (the first
// leaf) to the header's merkle root.
type Block struct {
	Height         int32    `json:"height"`
	Header         string   `json:"header"`
	Coinbase       string   `json:"coinbase"`
	CoinbaseBranch []string `json:"coinbase_branch"`
}

// Tx is one confirmed transaction, its place in its block and the merkle
// branch from it to the block's merkle root.
type Tx struct {
	Hex    string   `json:"hex"`
	Height int32    `json:"height"`
	Index  uint32   `json:"index"`
	Branch []string `json:"branch"`
}

// Source is what Build needs of a node; chain.Client has it.
type Source interface {
	BlockHash(ctx context.Context, height int32) (chainhash.Hash, error)
	Block(ctx context.Context, hash chainhash.Hash) (*wire.MsgBlock, error)
}

// Confirmed is a transaction whose place in a block was proven.
type Confirmed struct {
	Tx     *wire.MsgTx
	Height int32
	Block  chainhash.Hash
}

// Build writes the file for the transactions txids, confirmed at the
// heights given (as the coordinator's store knows them), fetching each
// block once.
func Build(ctx context.Context, src Source, network string, heights map[chainhash.Hash]int32) (*File, error) {
	f := &File{Format: Format, Network: network, Blocks: []Block{}, Transactions: []Tx{}}
	byHeight := map[int32][]chainhash.Hash{}
	for txid, h := range heights {
		if h > 0 {
			byHeight[h] = append(byHeight[h], txid)
		}
	}
	hs := make([]int32, 0, len(byHeight))
	for h := range byHeight {
		hs = append(hs, h)
	}
	slices.Sort(hs)
	for _, h := range hs {
		hash, err := src.BlockHash(ctx, h)
		if err != nil {
			return nil, fmt.Errorf("block at height %d: %w", h, err)
		}
		b, err := src.Block(ctx, hash)
		if err != nil {
			return nil, fmt.Errorf("block %v at height %d: %w", hash, h, err)
		}
		leaves := make([]chainhash.Hash, len(b.Transactions))
		at := map[chainhash.Hash]int{}
		for i, tx := range b.Transactions {
			leaves[i] = tx.TxHash()
			at[leaves[i]] = i
		}
		var header, coinbase bytes.Buffer
		if err := b.Header.Serialize(&header); err != nil {
			return nil, err
		}
		if err := b.Transactions[0].Serialize(&coinbase); err != nil {
			return nil, err
		}
		f.Blocks = append(f.Blocks, Block{Height: h, Header: hex.EncodeToString(header.Bytes()),
			Coinbase: hex.EncodeToString(coinbase.Bytes()), CoinbaseBranch: hexes(branch(leaves, 0))})
		txids := byHeight[h]
		slices.SortFunc(txids, func(a, b chainhash.Hash) int { return at[a] - at[b] })
		for _, txid := range txids {
			i, ok := at[txid]
			if !ok {
				return nil, fmt.Errorf("transaction %v is not in block %v at height %d: the node's chain moved since the last sync; sync and export again", txid, hash, h)
			}
			var raw bytes.Buffer
			if err := b.Transactions[i].Serialize(&raw); err != nil {
				return nil, err
			}
			f.Transactions = append(f.Transactions, Tx{Hex: hex.EncodeToString(raw.Bytes()), Height: h, Index: uint32(i), Branch: hexes(branch(leaves, i))})
		}
	}
	return f, nil
}

func hexes(hs []chainhash.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = hex.EncodeToString(h[:])
	}
	return out
}

// branch is the merkle branch of leaf i: the sibling at each level, from
// the leaves up, a lone last node paired with itself as Bitcoin does.
func branch(leaves []chainhash.Hash, i int) []chainhash.Hash {
	level := slices.Clone(leaves)
	var out []chainhash.Hash
	for len(level) > 1 {
		if len(level)%2 == 1 {
			level = append(level, level[len(level)-1])
		}
		out = append(out, level[i^1])
		next := make([]chainhash.Hash, len(level)/2)
		for j := range next {
			next[j] = blockchain.HashMerkleBranches(&level[2*j], &level[2*j+1])
		}
		level, i = next, i/2
	}
	return out
}

// root is the merkle root a branch leads leaf at index to.
func root(leaf chainhash.Hash, br []chainhash.Hash, index uint32) chainhash.Hash {
	h := leaf
	for _, b := range br {
		if index&1 == 1 {
			h = blockchain.HashMerkleBranches(&b, &h)
		} else {
			h = blockchain.HashMerkleBranches(&h, &b)
		}
		index >>= 1
	}
	return h
}

// Decode reads a chain file: its shape only; Verify checks the proofs.
func Decode(data []byte) (*File, error) {
	// The format first, so that another file is named for what it is.
	var head struct {
		Format string `json:"format"`
	}
	if json.Unmarshal(data, &head) == nil && head.Format != Format {
		return nil, fmt.Errorf("not a chain file: its format is %q, want %q", head.Format, Format)
	}
	var f File
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("not a chain file (%s): %v", Format, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("not a chain file (%s): data after it", Format)
	}
	return &f, nil
}

// decoded is one block of the file, checked.
type decoded struct {
	header wire.BlockHeader
	hash   chainhash.Hash
}

// Verify checks every proof of the file against params and returns the
// transactions proven, in the file's order, and a sentence for each that
// is not (naming the transaction or block), for the auditor's report. An
// error is a file that cannot be read at all.
func Verify(f *File, params *chaincfg.Params) ([]Confirmed, []string, error) {
	var problems []string
	flag := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	blocks := map[int32]decoded{}
	for i, b := range f.Blocks {
		raw, err := hex.DecodeString(b.Header)
		if err != nil || len(raw) != wire.MaxBlockHeaderPayload {
			return nil, nil, fmt.Errorf("chain file, block %d: the header is not 80 bytes of hex", i+1)
		}
		var d decoded
		if err := d.header.Deserialize(bytes.NewReader(raw)); err != nil {
			return nil, nil, fmt.Errorf("chain file, block %d: %v", i+1, err)
		}
		d.hash = d.header.BlockHash()
		if _, dup := blocks[b.Height]; dup {
			return nil, nil, fmt.Errorf("chain file: two blocks at height %d", b.Height)
		}
		cb, err := decodeTx(b.Coinbase)
		if err != nil {
			return nil, nil, fmt.Errorf("chain file, block %d: its coinbase: %v", i+1, err)
		}
		br, err := decodeBranch(b.CoinbaseBranch)
		if err != nil {
			return nil, nil, fmt.Errorf("chain file, block %d: its coinbase branch: %v", i+1, err)
		}
		if problem := checkWork(d.header, params); problem != "" {
			flag("block %v at height %d: %s", d.hash, b.Height, problem)
			continue
		}
		if root(cb.TxHash(), br, 0) != d.header.MerkleRoot || !blockchain.IsCoinBaseTx(cb) {
			flag("block %v at height %d: its coinbase and branch do not lead to the header's merkle root: the block's record was changed", d.hash, b.Height)
			continue
		}
		if h, err := blockchain.ExtractCoinbaseHeight(btcutil.NewTx(cb)); err != nil || h != b.Height {
			flag("block %v: the file puts it at height %d, but its coinbase says %d: the height was changed", d.hash, b.Height, h)
			continue
		}
		blocks[b.Height] = d
	}
	heights := slices.Sorted(maps.Keys(blocks))
	for _, h := range heights {
		d := blocks[h]
		if prev, ok := blocks[h-1]; ok && d.header.PrevBlock != prev.hash {
			flag("block %v at height %d does not follow block %v at height %d: they are not one chain", d.hash, h, prev.hash, h-1)
		}
	}
	var out []Confirmed
	for i, t := range f.Transactions {
		tx, err := decodeTx(t.Hex)
		if err != nil {
			return nil, nil, fmt.Errorf("chain file, transaction %d: %v", i+1, err)
		}
		br, err := decodeBranch(t.Branch)
		if err != nil {
			return nil, nil, fmt.Errorf("chain file, transaction %d: its branch: %v", i+1, err)
		}
		txid := tx.TxHash()
		b, ok := blocks[t.Height]
		switch {
		case !ok:
			flag("transaction %v: the file puts it at height %d, but holds no proven block there", txid, t.Height)
		case t.Index>>len(br) != 0 || root(txid, br, t.Index) != b.header.MerkleRoot:
			flag("transaction %v: its merkle branch does not lead to block %v at height %d: the transaction or its place was changed", txid, b.hash, t.Height)
		case tx.SerializeSizeStripped() == 64:
			// A 64-byte transaction can pass for an inner merkle node.
			flag("transaction %v at height %d is 64 bytes, which a merkle branch cannot prove", txid, t.Height)
		default:
			out = append(out, Confirmed{Tx: tx, Height: t.Height, Block: b.hash})
		}
	}
	return out, problems, nil
}

// checkWork says what is wrong with a header's proof of work, or "".
func checkWork(h wire.BlockHeader, params *chaincfg.Params) string {
	target := blockchain.CompactToBig(h.Bits)
	if target.Sign() <= 0 || target.Cmp(params.PowLimit) > 0 {
		return fmt.Sprintf("its target %08x is beyond what %s allows", h.Bits, params.Name)
	}
	hash := h.BlockHash()
	if blockchain.HashToBig(&hash).Cmp(target) > 0 {
		return "its hash does not meet its own target: the header was changed"
	}
	return ""
}

func decodeTx(s string) (*wire.MsgTx, error) {
	raw, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not hex: %v", err)
	}
	tx := wire.NewMsgTx(2)
	if err := tx.Deserialize(bytes.NewReader(raw)); err != nil {
		return nil, err
	}
	return tx, nil
}

func decodeBranch(ss []string) ([]chainhash.Hash, error) {
	if len(ss) > maxBranch {
		return nil, fmt.Errorf("%d hashes, more than a block's %d levels", len(ss), maxBranch)
	}
	out := make([]chainhash.Hash, len(ss))
	for i, s := range ss {
		raw, err := hex.DecodeString(s)
		if err != nil || len(raw) != chainhash.HashSize {
			return nil, fmt.Errorf("hash %d is not 32 bytes of hex", i+1)
		}
		copy(out[i][:], raw)
	}
	return out, nil
}
