package descriptor

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"
)

// The genesis block built here is the one BIP-94 and Bitcoin Core fix:
// Core asserts these two hashes in CTestNet4Params.
func TestTestnet4Genesis(t *testing.T) {
	p := Testnet4.Params()
	b := p.GenesisBlock
	for _, tt := range []struct{ what, got, want string }{
		{"genesis hash", b.BlockHash().String(), "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043"},
		{"GenesisHash", p.GenesisHash.String(), "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043"},
		{"merkle root", b.Header.MerkleRoot.String(), "7aa0a7ae1e223414cb807e40cd57e667b718e42aaf9306db9102fe28912b7b4e"},
		{"coinbase txid", b.Transactions[0].TxHash().String(), "7aa0a7ae1e223414cb807e40cd57e667b718e42aaf9306db9102fe28912b7b4e"},
		{"name", p.Name, "testnet4"},
		{"port", p.DefaultPort, "48333"},
		{"bech32 HRP", p.Bech32HRPSegwit, "tb"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %s; want %s", tt.what, tt.got, tt.want)
		}
	}
	if len(b.Transactions) != 1 || b.Header.PrevBlock != [32]byte{} {
		t.Errorf("genesis has %d transactions and parent %v; want one and none", len(b.Transactions), b.Header.PrevBlock)
	}
	if p.PowLimit.Cmp(chaincfg.TestNet3Params.PowLimit) != 0 || p.PowLimitBits != 0x1d00ffff {
		t.Errorf("proof-of-work limit %x (bits %08x); want testnet3's", p.PowLimit, p.PowLimitBits)
	}
	if len(p.Checkpoints) != 0 {
		t.Errorf("%d checkpoints; testnet3's must not be kept", len(p.Checkpoints))
	}
}

// The message start on the wire is Core's pchMessageStart, 1c 16 3f 28: a
// peer reads the first four bytes of every message against it.
func TestTestnet4MessageStart(t *testing.T) {
	var buf bytes.Buffer
	if err := wire.WriteMessage(&buf, wire.NewMsgVerAck(), wire.ProtocolVersion, Testnet4.Params().Net); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.Bytes()[:4], []byte{0x1c, 0x16, 0x3f, 0x28}; !bytes.Equal(got, want) {
		t.Errorf("message start % x; want % x", got, want)
	}
}

// Registration happened once, at package init: a second one is refused by
// btcd, and addresses of the shared tb prefix still decode for testnet3
// and signet as for testnet4.
func TestTestnet4Registered(t *testing.T) {
	if err := chaincfg.Register(Testnet4.Params()); !errors.Is(err, chaincfg.ErrDuplicateNet) {
		t.Errorf("registering testnet4 again: %v; want ErrDuplicateNet (init registers it)", err)
	}
	for _, addr := range []string{
		"tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx",                     // BIP-173's P2WPKH
		"tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c", // BIP-350's P2TR
		"mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn",                             // P2PKH
		"2MzQwSSnBHWHqSAqtTVQ6v47XtaisrJa1Vc",                            // P2SH
	} {
		for _, p := range []*chaincfg.Params{&chaincfg.TestNet3Params, &chaincfg.SigNetParams, Testnet4.Params()} {
			a, err := btcutil.DecodeAddress(addr, p)
			if err != nil || !a.IsForNet(p) || a.EncodeAddress() != addr {
				t.Errorf("DecodeAddress(%s, %s) = %v, %v; want it for %s", addr, p.Name, a, err, p.Name)
			}
		}
		if a, err := btcutil.DecodeAddress(addr, &chaincfg.MainNetParams); err == nil && a.IsForNet(&chaincfg.MainNetParams) {
			t.Errorf("DecodeAddress(%s, mainnet) = %v; a test address must not be a mainnet one", addr, a)
		}
	}
}

func mustFile(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// A testnet4 wallet is a testnet3 wallet: the same tpub, the same paths
// (coin type 1') and the same addresses, for single-sig and multisig.
func TestTestnet4SameAsTestnet(t *testing.T) {
	const tpub = "tpubDC8msFGeGuwnKG9Upg7DM2b4DaRqg3CUZa5g8v2SRQ6K4NSkxUgd7HsL2XVWbVm39yBA4LAxysQAm397zwQSQoQgewGiYZqrA9DsP4zbQ1M"
	descs := []string{
		"wpkh([" + abandonFP + "/84'/1'/0']" + tpub + "/<0;1>/*)",
		"tr([" + abandonFP + "/86'/1'/0']" + tpub + "/<0;1>/*)",
		"sh(wpkh([" + abandonFP + "/49'/1'/0']" + tpub + "/<0;1>/*))",
		"pkh([" + abandonFP + "/44'/1'/0']" + tpub + "/<0;1>/*)",
		multiDesc(t, 2, 3, Testnet),
	}
	for _, desc := range descs {
		d3, err := ParseForNetwork(desc, Testnet)
		if err != nil {
			t.Fatalf("ParseForNetwork(testnet): %v", err)
		}
		d4, err := ParseForNetwork(desc, Testnet4)
		if err != nil {
			t.Fatalf("ParseForNetwork(%s, testnet4): %v", desc, err)
		}
		if d4.Network != Testnet4 || d4.String() != d3.String() {
			t.Errorf("testnet4 descriptor %v %s; want testnet3's text %s", d4.Network, d4, d3)
		}
		for _, bi := range [][2]uint32{{0, 0}, {0, 1}, {1, 7}} {
			a3, err3 := d3.Address(bi[0], bi[1])
			a4, err4 := d4.Address(bi[0], bi[1])
			if err3 != nil || err4 != nil || a3.EncodeAddress() != a4.EncodeAddress() {
				t.Errorf("%.20s… Address(%d, %d): testnet %v %v, testnet4 %v %v; want the same", desc, bi[0], bi[1], a3, err3, a4, err4)
			}
			if !a4.IsForNet(Testnet4.Params()) {
				t.Errorf("Address %v is not for testnet4", a4)
			}
		}
	}
	// No wallet file can tell testnet4 from testnet3: each says "a test
	// network" only, by its key prefix (tpub, vpub, upub) and addresses.
	multi3, err := ParseForNetwork(descs[4], Testnet)
	if err != nil {
		t.Fatal(err)
	}
	multi4, err := ParseForNetwork(descs[4], Testnet4)
	if err != nil {
		t.Fatal(err)
	}
	single3, _ := ParseForNetwork(descs[0], Testnet)
	single4, _ := ParseForNetwork(descs[0], Testnet4)
	for _, f := range []struct {
		name string
		file func(*Descriptor) ([]byte, error)
		d3   *Descriptor
		d4   *Descriptor
	}{
		{"BSMS", (*Descriptor).BSMS, multi3, multi4},
		{"Coldcard", func(d *Descriptor) ([]byte, error) { return d.ColdcardMultisig("vault") }, multi3, multi4},
		{"Electrum multisig", (*Descriptor).ElectrumWallet, multi3, multi4},
		{"Electrum single", (*Descriptor).ElectrumWallet, single3, single4},
	} {
		b3, err3 := f.file(f.d3)
		b4, err4 := f.file(f.d4)
		if err3 != nil || err4 != nil || !bytes.Equal(b3, b4) {
			t.Errorf("%s file: testnet %v, testnet4 %v; want the same file\n%s\n%s", f.name, err3, err4, b3, b4)
		}
	}
	if r, err := ParseBSMSForNetwork(mustFile(multi4.BSMS()), Testnet4); err != nil || r.Descriptor.Network != Testnet4 {
		t.Errorf("ParseBSMSForNetwork(testnet4 record, Testnet4) = %v; want it read back on testnet4", err)
	}
	// A key of coin type 0' is a mainnet path: refused on testnet4 as on
	// testnet3.
	if _, err := ParseForNetwork("wpkh(["+abandonFP+"/84'/0'/0']"+tpub+"/<0;1>/*)", Testnet4); err == nil || !strings.Contains(err.Error(), "coin type") {
		t.Errorf("a coin type 0' origin on testnet4: %v; want it refused", err)
	}
}
