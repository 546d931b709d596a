package descriptor

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// electrumSeedVersion is the wallet file version Electrum 4.3 writes
// (FINAL_SEED_VERSION in its wallet_db.py). Electrum upgrades older files
// and refuses newer ones, so the file says the oldest version that holds
// a keystore's root fingerprint and derivation.
const electrumSeedVersion = 50

// electrumKeystore is a watch-only BIP32 keystore of an Electrum wallet
// file. Electrum chooses the script from the SLIP-132 prefix of xpub, and
// writes root_fingerprint and derivation into the PSBTs it makes, so a
// signer finds the key's master fingerprint and full path.
type electrumKeystore struct {
	Type            string  `json:"type"`
	XPub            string  `json:"xpub"`
	XPrv            *string `json:"xprv"`
	RootFingerprint string  `json:"root_fingerprint"`
	Derivation      string  `json:"derivation"`
	PwHashVersion   int     `json:"pw_hash_version"`
	Label           string  `json:"label"`
}

// ElectrumWallet returns the wallet as an Electrum 4.3 wallet file, opened
// with File > Open (or electrum -w FILE): a watch-only standard wallet for
// single-sig, an "MofN" multisig wallet of keystores x1/, x2/... for
// multisig. Electrum 4.3 has no taproot wallets.
func (d *Descriptor) ElectrumWallet() ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if d.Script == P2TR {
		return nil, errors.New("Electrum 4.3 has no taproot wallets: import the descriptor into a wallet that has (Sparrow, Bitcoin Core)")
	}
	keystore := func(k Key) (electrumKeystore, error) {
		xpub, err := SLIP132(k.Key, d.Script, d.Network)
		return electrumKeystore{
			Type: "bip32", XPub: xpub,
			RootFingerprint: hex.EncodeToString(k.Origin.Fingerprint[:]),
			Derivation:      FormatPath(k.Origin.Path),
			PwHashVersion:   1,
		}, err
	}
	file := map[string]any{"seed_version": electrumSeedVersion, "use_encryption": false}
	if d.Script.Multisig() {
		file["wallet_type"] = fmt.Sprintf("%dof%d", d.Threshold, len(d.Keys))
		for i, k := range d.Keys {
			ks, err := keystore(k)
			if err != nil {
				return nil, err
			}
			file[fmt.Sprintf("x%d/", i+1)] = ks
		}
	} else {
		ks, err := keystore(Key{Origin: d.Origin, Key: d.Key})
		if err != nil {
			return nil, err
		}
		file["wallet_type"], file["keystore"] = "standard", ks
	}
	out, err := json.MarshalIndent(file, "", "    ")
	return append(out, '\n'), err
}

// coldcardFormats are the Format: values of a Coldcard multisig setup file.
var coldcardFormats = map[ScriptType]string{P2WSHMulti: "P2WSH", P2SHP2WSHMulti: "P2SH-P2WSH"}

// maxColdcardName is the longest wallet name Coldcard keeps.
const maxColdcardName = 20

// ColdcardMultisig returns a multisig wallet as the setup file Coldcard
// imports (Settings > Multisig Wallets > Import from File) and Sparrow,
// Specter and Nunchuk read: name, policy, format, then each cosigner's
// master fingerprint and account xpub under its derivation. name is cut to
// the 20 printable ASCII characters Coldcard keeps.
func (d *Descriptor) ColdcardMultisig(name string) ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	format, ok := coldcardFormats[d.Script]
	if !ok {
		return nil, fmt.Errorf("a %v wallet is not multisig: Coldcard setup files describe multisig wallets only", d.Script)
	}
	clean := strings.Map(func(r rune) rune {
		if r < ' ' || r > '~' {
			return -1
		}
		return r
	}, name)
	if len(clean) > maxColdcardName {
		clean = clean[:maxColdcardName]
	}
	if strings.TrimSpace(clean) == "" {
		clean = "airsign"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Coldcard Multisig setup file (exported by airsign)\n#\n")
	fmt.Fprintf(&b, "Name: %s\nPolicy: %d of %d\nFormat: %s\n", clean, d.Threshold, len(d.Keys), format)
	last := ""
	for _, k := range d.Keys {
		if path := FormatPath(k.Origin.Path); path != last {
			fmt.Fprintf(&b, "\nDerivation: %s\n\n", path)
			last = path
		}
		fmt.Fprintf(&b, "%s: %s\n", strings.ToUpper(hex.EncodeToString(k.Origin.Fingerprint[:])), standardString(k.Key, d.Network))
	}
	return []byte(b.String()), nil
}
