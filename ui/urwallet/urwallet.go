// Package urwallet converts wallet descriptors to and from the Blockchain
// Commons UR types wallets exchange them in (crypto-output, crypto-account),
// so a kiosk's watch-only export scans into Sparrow, Keystone or the
// coordinator, and their multisig setups scan into the kiosk. It is a
// package of its own because it joins two that must not know each other:
// psbt/descriptor (no QR) and ui/qr/ur (std only); the kiosk app, the
// kiosk's command line and the coordinator all use it.
package urwallet

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcutil/hdkeychain"

	"airsign/psbt/descriptor"
	"airsign/ui/qr/ur"
)

var scripts = map[descriptor.ScriptType]ur.Script{
	descriptor.P2PKH:          ur.ScriptPKH,
	descriptor.P2SHP2WPKH:     ur.ScriptSHWPKH,
	descriptor.P2WPKH:         ur.ScriptWPKH,
	descriptor.P2TR:           ur.ScriptTR,
	descriptor.P2WSHMulti:     ur.ScriptWSHSortedMulti,
	descriptor.P2SHP2WSHMulti: ur.ScriptSHWSHSortedMulti,
}

// Output converts a descriptor to a crypto-output with <0;1>/* children.
func Output(d *descriptor.Descriptor) (ur.Output, error) {
	return output(d, &ur.Keypath{Components: []ur.PathComponent{{Kind: ur.ChildPair, Index: 0, High: 1}, {Kind: ur.ChildWildcard}}})
}

// output converts a descriptor to a crypto-output whose keys derive
// children (nil: none, an account-level key).
func output(d *descriptor.Descriptor, children *ur.Keypath) (ur.Output, error) {
	if err := d.Validate(); err != nil {
		return ur.Output{}, err
	}
	script, ok := scripts[d.Script]
	if !ok {
		return ur.Output{}, fmt.Errorf("%v has no crypto-output form", d.Script)
	}
	keys := []descriptor.Key{{Origin: d.Origin, Key: d.Key}}
	o := ur.Output{Script: script}
	if d.Script.Multisig() {
		keys, o.Threshold = d.Keys, d.Threshold
	}
	for _, k := range keys {
		h, err := hdKey(k, d.Network, children)
		if err != nil {
			return ur.Output{}, err
		}
		o.Keys = append(o.Keys, h)
	}
	return o, nil
}

func hdKey(k descriptor.Key, net descriptor.Network, children *ur.Keypath) (ur.HDKey, error) {
	pub, err := k.Key.ECPubKey()
	if err != nil {
		return ur.HDKey{}, err
	}
	var comps []ur.PathComponent
	for _, step := range k.Origin.Path {
		comps = append(comps, ur.PathComponent{Kind: ur.ChildIndex, Index: step &^ descriptor.Hardened, Hardened: step >= descriptor.Hardened})
	}
	netID := int64(1)
	if net == descriptor.Mainnet {
		netID = 0
	}
	return ur.HDKey{
		KeyData:           pub.SerializeCompressed(),
		ChainCode:         k.Key.ChainCode(),
		UseInfo:           &ur.CoinInfo{Type: 0, Network: netID},
		Origin:            &ur.Keypath{Components: comps, SourceFingerprint: binary.BigEndian.Uint32(k.Origin.Fingerprint[:]), Depth: uint8(len(comps)), HasDepth: true},
		Children:          children,
		ParentFingerprint: k.Key.ParentFingerprint(),
	}, nil
}

// DescriptorAsMarked converts a crypto-output to a descriptor on the
// network its keys are marked with: mainnet, or for "a test network"
// testnet, whose tpub keys are the same on signet and regtest. The kiosk
// reads the descriptor's text again for the network of its own wallet.
func DescriptorAsMarked(o ur.Output) (*descriptor.Descriptor, error) {
	return Descriptor(o, markedNetwork(o.Keys))
}

// markedNetwork is the network keys say they are for: their coin-info, or
// without one (wallets leave out the mainnet default) coin type 1' in a
// BIP44-style origin, which some wallets write without a coin-info.
func markedNetwork(keys []ur.HDKey) descriptor.Network {
	if len(keys) == 0 {
		return descriptor.Mainnet
	}
	k := keys[0]
	if k.UseInfo != nil {
		if k.UseInfo.Network == 0 {
			return descriptor.Mainnet
		}
		return descriptor.Testnet
	}
	if k.Origin != nil && len(k.Origin.Components) >= 2 {
		if c := k.Origin.Components[1]; c.Kind == ur.ChildIndex && c.Index == 1 && c.Hardened {
			return descriptor.Testnet
		}
	}
	return descriptor.Mainnet
}

// Descriptor converts a crypto-output back to a descriptor on net. A test
// network's key does not say whether it is testnet, signet or regtest, so
// the caller names the network; a key marked mainnet is refused on a test
// network and the reverse.
func Descriptor(o ur.Output, net descriptor.Network) (*descriptor.Descriptor, error) {
	var st descriptor.ScriptType
	for t, s := range scripts {
		if s == o.Script {
			st = t
		}
	}
	if _, leaf := splitScript(o.Script); leaf == "cosigner" {
		return nil, fmt.Errorf("%s carries one cosigner's key, not a wallet: register the multisig wallet's descriptor (or BSMS record) that lists every cosigner", o.Script)
	}
	if st == 0 {
		return nil, fmt.Errorf("crypto-output %q is not a wallet type airsign registers (single-key pkh, sh(wpkh), wpkh, tr, or wsh/sh(wsh) sortedmulti)", o.Script)
	}
	if len(o.Keys) == 0 {
		return nil, errors.New("the crypto-output has no key")
	}
	d := &descriptor.Descriptor{Script: st, Network: net}
	for i, h := range o.Keys {
		k, err := key(h, net)
		if err != nil {
			return nil, fmt.Errorf("key %d of the crypto-output: %w", i+1, err)
		}
		if st.Multisig() {
			d.Keys = append(d.Keys, k)
		} else {
			d.Origin, d.Key = k.Origin, k.Key
		}
	}
	if st.Multisig() {
		d.Threshold = o.Threshold
	} else if len(o.Keys) != 1 {
		return nil, fmt.Errorf("a %v crypto-output has one key, not %d", st, len(o.Keys))
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

func key(h ur.HDKey, net descriptor.Network) (descriptor.Key, error) {
	switch {
	case h.Private || h.Master || h.EC:
		return descriptor.Key{}, errors.New("it is not an extended public key: airsign registers public keys only")
	case len(h.KeyData) != 33 || len(h.ChainCode) != 32:
		return descriptor.Key{}, errors.New("it has no chain code, so no addresses can be derived from it")
	case h.Origin == nil || h.Origin.SourceFingerprint == 0 || len(h.Origin.Components) == 0:
		return descriptor.Key{}, descriptor.ErrMissingOrigin
	}
	if h.UseInfo != nil && (h.UseInfo.Type != 0 || (h.UseInfo.Network == 0) != (net == descriptor.Mainnet)) {
		return descriptor.Key{}, fmt.Errorf("the key is for coin %d network %d, not bitcoin %s", h.UseInfo.Type, h.UseInfo.Network, net)
	}
	if c := h.Children; c != nil && c.String() != "<0;1>/*" && c.String() != "0/*" && c.String() != "1/*" {
		return descriptor.Key{}, fmt.Errorf("the key derives %s; airsign wallets derive <0;1>/*", h.Children)
	}
	var origin descriptor.KeyOrigin
	binary.BigEndian.PutUint32(origin.Fingerprint[:], h.Origin.SourceFingerprint)
	for _, c := range h.Origin.Components {
		if c.Kind != ur.ChildIndex {
			return descriptor.Key{}, fmt.Errorf("its origin path %s is not a plain path", h.Origin)
		}
		step := c.Index
		if c.Hardened {
			step |= descriptor.Hardened
		}
		origin.Path = append(origin.Path, step)
	}
	last := origin.Path[len(origin.Path)-1]
	var parent [4]byte
	binary.BigEndian.PutUint32(parent[:], h.ParentFingerprint)
	version := net.Params().HDPublicKeyID
	ext := hdkeychain.NewExtendedKey(version[:], h.KeyData, h.ChainCode, parent[:], uint8(len(origin.Path)), last, false)
	return descriptor.Key{Origin: origin, Key: ext}, nil
}
