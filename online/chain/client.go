// Package chain is the coordinator's chain backend: a Bitcoin JSON-RPC client
// that speaks to btcd and Bitcoin Core over HTTP POST.
//
// It answers the questions the watcher, coin selection and broadcast steps
// ask (tip, blocks, transactions, mempool, fee rate) and leaves deciding
// what the answers mean to them: consumers declare the small interface they
// need and *Client satisfies it. Every call takes a context; a node that
// cannot be reached is retried with backoff a bounded number of times and
// then reported as an *UnreachableError. A node that answers with an error
// is never retried: a rejected transaction is an answer, not an outage.
//
// Differences between the two nodes that this package smooths over:
//
//   - btcd has no estimatesmartfee; Bitcoin Core (since 0.17) has no
//     estimatefee. FeeRate tries both and then the operator's fallback, and
//     says which answered.
//   - Re-sending a transaction: btcd refuses one already in its mempool
//     ("already have transaction in mempool"), Core returns its txid as a
//     success. Both refuse one whose outputs are already confirmed. See
//     Broadcast for the typed errors.
package chain

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"airsign/psbt/descriptor"
)

// Config says how to reach a node.
type Config struct {
	// URL is the node's RPC endpoint, for example
	// "http://127.0.0.1:18443" (Core regtest) or
	// "http://127.0.0.1:8334" (btcd --notls). A missing scheme means http.
	URL string
	// User and Pass are the RPC credentials (HTTP basic auth). When both
	// are empty, credentials in URL (http://user:pass@host:port) are used.
	// Bitcoin Core's cookie file is not read: pass its two halves here.
	User, Pass string
	// Params is the network the node must be on. When set, Dial checks
	// the node's genesis block against it, so a coordinator configured
	// for testnet never watches mainnet; nil skips the check and Dial
	// does not contact the node.
	Params *chaincfg.Params
	// Timeout bounds one HTTP request; 0 means DefaultTimeout.
	Timeout time.Duration
	// Attempts is how often a request is tried when the node cannot be
	// reached; 0 means DefaultAttempts.
	Attempts int
	// Backoff is the wait before the second try; it doubles up to 2 s.
	// 0 means DefaultBackoff. With the defaults an unreachable node is
	// reported after about 1.5 s.
	Backoff time.Duration
}

// Client is a JSON-RPC connection to one btcd or Bitcoin Core node. It is
// safe for concurrent use.
type Client struct {
	cfg      Config
	endpoint string
	redacted string
	http     *http.Client
	nextID   atomic.Uint64
}

// Dial checks cfg and, when cfg.Params is set, that the node answers and is
// on that network. The node being down is reported as an *UnreachableError
// after cfg.Attempts tries.
func Dial(cfg Config) (*Client, error) {
	return DialContext(context.Background(), cfg)
}

// DialContext is Dial with a context for the network check.
func DialContext(ctx context.Context, cfg Config) (*Client, error) {
	endpoint, redacted, user, pass, err := parseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.User == "" && cfg.Pass == "" {
		cfg.User, cfg.Pass = user, pass
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = DefaultAttempts
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = DefaultBackoff
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // a node RPC port is never reached through a proxy
	tr.DialContext = (&net.Dialer{Timeout: min(cfg.Timeout, 5*time.Second), KeepAlive: 30 * time.Second}).DialContext
	c := &Client{
		cfg:      cfg,
		endpoint: endpoint,
		redacted: redacted,
		http:     &http.Client{Transport: tr},
	}
	if cfg.Params != nil {
		genesis, err := c.BlockHash(ctx, 0)
		if err != nil {
			return nil, fmt.Errorf("chain: checking network of node at %s: %w", redacted, err)
		}
		if genesis != *cfg.Params.GenesisHash {
			return nil, wrongNetwork("node at "+redacted, genesis, cfg.Params)
		}
	}
	return c, nil
}

// wrongNetwork is the error for a node whose genesis block is not the
// configured network's. It names the node's network when the genesis block
// is one airsign knows (testnet3 and testnet4 nodes look alike otherwise:
// same addresses, same keys), so the operator sees which of the two is
// wrong.
func wrongNetwork(node string, genesis chainhash.Hash, want *chaincfg.Params) error {
	wantName := NetworkOf(*want.GenesisHash)
	if wantName == "" {
		wantName = want.Name
	}
	if name := NetworkOf(genesis); name != "" {
		return fmt.Errorf("chain: %s is a %s node (genesis block %v), but network %s is configured (genesis block %v): point it at a %s node, or configure network %s",
			node, name, genesis, wantName, want.GenesisHash, wantName, name)
	}
	return fmt.Errorf("chain: %s has genesis block %v, of none of the networks %s, but network %s is configured (genesis block %v): point it at a %s node",
		node, genesis, descriptor.NetworkChoices, wantName, want.GenesisHash, wantName)
}

// NetworkOf returns the name (as --network takes it) of the network whose
// genesis block is genesis, or "" for one airsign does not know (a custom
// signet, another coin).
func NetworkOf(genesis chainhash.Hash) string {
	for _, n := range descriptor.Networks() {
		if *n.Params().GenesisHash == genesis {
			return n.String()
		}
	}
	return ""
}

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// URL returns the node's URL without credentials, for messages.
func (c *Client) URL() string { return c.redacted }

// Tip returns the height and hash of the node's best block, taken from one
// getblockchaininfo answer so they belong together.
func (c *Client) Tip(ctx context.Context) (height int32, hash chainhash.Hash, err error) {
	var info struct {
		Blocks        int32  `json:"blocks"`
		BestBlockHash string `json:"bestblockhash"`
	}
	if err := c.call(ctx, "getblockchaininfo", nil, &info, true); err != nil {
		return 0, chainhash.Hash{}, err
	}
	h, err := chainhash.NewHashFromStr(info.BestBlockHash)
	if err != nil {
		return 0, chainhash.Hash{}, fmt.Errorf("getblockchaininfo: bestblockhash %q: %w", info.BestBlockHash, err)
	}
	return info.Blocks, *h, nil
}

// BlockHash returns the hash of the main-chain block at height.
func (c *Client) BlockHash(ctx context.Context, height int32) (chainhash.Hash, error) {
	var s string
	if err := c.call(ctx, "getblockhash", []any{height}, &s, true); err != nil {
		return chainhash.Hash{}, err
	}
	h, err := chainhash.NewHashFromStr(s)
	if err != nil {
		return chainhash.Hash{}, fmt.Errorf("getblockhash %d: %q: %w", height, s, err)
	}
	return *h, nil
}

// Block returns the block with the given hash, whether or not it is in the
// main chain (the node must still have it).
func (c *Client) Block(ctx context.Context, hash chainhash.Hash) (*wire.MsgBlock, error) {
	raw, err := c.hexCall(ctx, "getblock", []any{hash.String(), 0})
	if err != nil {
		return nil, err
	}
	var b wire.MsgBlock
	if err := b.Deserialize(bytes.NewReader(raw)); err != nil {
		return nil, fmt.Errorf("getblock %v: decoding block: %w", hash, err)
	}
	if got := b.BlockHash(); got != hash {
		return nil, fmt.Errorf("getblock %v: node returned block %v", hash, got)
	}
	return &b, nil
}

// Transaction returns the transaction with the given txid from the mempool
// or, when the node keeps a transaction index (btcd --txindex, Core
// -txindex), from the chain.
func (c *Client) Transaction(ctx context.Context, txid chainhash.Hash) (*wire.MsgTx, error) {
	raw, err := c.hexCall(ctx, "getrawtransaction", []any{txid.String(), 0})
	if err != nil {
		return nil, err
	}
	var tx wire.MsgTx
	if err := tx.Deserialize(bytes.NewReader(raw)); err != nil {
		return nil, fmt.Errorf("getrawtransaction %v: decoding transaction: %w", txid, err)
	}
	if got := tx.TxHash(); got != txid {
		return nil, fmt.Errorf("getrawtransaction %v: node returned transaction %v", txid, got)
	}
	return &tx, nil
}

// MempoolTxids returns the txids in the node's mempool, in no order.
func (c *Client) MempoolTxids(ctx context.Context) ([]chainhash.Hash, error) {
	var ss []string
	if err := c.call(ctx, "getrawmempool", []any{false}, &ss, true); err != nil {
		return nil, err
	}
	out := make([]chainhash.Hash, 0, len(ss))
	for _, s := range ss {
		h, err := chainhash.NewHashFromStr(s)
		if err != nil {
			return nil, fmt.Errorf("getrawmempool: txid %q: %w", s, err)
		}
		out = append(out, *h)
	}
	return out, nil
}

// TestAccept asks the node (testmempoolaccept) whether it would accept tx
// into its mempool, without adding it. ok is false with the node's reason
// ("missing-inputs", a script or policy error) when it would refuse; err is
// only for failing to ask. Nodes without testmempoolaccept (btcd before
// 0.24.1, Core before 0.17) give an error matching ErrUnsupported.
func (c *Client) TestAccept(ctx context.Context, tx *wire.MsgTx) (ok bool, reason string, err error) {
	h, err := txHex(tx)
	if err != nil {
		return false, "", err
	}
	var res []struct {
		Txid    string `json:"txid"`
		Allowed bool   `json:"allowed"`
		Reason  string `json:"reject-reason"`
	}
	// btcd requires maxfeerate; send Core's default for both.
	params := []any{[]string{h}, maxFeeRateBTCPerKvB}
	if err := c.call(ctx, "testmempoolaccept", params, &res, true); err != nil {
		if isMethodNotFound(err) {
			return false, "", fmt.Errorf("node at %s has no testmempoolaccept: %w: %w", c.redacted, ErrUnsupported, err)
		}
		return false, "", err
	}
	if len(res) != 1 {
		return false, "", fmt.Errorf("testmempoolaccept: %d results for 1 transaction", len(res))
	}
	return res[0].Allowed, res[0].Reason, nil
}

// maxFeeRateBTCPerKvB is the fee rate above which TestAccept reports a
// transaction as refused (Bitcoin Core's default for testmempoolaccept and
// sendrawtransaction, 10,000 sat/vB): such a fee is almost surely a mistake.
const maxFeeRateBTCPerKvB = 0.10

// ErrUnsupported matches errors for an RPC the node does not have.
var ErrUnsupported = errors.New("not supported by the node")

// hexCall makes a call whose result is a hex string and decodes it.
func (c *Client) hexCall(ctx context.Context, method string, params []any) ([]byte, error) {
	var s string
	if err := c.call(ctx, method, params, &s, true); err != nil {
		return nil, fmt.Errorf("%w (%v)", err, params[0])
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%s %v: result is not hex: %w", method, params[0], err)
	}
	return b, nil
}

func txHex(tx *wire.MsgTx) (string, error) {
	var buf bytes.Buffer
	buf.Grow(tx.SerializeSize())
	if err := tx.Serialize(&buf); err != nil {
		return "", fmt.Errorf("serializing transaction %v: %w", tx.TxHash(), err)
	}
	return hex.EncodeToString(buf.Bytes()), nil
}
