package approver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"airsign/offline/kiosk"
	"airsign/psbt/descriptor"
)

// Wallet is a watch-only wallet the station approves for: what its
// descriptor pays to is how the station recognises the wallet's coins and
// proves change.
type Wallet struct {
	Name       string    `json:"name"`
	Network    string    `json:"network"`
	Descriptor string    `json:"descriptor"` // as descriptor.String writes it, with its checksum
	Added      time.Time `json:"added"`
}

// Parse reads the wallet's descriptor.
func (w Wallet) Parse() (*descriptor.Descriptor, error) {
	net, err := descriptor.ParseNetwork(w.Network)
	if err != nil {
		return nil, fmt.Errorf("wallet %q: %w", w.Name, err)
	}
	d, err := descriptor.ParseForNetwork(w.Descriptor, net)
	if err != nil {
		return nil, fmt.Errorf("wallet %q: %w", w.Name, err)
	}
	return d, nil
}

// ID is how approvals name the wallet (kiosk.WalletID): its descriptor's
// checksum, which the kiosk and the coordinator compute from the same
// descriptor whatever each calls the wallet.
func (w Wallet) ID() (string, error) {
	d, err := w.Parse()
	if err != nil {
		return "", err
	}
	return kiosk.WalletID(d), nil
}

// checkWalletName refuses names that would be confusing in lists and
// messages.
func checkWalletName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("wallet name %q: give 1 to 64 characters", name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.", r)) {
			return fmt.Errorf("wallet name %q: use letters, digits, '-', '_' and '.'", name)
		}
	}
	return nil
}

// Wallets lists the station's wallets in the order they were added.
func (s *Station) Wallets() ([]Wallet, error) {
	data, err := readLimited(filepath.Join(s.dir, walletsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ws []Wallet
	if err := json.Unmarshal(data, &ws); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(s.dir, walletsFile), err)
	}
	return ws, nil
}

// AddWallet adds a watch-only wallet by its descriptor (text, with or
// without its checksum) on net. A wallet is what its descriptor pays to
// (descriptor.Identity): the station refuses a second wallet of the same
// name, or the same wallet under a second name.
func (s *Station) AddWallet(name, text string, net descriptor.Network) (Wallet, error) {
	if err := checkWalletName(name); err != nil {
		return Wallet{}, err
	}
	d, err := descriptor.ParseForNetwork(text, net)
	if err != nil {
		return Wallet{}, err
	}
	id, err := d.Identity()
	if err != nil {
		return Wallet{}, err
	}
	ws, err := s.Wallets()
	if err != nil {
		return Wallet{}, err
	}
	for _, w := range ws {
		if w.Name == name {
			return Wallet{}, fmt.Errorf("the station already has a wallet %q; choose another name", name)
		}
		wd, err := w.Parse()
		if err != nil {
			return Wallet{}, err
		}
		if wid, err := wd.Identity(); err == nil && wid == id {
			return Wallet{}, fmt.Errorf("the station already watches this wallet, as %q", w.Name)
		}
	}
	w := Wallet{Name: name, Network: net.String(), Descriptor: d.String(), Added: s.now().UTC().Truncate(time.Second)}
	ws = append(slices.Clone(ws), w)
	data, err := json.MarshalIndent(ws, "", "  ")
	if err != nil {
		return Wallet{}, err
	}
	if err := replaceFile(filepath.Join(s.dir, walletsFile), append(data, '\n'), 0o644); err != nil {
		return Wallet{}, err
	}
	return w, nil
}
