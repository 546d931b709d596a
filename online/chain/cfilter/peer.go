package cfilter

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/peer"
	"github.com/btcsuite/btcd/wire"
)

// remote is one connected peer. Requests to it are made one at a time (ask
// holds mu); the answers its listeners see are handed to the request
// waiting in ask, and dropped when none waits.
type remote struct {
	addr string
	p    *peer.Peer
	gone chan struct{} // closed when the connection ends

	mu   sync.Mutex
	resp chan wire.Message
}

// respBuffer holds the answers to one request: a batch of filters is
// filtersPerRequest messages.
const respBuffer = 2 * filtersPerRequest

// errPeerGone matches a request to a peer whose connection ended.
var errPeerGone = errors.New("peer disconnected")

// connectPeer dials addr and completes the version handshake. onTx and
// onInv see relayed transactions (see Client.relay).
func (c *Client) connectPeer(ctx context.Context, addr string) (*remote, error) {
	r := &remote{addr: addr, gone: make(chan struct{}), resp: make(chan wire.Message, respBuffer)}
	verack := make(chan struct{}, 1)
	hand := func(_ *peer.Peer, m wire.Message) {
		select {
		case r.resp <- m:
		default:
		}
	}
	cfg := &peer.Config{
		UserAgentName:    "airsign",
		UserAgentVersion: "1",
		ChainParams:      c.cfg.Params,
		ProtocolVersion:  wire.ProtocolVersion,
		// A peer reads our messages with witnesses only if we say we
		// understand them; we serve nothing else.
		Services: wire.SFNodeWitness,
		// Our own timeouts bound every request; btcd's stall
		// handler would disconnect on a slow filter batch.
		DisableStallHandler: true,
		Listeners: peer.MessageListeners{
			OnVerAck:    func(*peer.Peer, *wire.MsgVerAck) { verack <- struct{}{} },
			OnHeaders:   func(p *peer.Peer, m *wire.MsgHeaders) { hand(p, m) },
			OnCFHeaders: func(p *peer.Peer, m *wire.MsgCFHeaders) { hand(p, m) },
			OnCFilter:   func(p *peer.Peer, m *wire.MsgCFilter) { hand(p, m) },
			OnBlock:     func(p *peer.Peer, m *wire.MsgBlock, _ []byte) { hand(p, m) },
			OnNotFound:  func(p *peer.Peer, m *wire.MsgNotFound) { hand(p, m) },
			OnReject:    func(p *peer.Peer, m *wire.MsgReject) { hand(p, m) },
			OnTx: func(p *peer.Peer, m *wire.MsgTx) {
				c.pool.add(m)
				hand(p, m)
			},
			OnInv: func(p *peer.Peer, m *wire.MsgInv) { c.relay(p, m) },
		},
	}
	p, err := peer.NewOutboundPeer(cfg, addr)
	if err != nil {
		return nil, fmt.Errorf("peer %s: %w", addr, err)
	}
	dctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(dctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("peer %s: %w", addr, err)
	}
	r.p = p
	p.AssociateConnection(conn)
	go func() { p.WaitForDisconnect(); close(r.gone) }()
	select {
	case <-verack:
	case <-r.gone:
		return nil, fmt.Errorf("peer %s closed the connection during the handshake: is it a %s node, and is that its P2P port (%s's default is %s)?",
			addr, c.cfg.Params.Name, c.cfg.Params.Name, c.cfg.Params.DefaultPort)
	case <-dctx.Done():
		p.Disconnect()
		return nil, fmt.Errorf("peer %s did not complete the handshake in %v: is it a %s node?", addr, c.cfg.Timeout, c.cfg.Params.Name)
	}
	if need := wire.SFNodeCF | wire.SFNodeWitness; p.Services()&need != need {
		p.Disconnect()
		return nil, fmt.Errorf("peer %s (%s) does not serve compact block filters and witness blocks (services %v): run btcd without --nocfilters, or Bitcoin Core with -blockfilterindex=1 -peerblockfilters=1",
			addr, p.UserAgent(), p.Services())
	}
	if err := c.checkGenesis(ctx, r); err != nil {
		p.Disconnect()
		return nil, err
	}
	if p.Services()&wire.SFNodeBloom != 0 {
		// Its mempool as inv messages (BIP-35); peers without
		// NODE_BLOOM disconnect on it, and relay only what arrives
		// from now on.
		p.QueueMessage(wire.NewMsgMemPool(), nil)
	}
	return r, nil
}

// checkGenesis asks the peer for our network's genesis block: a node of
// another chain with the same message start answers notfound.
func (c *Client) checkGenesis(ctx context.Context, r *remote) error {
	g := *c.cfg.Params.GenesisHash
	b, err := r.block(ctx, c.cfg.Timeout, g)
	if errors.Is(err, errNotFound) {
		return fmt.Errorf("peer %s does not have the genesis block of %s (%v): it is on another chain; point the coordinator at %s nodes", r.addr, c.cfg.Params.Name, g, c.cfg.Params.Name)
	}
	if err != nil {
		return fmt.Errorf("checking the network of %w", err)
	}
	if b.BlockHash() != g {
		return fmt.Errorf("peer %s sent block %v for the genesis block of %s (%v): it is not on %s", r.addr, b.BlockHash(), c.cfg.Params.Name, g, c.cfg.Params.Name)
	}
	return nil
}

// ask sends msg and hands every answer to take until take says done or
// fails, the timeout passes, ctx ends or the peer goes.
func (r *remote) ask(ctx context.Context, timeout time.Duration, what string, msgs []wire.Message, take func(wire.Message) (done bool, err error)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.resp) > 0 {
		<-r.resp // answers to an earlier request that timed out
	}
	for _, m := range msgs {
		// QueueMessage would strip a broadcast transaction's witnesses.
		r.p.QueueMessageWithEncoding(m, nil, wire.WitnessEncoding)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case m := <-r.resp:
			done, err := take(m)
			if err != nil {
				return fmt.Errorf("peer %s: %s: %w", r.addr, what, err)
			}
			if done {
				return nil
			}
		case <-t.C:
			return fmt.Errorf("peer %s: %s: no answer in %v (btcd ignores header and filter requests while it is not synced)", r.addr, what, timeout)
		case <-ctx.Done():
			return fmt.Errorf("peer %s: %s: %w", r.addr, what, ctx.Err())
		case <-r.gone:
			return fmt.Errorf("peer %s: %s: %w", r.addr, what, errPeerGone)
		}
	}
}

// errNotFound is a peer's notfound for what we asked.
var errNotFound = errors.New("the peer does not have it")

// block fetches one block (with witnesses) by hash.
func (r *remote) block(ctx context.Context, timeout time.Duration, hash chainhash.Hash) (*wire.MsgBlock, error) {
	gd := wire.NewMsgGetData()
	_ = gd.AddInvVect(wire.NewInvVect(wire.InvTypeWitnessBlock, &hash))
	var got *wire.MsgBlock
	err := r.ask(ctx, timeout, "block "+hash.String(), []wire.Message{gd}, func(m wire.Message) (bool, error) {
		switch m := m.(type) {
		case *wire.MsgBlock:
			if m.BlockHash() == hash {
				got = m
				return true, nil
			}
		case *wire.MsgNotFound:
			if lists(m, hash) {
				return false, errNotFound
			}
		}
		return false, nil
	})
	return got, err
}

// lists reports whether a notfound names hash.
func lists(m *wire.MsgNotFound, hash chainhash.Hash) bool {
	for _, iv := range m.InvList {
		if iv.Hash == hash {
			return true
		}
	}
	return false
}
