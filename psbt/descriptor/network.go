package descriptor

import (
	"fmt"

	"github.com/btcsuite/btcd/chaincfg"
)

// Network is the Bitcoin network a wallet lives on. Its zero value is not a
// network, so that a descriptor someone forgot to fill in is refused instead
// of silently becoming a mainnet wallet.
type Network int

// The networks airsign knows. The test networks share the tpub key encoding
// and coin type 1'; only regtest's addresses differ (bcrt1), so a testnet,
// testnet4 or signet wallet has the same keys and addresses on all three.
//
// The values are never stored (wallets, configuration and transcripts
// hold the name String gives), but Testnet4 comes after Regtest anyway so
// that a value once printed keeps its meaning.
const (
	Mainnet  Network = iota + 1 // Bitcoin: xpub, coin type 0', bc1 addresses
	Testnet                     // testnet3: tpub, coin type 1', tb1 addresses
	Signet                      // default signet: tpub, coin type 1', tb1 addresses
	Regtest                     // local regression test: tpub, coin type 1', bcrt1 addresses
	Testnet4                    // BIP-94 testnet4: tpub, coin type 1', tb1 addresses

	lastNetwork = Testnet4
)

var networkNames = [...]string{Mainnet: "mainnet", Testnet: "testnet", Signet: "signet", Regtest: "regtest", Testnet4: "testnet4"}

// NetworkChoices lists the names ParseNetwork reads, for help texts and
// errors.
const NetworkChoices = "mainnet, testnet, testnet4, signet or regtest"

// Networks returns every network, in the order NetworkChoices lists them.
func Networks() []Network { return []Network{Mainnet, Testnet, Testnet4, Signet, Regtest} }

// ParseNetwork reads the names written by Network.String, as used in
// configuration files and command-line flags.
func ParseNetwork(s string) (Network, error) {
	for n := Mainnet; n <= lastNetwork; n++ {
		if s == networkNames[n] {
			return n, nil
		}
	}
	return 0, fmt.Errorf("unknown network %q: use %s", truncate(s), NetworkChoices)
}

// String returns the lowercase name ParseNetwork reads back.
func (n Network) String() string {
	if !n.valid() {
		return fmt.Sprintf("Network(%d)", int(n))
	}
	return networkNames[n]
}

func (n Network) valid() bool { return n >= Mainnet && n <= lastNetwork }

// Params returns btcd's parameters for the network, or nil for a value that
// is not one of the declared networks. btcd v0.24 has no testnet4: its
// parameters are airsign's own (testnet4.go).
func (n Network) Params() *chaincfg.Params {
	switch n {
	case Mainnet:
		return &chaincfg.MainNetParams
	case Testnet:
		return &chaincfg.TestNet3Params
	case Signet:
		return &chaincfg.SigNetParams
	case Regtest:
		return &chaincfg.RegressionNetParams
	case Testnet4:
		return &testnet4Params
	}
	return nil
}

// CoinType returns the BIP44 coin type (unhardened): every test network uses
// 1 so that test coins can never be derived from mainnet paths.
func (n Network) CoinType() uint32 {
	if n == Mainnet {
		return 0
	}
	return 1
}

// isMainnet reports whether keys of the network use the mainnet (xpub)
// encoding rather than the shared test encoding (tpub).
func (n Network) isMainnet() bool { return n == Mainnet }

// ScriptType is the kind of output an account pays to. Its zero value is
// not a script type, for the same reason as Network's.
type ScriptType int

// The script types, each with its BIP43 purpose. The multisig types pay to
// a sorted multisig script (BIP67 order, BIP383 sortedmulti) of every
// cosigner's key derived at the same branch and index.
const (
	P2PKH          ScriptType = iota + 1 // legacy, BIP44
	P2SHP2WPKH                           // nested segwit, BIP49
	P2WPKH                               // native segwit v0, BIP84
	P2TR                                 // taproot key path, BIP86
	P2WSHMulti                           // wsh(sortedmulti(...)), BIP48 script type 2'
	P2SHP2WSHMulti                       // sh(wsh(sortedmulti(...))), BIP48 script type 1'
)

var scriptNames = [...]string{
	P2PKH:          "p2pkh",
	P2SHP2WPKH:     "p2sh-p2wpkh",
	P2WPKH:         "p2wpkh",
	P2TR:           "p2tr",
	P2WSHMulti:     "p2wsh-sortedmulti",
	P2SHP2WSHMulti: "p2sh-p2wsh-sortedmulti",
}

// ParseScriptType reads the names written by ScriptType.String.
func ParseScriptType(s string) (ScriptType, error) {
	for t := P2PKH; t <= P2SHP2WSHMulti; t++ {
		if s == scriptNames[t] {
			return t, nil
		}
	}
	return 0, fmt.Errorf("unknown script type %q: use p2pkh, p2sh-p2wpkh, p2wpkh, p2tr, p2wsh-sortedmulti or p2sh-p2wsh-sortedmulti", truncate(s))
}

// String returns the lowercase name ParseScriptType reads back.
func (s ScriptType) String() string {
	if !s.valid() {
		return fmt.Sprintf("ScriptType(%d)", int(s))
	}
	return scriptNames[s]
}

func (s ScriptType) valid() bool { return s >= P2PKH && s <= P2SHP2WSHMulti }

// Multisig reports whether the script type is a sorted multisig, whose
// descriptor holds its keys in Keys and its threshold in Threshold.
func (s ScriptType) Multisig() bool { return s == P2WSHMulti || s == P2SHP2WSHMulti }

// Purpose returns the BIP43 purpose (unhardened) of the standard derivation
// path for the script type, or 0 for an invalid value. Both multisig types
// use BIP48's purpose 48, and tell themselves apart by BIP48Type.
func (s ScriptType) Purpose() uint32 {
	switch s {
	case P2PKH:
		return 44
	case P2SHP2WPKH:
		return 49
	case P2WPKH:
		return 84
	case P2TR:
		return 86
	case P2WSHMulti, P2SHP2WSHMulti:
		return 48
	}
	return 0
}

// BIP48Type returns the script type step (unhardened) of BIP48's path
// m/48'/coin'/account'/script_type': 2 for P2WSH, 1 for P2SH-P2WSH, and 0
// for single-sig types, which have no such step.
func (s ScriptType) BIP48Type() uint32 {
	switch s {
	case P2WSHMulti:
		return 2
	case P2SHP2WSHMulti:
		return 1
	}
	return 0
}

// truncate shortens untrusted text before it is quoted in an error, so a
// hostile QR payload cannot flood a screen or a log.
func truncate(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
