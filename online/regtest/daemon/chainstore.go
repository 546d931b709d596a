package daemon

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/rpcclient"
	"github.com/btcsuite/btcd/wire"
)

// btcd v0.24.2 deletes its block database on every start in --regtest mode
// (removeRegressionDB in btcd.go), so a regtest chain cannot survive a
// restart inside btcd's datadir. A persistent Daemon therefore keeps its
// own copy of the main chain in Dir/chain.dat and replays it into the fresh
// btcd with submitblock on the next Launch.
//
// chain.dat is a sequence of records, one per block from height 1 up: a
// 4-byte little-endian length and the block in wire encoding. A record cut
// short (the process died while appending) is dropped on load. After a
// reorg the file is truncated to the fork point and the new branch
// appended.

const chainFile = "chain.dat"

// maxBlockRecord bounds a record's length (btcd's MaxBlockPayload is 4 MB).
const maxBlockRecord = wire.MaxBlockPayload

type chainStore struct {
	mu     sync.Mutex
	f      *os.File
	hashes []chainhash.Hash // hashes[i] is the block at height i+1
	ends   []int64          // ends[i] is the file offset after block i+1
}

// openChainStore opens (creating) path and returns the store with the
// blocks it holds, in height order.
func openChainStore(path string) (*chainStore, []*wire.MsgBlock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, err
	}
	data, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	s := &chainStore{f: f}
	var blocks []*wire.MsgBlock
	prev := *Params.GenesisHash
	var off int64
	for len(data) >= 4 {
		n := int64(binary.LittleEndian.Uint32(data))
		if n > maxBlockRecord || int64(len(data)) < 4+n {
			break // cut short
		}
		var b wire.MsgBlock
		if err := b.Deserialize(bytes.NewReader(data[4 : 4+n])); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("%s: block at height %d: %w", path, len(blocks)+1, err)
		}
		if b.Header.PrevBlock != prev {
			f.Close()
			return nil, nil, fmt.Errorf("%s: block at height %d does not extend the previous one", path, len(blocks)+1)
		}
		prev = b.BlockHash()
		off += 4 + n
		blocks = append(blocks, &b)
		s.hashes = append(s.hashes, prev)
		s.ends = append(s.ends, off)
		data = data[4+n:]
	}
	if err := s.truncate(len(blocks)); err != nil {
		f.Close()
		return nil, nil, err
	}
	return s, blocks, nil
}

// truncate keeps the first height blocks.
func (s *chainStore) truncate(height int) error {
	var off int64
	if height > 0 {
		off = s.ends[height-1]
	}
	s.hashes, s.ends = s.hashes[:height], s.ends[:height]
	if err := s.f.Truncate(off); err != nil {
		return err
	}
	_, err := s.f.Seek(off, io.SeekStart)
	return err
}

// replay submits blocks to a node whose chain is at genesis.
func replay(c *rpcclient.Client, blocks []*wire.MsgBlock) error {
	for i, b := range blocks {
		if err := c.SubmitBlock(btcutil.NewBlock(b), nil); err != nil {
			return fmt.Errorf("submitblock at height %d: %w", i+1, err)
		}
	}
	if len(blocks) == 0 {
		return nil
	}
	best, err := c.GetBestBlockHash()
	if err != nil {
		return err
	}
	if want := blocks[len(blocks)-1].BlockHash(); *best != want {
		return fmt.Errorf("after replaying %d blocks the tip is %v, want %v", len(blocks), best, want)
	}
	return nil
}

// sync brings the file up to the node's main chain.
func (s *chainStore) sync(c *rpcclient.Client) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tip, err := c.GetBlockCount()
	if err != nil {
		return err
	}
	// Keep the longest prefix that is still in the main chain; normally
	// the top block already matches.
	keep := min(len(s.hashes), int(tip))
	for keep > 0 {
		h, err := c.GetBlockHash(int64(keep))
		if err != nil {
			return err
		}
		if *h == s.hashes[keep-1] {
			break
		}
		keep--
	}
	if keep < len(s.hashes) {
		if err := s.truncate(keep); err != nil {
			return err
		}
	}
	if int64(keep) == tip {
		return nil
	}
	prev := *Params.GenesisHash
	if keep > 0 {
		prev = s.hashes[keep-1]
	}
	var buf bytes.Buffer
	var hashes []chainhash.Hash
	var ends []int64
	off := int64(0)
	if keep > 0 {
		off = s.ends[keep-1]
	}
	for h := int64(keep) + 1; h <= tip; h++ {
		bh, err := c.GetBlockHash(h)
		if err != nil {
			return err
		}
		b, err := c.GetBlock(bh)
		if err != nil {
			return err
		}
		if b.Header.PrevBlock != prev {
			// A reorg while we read; the next sync starts over.
			break
		}
		start := buf.Len()
		buf.Write([]byte{0, 0, 0, 0})
		if err := b.Serialize(&buf); err != nil {
			return err
		}
		binary.LittleEndian.PutUint32(buf.Bytes()[start:], uint32(buf.Len()-start-4))
		prev = *bh
		hashes = append(hashes, *bh)
		ends = append(ends, off+int64(buf.Len()))
	}
	if _, err := s.f.Write(buf.Bytes()); err != nil {
		// Drop whatever part was written.
		return errors.Join(err, s.truncate(keep))
	}
	if err := s.f.Sync(); err != nil {
		return err
	}
	s.hashes = append(s.hashes, hashes...)
	s.ends = append(s.ends, ends...)
	return nil
}

func (s *chainStore) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Close()
}
