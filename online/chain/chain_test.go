package chain

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"airsign/online/regtest"
	"airsign/psbt/descriptor"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcjson"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// wallet is a single P2WPKH key the test controls.
type wallet struct {
	key      *btcec.PrivateKey
	pkScript []byte
}

func newWallet(t *testing.T) wallet {
	t.Helper()
	k, err := btcec.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	addr, err := btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(k.PubKey().SerializeCompressed()), regtest.Params)
	if err != nil {
		t.Fatal(err)
	}
	s, err := txscript.PayToAddrScript(addr)
	if err != nil {
		t.Fatal(err)
	}
	return wallet{key: k, pkScript: s}
}

// spend signs a transaction spending op (worth value, paying w) to payTo
// with the given fee, signing with key (normally w.key).
func (w wallet) spend(t *testing.T, op wire.OutPoint, value btcutil.Amount, payTo []byte, fee btcutil.Amount, key *btcec.PrivateKey) *wire.MsgTx {
	t.Helper()
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&op, nil, nil))
	tx.AddTxOut(wire.NewTxOut(int64(value-fee), payTo))
	fetcher := txscript.NewCannedPrevOutputFetcher(w.pkScript, int64(value))
	sigHashes := txscript.NewTxSigHashes(tx, fetcher)
	wit, err := txscript.WitnessSignature(tx, sigHashes, 0, int64(value), w.pkScript, txscript.SigHashAll, key, true)
	if err != nil {
		t.Fatal(err)
	}
	tx.TxIn[0].Witness = wit
	return tx
}

func dial(t *testing.T, n *regtest.Node) *Client {
	t.Helper()
	c, err := Dial(Config{URL: n.RPCURL(), User: n.RPCUser(), Pass: n.RPCPass(), Params: &chaincfg.RegressionNetParams})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestAgainstBtcd(t *testing.T) {
	n := regtest.Start(t, regtest.Options{})
	c := dial(t, n)
	ctx := context.Background()

	t.Run("FeeRateFallsBack", func(t *testing.T) {
		// A fresh btcd has no estimatesmartfee, and its estimatefee
		// needs at least 3 blocks seen since start (it then answers
		// "Invalid request: malformed", hiding the reason); the
		// fallback must be used and the source must say why.
		rate, source, err := c.FeeRate(ctx, 6, 12.5)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("FeeRate source: %s", source)
		if rate != 12.5 {
			t.Errorf("FeeRate = %v, want the fallback 12.5", rate)
		}
		want := "fallback (estimatesmartfee: not supported by the node; " +
			"estimatefee: no estimate (btcd estimates only after 3 blocks seen since it started, for targets up to 25 blocks))"
		if source != want {
			t.Errorf("FeeRate source = %q, want %q", source, want)
		}
		if _, _, err = c.FeeRate(ctx, 6, 0); err == nil {
			t.Error("FeeRate with no estimate and no fallback: no error")
		}
	})

	regtest.ActivateSegwitTaproot(t, n)
	w := newWallet(t)

	const amount = 1_000_000
	op, fundTx := n.Fund(t, w.pkScript, amount)

	t.Run("Tip", func(t *testing.T) {
		h, hash, err := c.Tip(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := n.Height(t); h != want {
			t.Errorf("Tip height = %d, want %d", h, want)
		}
		if want := n.BestHash(t); hash != *want {
			t.Errorf("Tip hash = %v, want %v", hash, want)
		}
	})

	t.Run("BlockHash", func(t *testing.T) {
		got, err := c.BlockHash(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got != *chaincfg.RegressionNetParams.GenesisHash {
			t.Errorf("BlockHash(0) = %v, want genesis %v", got, chaincfg.RegressionNetParams.GenesisHash)
		}
		tip := n.Height(t)
		got, err = c.BlockHash(ctx, tip)
		if err != nil {
			t.Fatal(err)
		}
		if want := n.BestHash(t); got != *want {
			t.Errorf("BlockHash(%d) = %v, want %v", tip, got, want)
		}
		if _, err := c.BlockHash(ctx, tip+10); err == nil {
			t.Errorf("BlockHash(%d) above the tip: no error", tip+10)
		}
	})

	t.Run("Block", func(t *testing.T) {
		hash := *n.BestHash(t)
		b, err := c.Block(ctx, hash)
		if err != nil {
			t.Fatal(err)
		}
		if b.BlockHash() != hash {
			t.Errorf("Block hash = %v, want %v", b.BlockHash(), hash)
		}
		// Fund mined the funding transaction into the tip block.
		if !slices.ContainsFunc(b.Transactions, func(tx *wire.MsgTx) bool { return tx.TxHash() == op.Hash }) {
			t.Errorf("tip block %v lacks funding transaction %v", hash, op.Hash)
		}
		if _, err := c.Block(ctx, chainhash.Hash{1}); err == nil {
			t.Error("Block of an unknown hash: no error")
		}
	})

	t.Run("Transaction", func(t *testing.T) {
		tx, err := c.Transaction(ctx, op.Hash)
		if err != nil {
			t.Fatal(err)
		}
		if tx.TxHash() != fundTx.TxHash() || len(tx.TxOut) != len(fundTx.TxOut) {
			t.Errorf("Transaction = %v with %d outputs, want %v with %d", tx.TxHash(), len(tx.TxOut), fundTx.TxHash(), len(fundTx.TxOut))
		}
		if _, err := c.Transaction(ctx, chainhash.Hash{2}); err == nil {
			t.Error("Transaction of an unknown txid: no error")
		}
	})

	dest := newWallet(t)
	spend := w.spend(t, op, amount, dest.pkScript, 1000, w.key)
	// Same input, other output: conflicts with spend.
	conflict := w.spend(t, op, amount, dest.pkScript, 2000, w.key)

	t.Run("TestAcceptAndBroadcast", func(t *testing.T) {
		ok, reason, err := c.TestAccept(ctx, spend)
		if err != nil || !ok {
			t.Fatalf("TestAccept(valid) = %v, %q, %v; want true", ok, reason, err)
		}
		if ids, err := c.MempoolTxids(ctx); err != nil || len(ids) != 0 {
			t.Fatalf("MempoolTxids before broadcast = %v, %v; want empty (TestAccept must not add)", ids, err)
		}
		txid, err := c.Broadcast(ctx, spend)
		if err != nil {
			t.Fatalf("Broadcast: %v", err)
		}
		if txid != spend.TxHash() {
			t.Errorf("Broadcast txid = %v, want %v", txid, spend.TxHash())
		}
		ids, err := c.MempoolTxids(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids, []chainhash.Hash{txid}) {
			t.Errorf("MempoolTxids = %v, want [%v]", ids, txid)
		}
		// From the mempool, before it is mined.
		if got, err := c.Transaction(ctx, txid); err != nil || got.TxHash() != txid {
			t.Errorf("Transaction(mempool tx) = %v, %v", got, err)
		}
	})

	t.Run("DoubleBroadcastInMempool", func(t *testing.T) {
		_, err := c.Broadcast(ctx, spend)
		checkBroadcastErr(t, err, ErrAlreadyInMempool)
		if !errors.Is(err, ErrDoubleBroadcast) {
			t.Errorf("errors.Is(%v, ErrDoubleBroadcast) = false", err)
		}
	})

	t.Run("Conflict", func(t *testing.T) {
		ok, reason, err := c.TestAccept(ctx, conflict)
		if err != nil || ok || reason == "" {
			t.Errorf("TestAccept(conflict) = %v, %q, %v; want false with a reason", ok, reason, err)
		}
		_, err = c.Broadcast(ctx, conflict)
		checkBroadcastErr(t, err, ErrConflict)
		if errors.Is(err, ErrDoubleBroadcast) {
			t.Errorf("conflict %v classified as a double broadcast", err)
		}
	})

	t.Run("DoubleBroadcastConfirmed", func(t *testing.T) {
		n.Generate(t, 1)
		if ids, err := c.MempoolTxids(ctx); err != nil || len(ids) != 0 {
			t.Fatalf("MempoolTxids after mining = %v, %v; want empty", ids, err)
		}
		_, err := c.Broadcast(ctx, spend)
		checkBroadcastErr(t, err, ErrAlreadyConfirmed)
		if !errors.Is(err, ErrDoubleBroadcast) {
			t.Errorf("errors.Is(%v, ErrDoubleBroadcast) = false", err)
		}
	})

	t.Run("InvalidSignature", func(t *testing.T) {
		op2, _ := n.Fund(t, w.pkScript, amount)
		wrongKey := newWallet(t).key
		bad := w.spend(t, op2, amount, dest.pkScript, 1000, wrongKey)
		ok, reason, err := c.TestAccept(ctx, bad)
		if err != nil || ok || reason == "" {
			t.Fatalf("TestAccept(bad signature) = %v, %q, %v; want false with a reason", ok, reason, err)
		}
		t.Logf("testmempoolaccept reason: %s", reason)
		_, err = c.Broadcast(ctx, bad)
		be := checkBroadcastErr(t, err, ErrRejected)
		if be != nil && be.Reason == "" {
			t.Errorf("rejection %v has no reason", err)
		}
		if errors.Is(err, ErrDoubleBroadcast) || errors.Is(err, ErrConflict) {
			t.Errorf("invalid tx %v misclassified", err)
		}
	})

	t.Run("MissingInputs", func(t *testing.T) {
		orphan := w.spend(t, wire.OutPoint{Hash: chainhash.Hash{3}, Index: 0}, amount, dest.pkScript, 1000, w.key)
		ok, reason, err := c.TestAccept(ctx, orphan)
		if err != nil || ok || reason != "missing-inputs" {
			t.Errorf("TestAccept(orphan) = %v, %q, %v; want false, \"missing-inputs\"", ok, reason, err)
		}
		_, err = c.Broadcast(ctx, orphan)
		checkBroadcastErr(t, err, ErrRejected)
	})

	t.Run("FeeRateEstimateFee", func(t *testing.T) {
		// By now btcd has seen Fund's transactions (5 sat/vB) go from
		// its mempool into blocks, so its estimatefee answers.
		rate, source, err := c.FeeRate(ctx, 6, 12.5)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("FeeRate(6) = %v sat/vB from %s", rate, source)
		if source != FeeSourceEstimate {
			t.Errorf("FeeRate source = %q, want %q", source, FeeSourceEstimate)
		}
		if rate < 1 || rate > 100 {
			t.Errorf("FeeRate = %v sat/vB, want about 5 (the rate Fund pays)", rate)
		}
		// estimatefee covers at most 25 blocks.
		rate, source, err = c.FeeRate(ctx, 100, 12.5)
		if err != nil || rate != 12.5 || !strings.HasPrefix(source, FeeSourceFallback+" (") {
			t.Errorf("FeeRate(100) = %v, %q, %v; want the fallback 12.5", rate, source, err)
		}
		t.Logf("FeeRate(100) source: %s", source)
		if _, _, err := c.FeeRate(ctx, 0, 1); err == nil {
			t.Error("FeeRate(target 0): no error")
		}
	})

	t.Run("WrongNetwork", func(t *testing.T) {
		// The refusal names both networks: the node's, known by its
		// genesis block, and the configured one.
		for _, tt := range []struct {
			net  descriptor.Network
			want string
		}{
			{descriptor.Mainnet, "is a regtest node (genesis block 0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206), but network mainnet is configured"},
			{descriptor.Testnet, "is a regtest node (genesis block 0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206), but network testnet is configured"},
			{descriptor.Testnet4, "is a regtest node (genesis block 0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206), but network testnet4 is configured (genesis block 00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043): point it at a testnet4 node, or configure network regtest"},
			{descriptor.Signet, "is a regtest node"},
		} {
			_, err := Dial(Config{URL: n.RPCURL(), User: n.RPCUser(), Pass: n.RPCPass(), Params: tt.net.Params()})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Dial(%v) to a regtest node = %v, want an error containing %q", tt.net, err, tt.want)
			}
		}
	})

	t.Run("CredentialsInURL", func(t *testing.T) {
		url := strings.Replace(n.RPCURL(), "http://", "http://"+n.RPCUser()+":"+n.RPCPass()+"@", 1)
		c2, err := Dial(Config{URL: url, Params: &chaincfg.RegressionNetParams})
		if err != nil {
			t.Fatalf("Dial(user:pass@ URL): %v", err)
		}
		defer c2.Close()
		if _, _, err := c2.Tip(ctx); err != nil {
			t.Errorf("Tip: %v", err)
		}
	})

	t.Run("BadCredentials", func(t *testing.T) {
		// The requests go through a proxy to the real node, which counts
		// them: a wrong password must be said at once, never retried.
		target, err := url.Parse(n.RPCURL())
		if err != nil {
			t.Fatal(err)
		}
		var requests atomic.Int32
		proxy := httputil.NewSingleHostReverseProxy(target)
		counting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			proxy.ServeHTTP(w, r)
		}))
		defer counting.Close()
		_, err = Dial(Config{URL: counting.URL, User: n.RPCUser(), Pass: "wrong", Params: &chaincfg.RegressionNetParams, Backoff: time.Millisecond})
		if !errors.Is(err, ErrAuth) {
			t.Errorf("Dial with a wrong password = %v, want ErrAuth", err)
		}
		if got := requests.Load(); got != 1 {
			t.Errorf("Dial with a wrong password sent %d requests, want 1: credentials must not be retried", got)
		}
	})
}

// checkBroadcastErr checks that err is a *BroadcastError of the given kind.
func checkBroadcastErr(t *testing.T, err, kind error) *BroadcastError {
	t.Helper()
	var be *BroadcastError
	if !errors.As(err, &be) {
		t.Errorf("Broadcast error = %v (%T), want a *BroadcastError", err, err)
		return nil
	}
	if !errors.Is(err, kind) {
		t.Errorf("Broadcast error = %v, want errors.Is(_, %q)", err, kind)
	}
	t.Logf("classified as %q: %v", be.Kind, err)
	return be
}

// closedPort returns a loopback address nothing listens on: port 1, which
// is privileged and has had no service in decades (a port that was free a
// moment ago could be taken by another process before the test dials it).
func closedPort(t *testing.T) string {
	t.Helper()
	const addr = "127.0.0.1:1"
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Skipf("something listens on %s on this machine", addr)
	}
	return addr
}

func TestUnreachable(t *testing.T) {
	url := "http://" + closedPort(t)
	wantMsg := "node at " + url + " unreachable after 5 tries: is it running?"

	check := func(t *testing.T, err error, start time.Time) {
		t.Helper()
		d := time.Since(start)
		if !errors.Is(err, ErrUnreachable) {
			t.Fatalf("err = %v, want ErrUnreachable", err)
		}
		var ue *UnreachableError
		if !errors.As(err, &ue) || ue.Tries != DefaultAttempts {
			t.Errorf("err = %v, want an *UnreachableError after %d tries", err, DefaultAttempts)
		}
		if !strings.Contains(err.Error(), wantMsg) {
			t.Errorf("err = %q, want it to contain %q", err, wantMsg)
		}
		// Backoff 100+200+400+800 ms between five tries: at least 1.5 s
		// (a loaded machine may take longer, so only a runaway is caught
		// above).
		if d < 1500*time.Millisecond || d >= time.Minute {
			t.Errorf("gave up after %v, want between 1.5 s and a minute", d)
		}
	}

	t.Run("Dial", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		_, err := Dial(Config{URL: url, User: "u", Pass: "p", Params: &chaincfg.RegressionNetParams})
		check(t, err, start)
		t.Log(err)
	})

	c, err := Dial(Config{URL: url, User: "u", Pass: "p"})
	if err != nil {
		t.Fatalf("Dial without Params must not contact the node: %v", err)
	}
	t.Run("Tip", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		_, _, err := c.Tip(context.Background())
		check(t, err, start)
	})
	t.Run("Broadcast", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		_, err := c.Broadcast(context.Background(), wire.NewMsgTx(2))
		check(t, err, start)
		var be *BroadcastError
		if errors.As(err, &be) {
			t.Errorf("unreachable node reported as a broadcast refusal: %v", err)
		}
	})
	t.Run("FeeRate", func(t *testing.T) {
		t.Parallel()
		// An outage is an error, not a reason to use the fallback.
		start := time.Now()
		_, _, err := c.FeeRate(context.Background(), 6, 10)
		check(t, err, start)
	})
	t.Run("ContextCancel", func(t *testing.T) {
		// A backoff of an hour: a client that ignored its context would
		// wait that long before the second try.
		slow, err := Dial(Config{URL: url, User: "u", Pass: "p", Backoff: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		defer slow.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, _, err = slow.Tip(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Tip with a short deadline = %v, want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d > time.Minute {
			t.Errorf("Tip ignored its context: returned after %v", d)
		}
	})
}

func TestConfigErrors(t *testing.T) {
	for _, url := range []string{"", "ftp://127.0.0.1:1", "http://"} {
		if _, err := Dial(Config{URL: url}); err == nil {
			t.Errorf("Dial(URL %q): no error", url)
		}
	}
	c, err := Dial(Config{URL: "http://alice:secret@127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(c.URL(), "secret") {
		t.Errorf("URL() = %q leaks the password", c.URL())
	}
	if c.cfg.User != "alice" || c.cfg.Pass != "secret" || strings.Contains(c.endpoint, "secret") {
		t.Errorf("credentials in the URL: user %q, pass %q, endpoint %q; want them moved out of the endpoint", c.cfg.User, c.cfg.Pass, c.endpoint)
	}
}

// TestClassify covers Bitcoin Core's messages, which the btcd tests above
// cannot produce.
func TestClassify(t *testing.T) {
	tests := []struct {
		code int
		msg  string
		want error
	}{
		// btcd v0.24.2
		{-26, "TX rejected: already have transaction in mempool 1234", ErrAlreadyInMempool},
		{-27, "TX rejected: transaction already exists in blockchain", ErrAlreadyConfirmed},
		{-26, "TX rejected: output already spent in mempool: output=ab:0, tx=cd", ErrConflict},
		{-25, "TX rejected: orphan transaction ab references outputs of unknown or fully-spent transaction cd", ErrRejected},
		{-26, "TX rejected: transaction ab has insufficient priority", ErrRejected},
		{-22, "TX decode failed: unexpected EOF", ErrRejected},
		// Bitcoin Core
		{-26, "txn-already-in-mempool", ErrAlreadyInMempool},
		{-26, "txn-already-known", ErrAlreadyInMempool},
		{-27, "Transaction already in block chain", ErrAlreadyConfirmed},
		{-27, "Transaction outputs already in utxo set", ErrAlreadyConfirmed},
		{-26, "txn-mempool-conflict", ErrConflict},
		{-26, "insufficient fee, rejecting replacement ab; new feerate 0.0001 <= old feerate 0.0002", ErrConflict},
		{-25, "bad-txns-inputs-missingorspent", ErrRejected},
		{-26, "mandatory-script-verify-flag-failed (Signature must be zero for failed CHECK(MULTI)SIG operation)", ErrRejected},
		{-26, "min relay fee not met, 100 < 141", ErrRejected},
		{-26, "dust", ErrRejected},
	}
	for _, tt := range tests {
		if got := classify(btcjson.RPCErrorCode(tt.code), tt.msg); got != tt.want {
			t.Errorf("classify(%d, %q) = %q, want %q", tt.code, tt.msg, got, tt.want)
		}
	}
}

// TestCoreAnswers replays how Bitcoin Core answers, which btcd cannot show:
// JSON errors inside HTTP 500/404 and RPC_IN_WARMUP (-28) while starting.
func TestCoreAnswers(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Method string `json:"method"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case calls.Add(1) <= 2:
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"result":null,"error":{"code":-28,"message":"Loading block index…"},"id":1}`)
		case req.Method == "sendrawtransaction":
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"result":null,"error":{"code":-26,"message":"txn-mempool-conflict"},"id":1}`)
		case req.Method == "estimatesmartfee":
			io.WriteString(w, `{"result":{"feerate":0.00012,"blocks":6},"error":null,"id":1}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"result":null,"error":{"code":-32601,"message":"Method not found"},"id":1}`)
		}
	}))
	defer srv.Close()
	c, err := Dial(Config{URL: srv.URL, Backoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	// Two warmup answers are retried; the third try gets the estimate.
	rate, source, err := c.FeeRate(ctx, 6, 1)
	if err != nil || source != FeeSourceSmart || rate < 11.99 || rate > 12.01 {
		t.Errorf("FeeRate = %v, %q, %v; want 12 sat/vB from %s", rate, source, err, FeeSourceSmart)
	}
	if got := calls.Load(); got != 3 {
		t.Errorf("%d requests, want 3 (two warmup answers retried)", got)
	}
	_, err = c.Broadcast(ctx, wire.NewMsgTx(2))
	checkBroadcastErr(t, err, ErrConflict)
	if _, err := c.MempoolTxids(ctx); !isMethodNotFound(err) {
		t.Errorf("MempoolTxids = %v, want the node's method-not-found error", err)
	}
	if _, _, err := c.TestAccept(ctx, wire.NewMsgTx(2)); !errors.Is(err, ErrUnsupported) {
		t.Errorf("TestAccept on a node without it = %v, want ErrUnsupported", err)
	}
}

// A Bitcoin Core node on testnet4 (bitcoind -testnet4) answers
// getblockhash 0 with BIP-94's genesis block: a coordinator configured for
// testnet4 takes it, one configured for testnet (testnet3), whose addresses
// and keys look the same, is refused with both networks named, and so is
// a node of a chain airsign does not know.
func TestGenesisCheck(t *testing.T) {
	genesis := "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Method string `json:"method"`
			Params []int  `json:"params"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		w.Header().Set("Content-Type", "application/json")
		if req.Method != "getblockhash" || len(req.Params) != 1 || req.Params[0] != 0 {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"result":null,"error":{"code":-32601,"message":"Method not found"},"id":1}`)
			return
		}
		io.WriteString(w, `{"result":"`+genesis+`","error":null,"id":1}`)
	}))
	defer srv.Close()
	for _, tt := range []struct {
		genesis string
		net     descriptor.Network
		want    string // "" for no error
	}{
		{genesis, descriptor.Testnet4, ""},
		{genesis, descriptor.Testnet, "is a testnet4 node (genesis block 00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043), but network testnet is configured (genesis block 000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943): point it at a testnet node, or configure network testnet4"},
		{genesis, descriptor.Signet, "is a testnet4 node"},
		{"000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943", descriptor.Testnet4, "is a testnet node (genesis block 000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943), but network testnet4 is configured"},
		{"00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6", descriptor.Testnet4, "is a signet node"},
		{"12a765e31ffd4059bada1e25190f6e98c99d9714d334efa41a195a7e7e04bfe2", descriptor.Testnet4, // Litecoin's
			"of none of the networks mainnet, testnet, testnet4, signet or regtest, but network testnet4 is configured"},
	} {
		genesis = tt.genesis
		c, err := Dial(Config{URL: srv.URL, Params: tt.net.Params()})
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Dial(%v) to a node with genesis %.16s…: %v", tt.net, tt.genesis, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("Dial(%v) to a node with genesis %.16s… = %v, want an error containing %q", tt.net, tt.genesis, err, tt.want)
		}
		if c != nil {
			c.Close()
		}
	}
}
