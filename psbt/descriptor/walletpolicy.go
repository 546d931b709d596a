package descriptor

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// WalletPolicy is a BIP-388 wallet policy as it travels (file, QR text):
// the descriptor template and the key information vector. The JSON names
// are those hardware signers use for the same two fields.
type WalletPolicy struct {
	Name     string   `json:"name,omitempty"`
	Template string   `json:"descriptor_template"`
	Keys     []string `json:"keys_info"`
}

// maxPolicyLen bounds a policy file read from across the air gap: the
// template and twenty keys of about 130 characters, with JSON around them.
const maxPolicyLen = 16 << 10

// Policy returns the wallet as a BIP-388 wallet policy.
func (w *ScriptWallet) Policy() WalletPolicy {
	p := WalletPolicy{Template: w.template}
	for i := range w.Keys {
		p.Keys = append(p.Keys, w.KeyText(i))
	}
	return p
}

// PolicyHash identifies a registered wallet: SHA-256 of the canonical
// template and keys, each followed by a newline ("TEMPLATE\nKEY0\nKEY1\n").
// BIP-388 defines no identifier; this one is what the kiosk's audit log
// records at registration, and anyone holding the policy recomputes it
// with `printf '%s\n' TEMPLATE KEY... | sha256sum`. Keys are written as
// KeyText writes them: origin with ' for hardened steps, then the xpub in
// its standard (not SLIP-132) encoding.
func (w *ScriptWallet) PolicyHash() [32]byte {
	p := w.Policy()
	h := sha256.New()
	for _, line := range append([]string{p.Template}, p.Keys...) {
		h.Write([]byte(line + "\n"))
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// ParseWalletPolicy reads a BIP-388 policy for net: the template's
// placeholders @i/** and @i/<a;b>/* are replaced by Keys[i] and the result
// parsed as ParseScriptWallet parses a descriptor. The template must be
// canonical as Template prints it (placeholders numbered by first
// appearance, miniscript in its short forms), so that one wallet has one
// policy and one PolicyHash.
func ParseWalletPolicy(p WalletPolicy, net Network) (*ScriptWallet, error) {
	if len(p.Keys) > MaxScriptWalletKeys {
		return nil, fmt.Errorf("the policy lists %d keys, more than the %d airsign registers", len(p.Keys), MaxScriptWalletKeys)
	}
	if len(p.Template) > maxScriptDescriptorLen {
		return nil, fmt.Errorf("the policy's template has %d characters, more than the %d airsign reads", len(p.Template), maxScriptDescriptorLen)
	}
	stub := &ScriptWallet{Network: net}
	for i, k := range p.Keys {
		if strings.ContainsAny(k, "(),{}") || strings.Contains(k, "/<") || strings.HasSuffix(k, "*") {
			return nil, fmt.Errorf("key @%d %s: a policy's key is [fingerprint/path]xpub, without steps after it", i, truncate(k))
		}
		ke, err := parseKeyExpr(k+"/"+multipath+"/*", net)
		if err != nil {
			return nil, fmt.Errorf("key @%d: %w", i, err)
		}
		stub.Keys = append(stub.Keys, Key{Origin: ke.origin, Key: ke.key})
	}
	desc, err := stub.expand(p.Template)
	if err != nil {
		return nil, err
	}
	w, err := ParseScriptWallet(desc, net)
	if err != nil {
		return nil, err
	}
	if w.template != p.Template {
		return nil, fmt.Errorf("the policy's template is not in canonical form: expected %s (BIP-388 numbers keys in the order they first appear; miniscript uses its short forms)", truncate(w.template))
	}
	if len(w.Keys) != len(p.Keys) {
		return nil, fmt.Errorf("the policy lists %d keys, but its template uses %d", len(p.Keys), len(w.Keys))
	}
	return w, nil
}

// ParseWalletPolicyJSON reads a policy file or QR text: the JSON of
// WalletPolicy.
func ParseWalletPolicyJSON(b []byte, net Network) (*ScriptWallet, string, error) {
	if len(b) > maxPolicyLen {
		return nil, "", fmt.Errorf("the wallet policy has %d bytes, more than the %d airsign reads: check what was scanned", len(b), maxPolicyLen)
	}
	var p WalletPolicy
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, "", fmt.Errorf("the wallet policy is not JSON with descriptor_template and keys_info: %w", err)
	}
	if dec.More() {
		return nil, "", errors.New("the wallet policy has data after its JSON object")
	}
	w, err := ParseWalletPolicy(p, net)
	return w, p.Name, err
}
