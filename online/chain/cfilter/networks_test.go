package cfilter

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"airsign/psbt/descriptor"
)

// Every network a coordinator can be configured for, with the values the
// BIPs and Bitcoin Core fix for it: what the genesis check at connect
// compares, what its addresses and extended keys look like.
func TestNetworks(t *testing.T) {
	for _, tc := range []struct {
		net              descriptor.Network
		genesis          string
		port             string
		hrp              string
		p2pkh, p2sh      byte
		segwitPrefix     string
		xpub, xprv       string
		pubID, privID    [4]byte
		coinType         uint32
		legacyAddrPrefix string // of a P2PKH address of hash160 all zero
	}{
		{descriptor.Mainnet, "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f", "8333",
			"bc", 0x00, 0x05, "bc1q", "xpub", "xprv", [4]byte{0x04, 0x88, 0xb2, 0x1e}, [4]byte{0x04, 0x88, 0xad, 0xe4}, 0, "1"},
		{descriptor.Testnet, "000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943", "18333",
			"tb", 0x6f, 0xc4, "tb1q", "tpub", "tprv", [4]byte{0x04, 0x35, 0x87, 0xcf}, [4]byte{0x04, 0x35, 0x83, 0x94}, 1, "m"},
		{descriptor.Signet, "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6", "38333",
			"tb", 0x6f, 0xc4, "tb1q", "tpub", "tprv", [4]byte{0x04, 0x35, 0x87, 0xcf}, [4]byte{0x04, 0x35, 0x83, 0x94}, 1, "m"},
		{descriptor.Regtest, "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206", "18444",
			"bcrt", 0x6f, 0xc4, "bcrt1q", "tpub", "tprv", [4]byte{0x04, 0x35, 0x87, 0xcf}, [4]byte{0x04, 0x35, 0x83, 0x94}, 1, "m"},
		// BIP-94: testnet3's encodings, its own genesis block and port.
		{descriptor.Testnet4, "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043", "48333",
			"tb", 0x6f, 0xc4, "tb1q", "tpub", "tprv", [4]byte{0x04, 0x35, 0x87, 0xcf}, [4]byte{0x04, 0x35, 0x83, 0x94}, 1, "m"},
	} {
		t.Run(tc.net.String(), func(t *testing.T) {
			p := tc.net.Params()
			if got := p.GenesisHash.String(); got != tc.genesis {
				t.Errorf("genesis %s, want %s", got, tc.genesis)
			}
			if got := p.GenesisBlock.BlockHash().String(); got != tc.genesis {
				t.Errorf("genesis block hashes to %s, want %s", got, tc.genesis)
			}
			if p.DefaultPort != tc.port {
				t.Errorf("P2P port %s, want %s", p.DefaultPort, tc.port)
			}
			if p.Bech32HRPSegwit != tc.hrp || p.PubKeyHashAddrID != tc.p2pkh || p.ScriptHashAddrID != tc.p2sh {
				t.Errorf("hrp %q p2pkh %#x p2sh %#x, want %q %#x %#x", p.Bech32HRPSegwit, p.PubKeyHashAddrID, p.ScriptHashAddrID, tc.hrp, tc.p2pkh, tc.p2sh)
			}
			if p.HDPublicKeyID != tc.pubID || p.HDPrivateKeyID != tc.privID {
				t.Errorf("BIP-32 versions %x %x, want %x %x", p.HDPublicKeyID, p.HDPrivateKeyID, tc.pubID, tc.privID)
			}
			if got := tc.net.CoinType(); got != tc.coinType {
				t.Errorf("coin type %d, want %d", got, tc.coinType)
			}
			wa, err := btcutil.NewAddressWitnessPubKeyHash(make([]byte, 20), p)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(wa.EncodeAddress(), tc.segwitPrefix) {
				t.Errorf("P2WPKH address %s, want prefix %s", wa.EncodeAddress(), tc.segwitPrefix)
			}
			la, err := btcutil.NewAddressPubKeyHash(make([]byte, 20), p)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(la.EncodeAddress(), tc.legacyAddrPrefix) {
				t.Errorf("P2PKH address %s, want prefix %s", la.EncodeAddress(), tc.legacyAddrPrefix)
			}
			m, err := hdkeychain.NewMaster(bytes.Repeat([]byte{1}, 32), p)
			if err != nil {
				t.Fatal(err)
			}
			pub, err := m.Neuter()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(m.String(), tc.xprv) || !strings.HasPrefix(pub.String(), tc.xpub) {
				t.Errorf("extended keys %.4s… %.4s…, want %s %s", m.String(), pub.String(), tc.xprv, tc.xpub)
			}
			if back, err := descriptor.ParseNetwork(tc.net.String()); err != nil || back != tc.net {
				t.Errorf("ParseNetwork(%q) = %v, %v", tc.net.String(), back, err)
			}
		})
	}
}

// A client configured for testnet4 speaks with testnet4's message start
// (1c 16 3f 28, Bitcoin Core's pchMessageStart) from its first message,
// and a peer that hangs up on it is asked about as a testnet4 node on
// testnet4's port.
func TestTestnet4Handshake(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	first := make(chan []byte, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			first <- nil
			return
		}
		defer conn.Close()
		hdr := make([]byte, wire.MessageHeaderSize)
		_, err = io.ReadFull(conn, hdr)
		if err != nil {
			hdr = nil
		}
		first <- hdr // then hang up, as a node of another network does
	}()
	_, err = Dial(context.Background(), Config{Peers: []string{ln.Addr().String()}, Params: descriptor.Testnet4.Params(), Timeout: 10 * time.Second})
	hdr := <-first
	if hdr == nil {
		t.Fatalf("the client sent no message header (Dial: %v)", err)
	}
	if !bytes.Equal(hdr[:4], []byte{0x1c, 0x16, 0x3f, 0x28}) {
		t.Errorf("first message starts % x; want testnet4's 1c 16 3f 28", hdr[:4])
	}
	if cmd := string(bytes.TrimRight(hdr[4:16], "\x00")); cmd != "version" {
		t.Errorf("first message %q; want version", cmd)
	}
	if want := "is it a testnet4 node, and is that its P2P port (testnet4's default is 48333)?"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Dial to a peer that hangs up = %v; want an error containing %q", err, want)
	}
}

// cfilter checks each header's proof of work against its own bits and
// the network's limit, not the retarget schedule (docs/DECISIONS.md): on
// testnet4 the genesis block passes and bits easier than testnet4's limit
// (testnet3's, 0x1d00ffff) are refused.
func TestTestnet4Work(t *testing.T) {
	p := descriptor.Testnet4.Params()
	now := func() time.Time { return time.Unix(1_800_000_000, 0) }
	c := newHeaderChain(p, now)
	if h, tip := c.tip(); h != 0 || tip.String() != "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043" {
		t.Errorf("tip of a new testnet4 chain = %d %v; want its genesis block", h, tip)
	}
	g := p.GenesisBlock.Header
	if err := c.checkWork(&g, g.BlockHash()); err != nil {
		t.Errorf("checkWork(testnet4 genesis) = %v", err)
	}
	easy := wire.BlockHeader{Version: 4, PrevBlock: g.BlockHash(), Timestamp: now(), Bits: 0x1d01ffff}
	if err := c.checkWork(&easy, chainhash.Hash{}); err == nil || !strings.Contains(err.Error(), "outside testnet4's proof-of-work limit") {
		t.Errorf("checkWork(bits 1d01ffff) = %v; want it outside testnet4's limit", err)
	}
	if _, err := c.connect([]*wire.BlockHeader{&easy}); err == nil {
		t.Error("connect(a header easier than testnet4's limit) = nil; want it refused")
	}
}
