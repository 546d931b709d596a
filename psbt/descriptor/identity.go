package descriptor

import (
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/btcsuite/btcd/btcutil/hdkeychain"
)

// Identity names what a wallet pays to, not how its descriptor is written:
// the network, the script type, the threshold and the set of account keys,
// each key as its public key and chain code only. Two descriptors with the
// same identity derive the same scripts at every branch and index, however
// their keys are ordered (sortedmulti sorts them per address), whatever key
// origins they claim, and whatever depth, parent fingerprint or child number
// their extended keys' serializations carry (none of which changes a derived
// key). A kiosk keys a wallet by this, so that the same wallet cannot be
// registered twice, under two spellings with two policies.
func (d *Descriptor) Identity() (string, error) {
	var keys []string
	if d.Script.Multisig() {
		for i, k := range d.Keys {
			id, err := keyIdentity(k.Key)
			if err != nil {
				return "", fmt.Errorf("cosigner %d: %w", i+1, err)
			}
			keys = append(keys, id)
		}
		slices.Sort(keys)
	} else {
		id, err := keyIdentity(d.Key)
		if err != nil {
			return "", err
		}
		keys = []string{id}
	}
	return fmt.Sprintf("%s %s %d-of-%d %s", d.Network, d.Script, max(d.Threshold, 1), len(keys), strings.Join(keys, ",")), nil
}

// keyIdentity is an extended public key's compressed key and chain code.
func keyIdentity(k *hdkeychain.ExtendedKey) (string, error) {
	if k == nil {
		return "", errors.New("no key")
	}
	pub, err := k.ECPubKey()
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(pub.SerializeCompressed()) + hex.EncodeToString(k.ChainCode()), nil
}
