package chainproof

import (
	"context"
	hexpkg "encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

var regtest = &chaincfg.RegressionNetParams

// chain is blocks mined in memory on regtest's easy target: real headers,
// coinbases with BIP-34 heights, real merkle roots.
type chain struct{ blocks []*wire.MsgBlock }

func (c *chain) BlockHash(_ context.Context, h int32) (chainhash.Hash, error) {
	if int(h) >= len(c.blocks) {
		return chainhash.Hash{}, fmt.Errorf("no block at %d", h)
	}
	return c.blocks[h].BlockHash(), nil
}

func (c *chain) Block(_ context.Context, hash chainhash.Hash) (*wire.MsgBlock, error) {
	for _, b := range c.blocks {
		if b.BlockHash() == hash {
			return b, nil
		}
	}
	return nil, fmt.Errorf("no block %v", hash)
}

// mine adds a block holding txs after a coinbase for its height.
func (c *chain) mine(t testing.TB, txs ...*wire.MsgTx) {
	height := int32(len(c.blocks))
	script, err := txscript.NewScriptBuilder().AddInt64(int64(height)).AddInt64(0).Script()
	if err != nil {
		t.Fatal(err)
	}
	cb := wire.NewMsgTx(1)
	cb.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&chainhash.Hash{}, wire.MaxPrevOutIndex), script, nil))
	cb.AddTxOut(wire.NewTxOut(50e8, []byte{txscript.OP_TRUE}))
	b := &wire.MsgBlock{Transactions: append([]*wire.MsgTx{cb}, txs...)}
	var all []*btcutil.Tx
	for _, tx := range b.Transactions {
		all = append(all, btcutil.NewTx(tx))
	}
	b.Header = wire.BlockHeader{Version: 4, MerkleRoot: blockchain.CalcMerkleRoot(all, false), Bits: regtest.PowLimitBits}
	if height > 0 {
		b.Header.PrevBlock = c.blocks[height-1].BlockHash()
	}
	for checkWork(b.Header, regtest) != "" {
		b.Header.Nonce++
	}
	c.blocks = append(c.blocks, b)
}

func payment(n byte) *wire.MsgTx {
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{n}}, nil, nil))
	tx.AddTxOut(wire.NewTxOut(int64(n)*1000, []byte{txscript.OP_0, 20, n}))
	return tx
}

// world is a chain of 5 blocks, payments in blocks 2 (three of them) and
// 4, and the file built for payments 1, 3 and 4.
func world(t testing.TB) (*chain, *File) {
	c := &chain{}
	c.mine(t)
	c.mine(t)
	c.mine(t, payment(1), payment(2), payment(3))
	c.mine(t)
	c.mine(t, payment(4))
	f, err := Build(context.Background(), c, "regtest", map[chainhash.Hash]int32{
		payment(1).TxHash(): 2, payment(3).TxHash(): 2, payment(4).TxHash(): 4, payment(9).TxHash(): 0})
	if err != nil {
		t.Fatal(err)
	}
	return c, f
}

func TestVerify(t *testing.T) {
	c, _ := world(t)
	for _, tc := range []struct {
		name   string
		change func(f *File)
		proven int
		want   []string // in the problems, in order
	}{
		{"as built", func(f *File) {}, 3, nil},
		{"a transaction edited", func(f *File) {
			tx := payment(3)
			tx.TxOut[0].Value++
			f.Transactions[1].Hex = txHex(t, tx)
		}, 2, []string{"its merkle branch does not lead to block " + c.blocks[2].BlockHash().String() + " at height 2"}},
		{"a transaction moved to another proven block", func(f *File) { f.Transactions[0].Height = 4 }, 2, []string{"its merkle branch does not lead to block"}},
		{"a transaction moved to a height with no block", func(f *File) { f.Transactions[2].Height = 7 }, 2, []string{"puts it at height 7, but holds no proven block there"}},
		{"a block's height edited", func(f *File) { f.Blocks[1].Height = 5; f.Transactions[2].Height = 5 }, 2,
			[]string{"the file puts it at height 5, but its coinbase says 4", "puts it at height 5, but holds no proven block there"}},
		{"a header's merkle root edited", func(f *File) { f.Blocks[0].Header = f.Blocks[0].Header[:72] + "ff" + f.Blocks[0].Header[74:] }, 1,
			[]string{"at height 2: its coinbase and branch do not lead to the header's merkle root", "holds no proven block there", "holds no proven block there"}},
		{"a block not of the chain", func(f *File) {
			// Block 3 of a chain that forked at block 2, between blocks
			// 2 and 4 of this one.
			other := forked(t)
			f.Blocks = append(f.Blocks, Block{Height: 3, Header: headerHex(t, other.blocks[3]), Coinbase: txHex(t, other.blocks[3].Transactions[0]), CoinbaseBranch: []string{}})
		}, 3, []string{"at height 3 does not follow block " + c.blocks[2].BlockHash().String(), "at height 4 does not follow block " + forked(t).blocks[3].BlockHash().String()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, f := world(t)
			tc.change(f)
			data, err := json.Marshal(f)
			if err != nil {
				t.Fatal(err)
			}
			g, err := Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			got, problems, err := Verify(g, regtest)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.proven {
				t.Errorf("%d transactions proven, want %d (problems %q)", len(got), tc.proven, problems)
			}
			if len(problems) != len(tc.want) {
				t.Fatalf("problems %q, want %d saying %q", problems, len(tc.want), tc.want)
			}
			for i, want := range tc.want {
				if !strings.Contains(problems[i], want) {
					t.Errorf("problem %d = %q, want it to say %q", i, problems[i], want)
				}
			}
		})
	}
}

func TestVerifyHeights(t *testing.T) {
	_, f := world(t)
	got, _, err := Verify(f, regtest)
	if err != nil {
		t.Fatal(err)
	}
	want := []int32{2, 2, 4}
	for i, c := range got {
		if c.Height != want[i] {
			t.Errorf("transaction %d at height %d, want %d", i, c.Height, want[i])
		}
	}
}

func txHex(t testing.TB, tx *wire.MsgTx) string {
	var b strings.Builder
	if err := tx.Serialize(hexWriter{&b}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func headerHex(t testing.TB, b *wire.MsgBlock) string {
	var s strings.Builder
	if err := b.Header.Serialize(hexWriter{&s}); err != nil {
		t.Fatal(err)
	}
	return s.String()
}

type hexWriter struct{ b *strings.Builder }

func (h hexWriter) Write(p []byte) (int, error) {
	fmt.Fprintf(h.b, "%x", p)
	return len(p), nil
}

// FuzzVerify: whatever the file, Verify neither panics nor proves a
// transaction whose branch does not lead to a block of the file.
func FuzzVerify(f *testing.F) {
	_, w := world(f)
	seed, _ := json.Marshal(w)
	f.Add(seed)
	f.Add([]byte(`{"format":"airsign-chain/1","blocks":[{"header":"00"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Decode(data)
		if err != nil {
			return
		}
		got, _, err := Verify(file, regtest)
		if err != nil {
			return
		}
		roots := map[chainhash.Hash]bool{}
		for _, b := range file.Blocks {
			var h wire.BlockHeader
			raw, _ := hexDecode(b.Header)
			if h.Deserialize(strings.NewReader(string(raw))) == nil {
				roots[h.BlockHash()] = true
			}
		}
		for _, c := range got {
			if !roots[c.Block] {
				t.Fatalf("transaction %v proven in block %v, which the file does not hold", c.Tx.TxHash(), c.Block)
			}
		}
	})
}

func hexDecode(s string) ([]byte, error) { return hexpkg.DecodeString(s) }

// forked is a chain of 4 blocks that forks from world's at block 1.
func forked(t testing.TB) *chain {
	other := &chain{}
	other.mine(t)
	other.mine(t, payment(7))
	other.mine(t)
	other.mine(t)
	return other
}
