package kiosk

import (
	"encoding/hex"
	"fmt"
	"strings"

	"airsign/offline/home"
	"airsign/psbt/descriptor"
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
		if w.Multisig != nil {
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
	return "fingerprint and BIP48 path match; the key is proven against the shares at signing", nil
}
