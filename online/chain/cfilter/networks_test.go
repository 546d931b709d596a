package cfilter

import (
	"bytes"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"

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
