package chain

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/btcsuite/btcd/btcjson"
)

// Defaults for the zero values of Config.
const (
	// DefaultTimeout bounds one HTTP request.
	DefaultTimeout = 30 * time.Second
	// DefaultAttempts is how often an unreachable node is tried.
	DefaultAttempts = 5
	// DefaultBackoff is the first wait between tries; it doubles.
	DefaultBackoff = 100 * time.Millisecond

	maxBackoff  = 2 * time.Second
	maxResponse = 64 << 20 // a 4 MB block is 8 MB of hex; leave room
)

// ErrUnreachable matches (errors.Is) the error returned when the node could
// not be reached after all attempts; the error itself is an
// *UnreachableError that names the node and the number of tries.
var ErrUnreachable = errors.New("node unreachable")

// UnreachableError reports a node that did not answer after Tries attempts.
type UnreachableError struct {
	URL   string // the node's URL, without credentials
	Tries int
	Err   error // the last transport error
}

// Error says which node, how often it was tried and what to check.
func (e *UnreachableError) Error() string {
	return fmt.Sprintf("node at %s unreachable after %d tries: is it running? (last error: %v)", e.URL, e.Tries, e.Err)
}

// Unwrap returns the last transport error.
func (e *UnreachableError) Unwrap() error { return e.Err }

// Is reports whether target is ErrUnreachable.
func (e *UnreachableError) Is(target error) bool { return target == ErrUnreachable }

// ErrAuth matches an HTTP 401/403 answer: wrong RPC user or password.
var ErrAuth = errors.New("node refused the RPC credentials")

// transportError is a failure below JSON-RPC: the request may not have
// reached the node (dialed) or its answer was lost.
type transportError struct {
	err     error
	notSent bool // the connection was never established, or the node was warming up
}

func (e *transportError) Error() string { return e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// rpcRequest is a JSON-RPC 1.0 request as both btcd and Bitcoin Core accept it.
type rpcRequest struct {
	JSONRPC string `json:"jsonrpc"`
	ID      uint64 `json:"id"`
	Method  string `json:"method"`
	Params  []any  `json:"params"`
}

type rpcResponse struct {
	Result json.RawMessage   `json:"result"`
	Error  *btcjson.RPCError `json:"error"`
}

// warmupCode is Bitcoin Core's RPC_IN_WARMUP: the node is starting and did
// not process the request, so it is safe to retry.
const warmupCode = -28

// call sends one JSON-RPC request with retries and decodes the result into
// out (which may be nil). idempotent says whether a request that may have
// reached the node may be sent again; when false only failures that prove
// the node never saw it are retried.
func (c *Client) call(ctx context.Context, method string, params []any, out any, idempotent bool) error {
	if params == nil {
		params = []any{}
	}
	body, err := json.Marshal(rpcRequest{JSONRPC: "1.0", ID: c.nextID.Add(1), Method: method, Params: params})
	if err != nil {
		return fmt.Errorf("%s: encoding request: %w", method, err)
	}
	delay := c.cfg.Backoff
	var last error
	for try := 1; ; try++ {
		raw, err := c.post(ctx, body)
		if err == nil {
			return decodeResult(method, raw, out)
		}
		var te *transportError
		if !errors.As(err, &te) {
			return fmt.Errorf("%s: %w", method, err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: node at %s: %w (after %d tries, last error: %v)", method, c.redacted, ctx.Err(), try, te.err)
		}
		if !te.notSent && !idempotent {
			// The node may have acted on it; sending again could
			// only confuse the caller. Report what we know.
			return fmt.Errorf("%s: node at %s: %w", method, c.redacted, te.err)
		}
		last = te.err
		if try >= c.cfg.Attempts {
			return fmt.Errorf("%s: %w", method, &UnreachableError{URL: c.redacted, Tries: try, Err: last})
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s: node at %s: %w (after %d tries, last error: %v)", method, c.redacted, ctx.Err(), try, last)
		case <-t.C:
		}
		delay = min(2*delay, maxBackoff)
	}
}

// post sends body once and returns the raw JSON-RPC response, or a
// *transportError, or an error for an HTTP answer that is not JSON-RPC.
func (c *Client) post(ctx context.Context, body []byte) (*rpcResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(c.cfg.User, c.cfg.Pass)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &transportError{err: err, notSent: dialFailed(err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, &transportError{err: fmt.Errorf("reading response: %w", err)}
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return nil, fmt.Errorf("%w at %s (HTTP %d): check the RPC user and password", ErrAuth, c.redacted, resp.StatusCode)
	case http.StatusServiceUnavailable:
		// btcd answers 503 when it has too many RPC clients, Core
		// while warming up; neither processed the request.
		return nil, &transportError{err: fmt.Errorf("HTTP 503: %s", strings.TrimSpace(string(data))), notSent: true}
	}
	var r rpcResponse
	if err := json.Unmarshal(data, &r); err != nil {
		// Bitcoin Core sends JSON errors with HTTP 404/500; anything
		// else that is not JSON is not a Bitcoin node speaking.
		return nil, fmt.Errorf("node at %s answered HTTP %d with no JSON-RPC body: %.200q", c.redacted, resp.StatusCode, data)
	}
	if r.Error != nil && r.Error.Code == warmupCode {
		return nil, &transportError{err: fmt.Errorf("node warming up: %s", r.Error.Message), notSent: true}
	}
	return &r, nil
}

// decodeResult turns a JSON-RPC response into out or into an error that
// wraps the node's *btcjson.RPCError.
func decodeResult(method string, r *rpcResponse, out any) error {
	if r.Error != nil {
		return fmt.Errorf("%s: %w", method, r.Error)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(r.Result, out); err != nil {
		return fmt.Errorf("%s: decoding result %.200q: %w", method, r.Result, err)
	}
	return nil
}

// dialFailed reports whether err shows that no connection was made, so the
// node cannot have seen the request.
func dialFailed(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns) || errors.Is(err, syscall.ECONNREFUSED)
}

// rpcCode returns the JSON-RPC error code in err, if any.
func rpcCode(err error) (btcjson.RPCErrorCode, string, bool) {
	var re *btcjson.RPCError
	if errors.As(err, &re) {
		return re.Code, re.Message, true
	}
	return 0, "", false
}

// isMethodNotFound reports whether err is the node saying it has no such RPC.
func isMethodNotFound(err error) bool {
	code, _, ok := rpcCode(err)
	return ok && code == btcjson.ErrRPCMethodNotFound.Code
}

// parseURL checks a node URL and returns it without credentials, the form
// for messages, and the credentials it held, if any.
func parseURL(raw string) (endpoint, redacted, user, pass string, err error) {
	if raw == "" {
		return "", "", "", "", errors.New("chain: Config.URL is empty; want the node's RPC address such as http://127.0.0.1:8332")
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", "", "", fmt.Errorf("chain: node URL %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", "", "", "", fmt.Errorf("chain: node URL %q: scheme %q, want http or https", u.Redacted(), u.Scheme)
	}
	if u.Host == "" {
		return "", "", "", "", fmt.Errorf("chain: node URL %q has no host", u.Redacted())
	}
	redacted = u.Redacted()
	if u.User != nil {
		user = u.User.Username()
		pass, _ = u.User.Password()
		u.User = nil
	}
	return u.String(), redacted, user, pass, nil
}
