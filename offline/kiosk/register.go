package kiosk

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"airsign/offline/home"
	"airsign/psbt/descriptor"
	"airsign/shamir"
)

// OwnCosigner finds the key of a multisig that belongs to one of this
// kiosk's own single-key wallets (its share sets), by master fingerprint.
func OwnCosigner(h *home.Home, d *descriptor.Descriptor) (*home.Wallet, int, error) {
	ws, err := h.Wallets()
	if err != nil {
		return nil, 0, err
	}
	var fps []string
	for i := range ws {
		w := &ws[i]
		if w.Multisig != nil || w.IsScriptWallet() {
			continue
		}
		raw, err := hex.DecodeString(w.Fingerprint)
		if err != nil || len(raw) != 4 {
			continue
		}
		if idx, ok := d.KeyFor([4]byte(raw)); ok {
			return w, idx, nil
		}
		fps = append(fps, w.Fingerprint)
	}
	var theirs []string
	for _, k := range d.Keys {
		theirs = append(theirs, hex.EncodeToString(k.Origin.Fingerprint[:]))
	}
	return nil, 0, fmt.Errorf("none of the multisig's keys (fingerprints %s) is this kiosk's (its share sets have %s): register it on a cosigner's kiosk", strings.Join(theirs, ", "), orNone(fps))
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// CheckOwnKey compares the multisig's key for this kiosk with the BIP48 key
// the kiosk's ceremony exported. A fingerprint alone is easy to spoof
// (BIP129); the exact key is not.
func CheckOwnKey(own *home.Wallet, k descriptor.Key, net descriptor.Network, script descriptor.ScriptType) (string, error) {
	want := fmt.Sprintf("[%s]%s", k.Origin, k.Key)
	if own.Cosigner == want {
		return "key matches the BIP48 key of its ceremony", nil
	}
	if script == descriptor.P2WSHMulti {
		return "", fmt.Errorf("the multisig names this kiosk's fingerprint %s but key %s, not the BIP48 key its ceremony exported (%s): refusing a spoofed or mistyped key", own.Fingerprint, want, own.Cosigner)
	}
	// The ceremony exports the P2WSH cosigner key (…/2'); other BIP48 types
	// are checked by path here and against the shares at the first signing.
	path := k.Origin.Path
	if len(path) != 4 || path[0] != 48+descriptor.Hardened || path[1] != net.CoinType()+descriptor.Hardened || path[3] != script.BIP48Type()+descriptor.Hardened {
		return "", fmt.Errorf("this kiosk's key in the multisig has path %s, not a BIP48 %s path", k.Origin, script)
	}
	return "fingerprint and BIP48 path match; the shares prove the key before it is registered", nil
}

// Registration is a multisig wallet ready to register on this kiosk, with
// what the operator must see before confirming.
type Registration struct {
	Wallet home.Wallet
	Desc   *descriptor.Descriptor
	// KeyIndex is this kiosk's key among Desc.Keys (0-based), and Proof
	// says how it was recognised.
	KeyIndex int
	Own      *home.Wallet
	Proof    string
	// FirstAddress is receive address 0, which every cosigner compares.
	FirstAddress string
	// Script is set, and Desc nil, for a wallet with spending paths
	// (PrepareScriptWallet); Paths then says each in plain words.
	Script *descriptor.ScriptWallet
	Paths  []string
	// Locks says when each timelocked path opens: its blocks, about how
	// long, and about when for a coin received at registration.
	Locks []string
	// Template names the treasury template the wallet is an instance of
	// and says in a sentence what it does ("recovery: 2 of … sign at any
	// time. Once a coin …"); empty for a policy of another shape.
	Template string
}

// PrepareMultisig reads a multisig wallet (a descriptor, or a BIP129 BSMS
// record when text starts with "BSMS"), finds this kiosk's own key in it
// and checks it against the key its ceremony exported, and checks the
// wallet could be registered under name (empty: a name from the
// fingerprint and threshold). Nothing is written.
func PrepareMultisig(h *home.Home, text []byte, name string, now time.Time) (*Registration, error) {
	text = bytes.TrimSpace(text)
	parse := func(net descriptor.Network) (*descriptor.Descriptor, error) {
		if bytes.HasPrefix(text, []byte("BSMS")) {
			var r *descriptor.BSMSRecord
			var err error
			if net == 0 {
				// A tpub record's first address may be for any test
				// network; which one is known once the key is found.
				r, err = descriptor.ParseBSMS(text)
				for _, n := range []descriptor.Network{descriptor.Regtest, descriptor.Signet} {
					if errors.Is(err, descriptor.ErrBSMSFirstAddress) {
						r, err = descriptor.ParseBSMSForNetwork(text, n)
					}
				}
			} else {
				r, err = descriptor.ParseBSMSForNetwork(text, net)
			}
			if err != nil {
				return nil, err
			}
			return r.Descriptor, nil
		}
		if net == 0 {
			return descriptor.Parse(string(text))
		}
		return descriptor.ParseForNetwork(string(text), net)
	}
	// A tpub does not say which test network it is for: find this kiosk's
	// key first, then read the descriptor again for the network of the
	// kiosk's own wallet.
	d, err := parse(0)
	if err != nil {
		return nil, err
	}
	if !d.Script.Multisig() {
		return nil, errors.New("only multisig wallets are registered this way; a single-key wallet comes from a ceremony on this kiosk")
	}
	own, keyIndex, err := OwnCosigner(h, d)
	if err != nil {
		return nil, err
	}
	net, err := own.Net()
	if err != nil {
		return nil, err
	}
	if d, err = parse(net); err != nil {
		return nil, err
	}
	proof, err := CheckOwnKey(own, d.Keys[keyIndex], net, d.Script)
	if err != nil {
		return nil, err
	}
	first, err := d.Address(0, 0)
	if err != nil {
		return nil, err
	}
	w := home.Wallet{
		Name: name, Network: net.String(), Script: d.Script.String(), Fingerprint: own.Fingerprint,
		Descriptor: d.String(), ShareSet: own.ShareSet, Threshold: own.Threshold, Total: own.Total,
		Multisig: &home.Multisig{Threshold: d.Threshold, Keys: len(d.Keys), Us: keyIndex + 1},
		Created:  now.UTC(),
	}
	err = h.CheckNewWallet(w)
	if name == "" {
		// The default name: the fingerprint and the threshold, and a
		// number when another multisig with this kiosk's key has it
		// (the app has no name box).
		base := fmt.Sprintf("%s-%dof%d", own.Fingerprint, d.Threshold, len(d.Keys))
		w.Name = base
		for n := 2; ; n++ {
			if err = h.CheckNewWallet(w); !errors.Is(err, home.ErrNameTaken) {
				break
			}
			w.Name = fmt.Sprintf("%s-%d", base, n)
		}
	}
	if err != nil {
		return nil, err
	}
	return &Registration{Wallet: w, Desc: d, KeyIndex: keyIndex, Own: own, Proof: proof, FirstAddress: first.EncodeAddress()}, nil
}

// Register stores a prepared multisig wallet once the shares of this
// kiosk's own key in it make their quorum, and logs it (a refusal too).
// The shares rebuild the key and prove it is the multisig's key for this
// kiosk, not only a matching fingerprint: registering a wallet puts it
// under this kiosk's signature, and needs the same people as spending.
func (s Station) Register(r *Registration, shares []*shamir.Share) error {
	entry := map[string]any{"wallet": r.Wallet.Name, "descriptor": r.Wallet.Descriptor, "our_key": r.KeyIndex + 1, "first_address": r.FirstAddress}
	if p := r.Wallet.Policy; p != nil {
		entry["policy_hash"], entry["template"], entry["paths"] = p.Hash, p.Template, r.Paths
	}
	names, err := s.Quorum(&r.Wallet, shares)
	if err == nil {
		err = s.Home.AddWallet(r.Wallet)
	}
	if err != nil {
		return s.refused("wallet-add", entry, err)
	}
	entry["result"], entry["shares"] = "registered", names
	return s.append("wallet-add", entry)
}
