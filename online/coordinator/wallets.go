package coordinator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcutil"

	"airsign/online/store"
	"airsign/psbt/descriptor"
)

// Wallets: registering a wallet by its descriptor, removing one registered
// by mistake, and suspending one (only a sweep to recovery from then on).

// AddWallet registers a watch-only wallet from its descriptor. It refuses a
// descriptor of another network, without key origin, or with private keys,
// and a wallet name already taken. A birthday at or below the applied tip
// makes the next Sync rescan from it.
// It is recorded in the audit log.
func (c *Coordinator) AddWallet(ctx context.Context, name, desc string, birthday int32) (Wallet, error) {
	data := map[string]any{"wallet": name, "descriptor": strings.TrimSpace(desc), "birthday": birthday}
	return loggedValue(c, "wallet-add", data, func() (Wallet, error) {
		w, err := c.addWallet(ctx, name, desc, birthday)
		if err == nil {
			data["descriptor"] = w.Wallet.Descriptor
		}
		return w, err
	})
}

// addWallet is AddWallet without the audit record.
func (c *Coordinator) addWallet(ctx context.Context, name, desc string, birthday int32) (Wallet, error) {
	if err := validName(name); err != nil {
		return Wallet{}, err
	}
	if birthday < 0 {
		return Wallet{}, fmt.Errorf("%w: birthday %d: give the height of a block at or before the wallet's first deposit, 0 for the whole chain", ErrInvalid, birthday)
	}
	d, err := descriptor.ParseForNetwork(strings.TrimSpace(desc), c.cfg.Network)
	if err != nil {
		return Wallet{}, fmt.Errorf("%w: wallet %q: %v", ErrWalletMismatch, name, err)
	}
	id, err := walletIdentity(d)
	if err != nil {
		return Wallet{}, fmt.Errorf("%w: wallet %q: %v", ErrWalletMismatch, name, err)
	}
	w := store.Wallet{Name: name, Network: c.cfg.Network.String(), Descriptor: d.String(), Birthday: birthday,
		Created: c.cfg.Now().UTC(), Identity: id}
	existing, err := c.st.Wallets(ctx)
	if err != nil {
		return Wallet{}, err
	}
	for _, e := range existing {
		if e.Descriptor == w.Descriptor {
			return Wallet{}, fmt.Errorf("%w: wallet %q: the same descriptor is already registered as %q", store.ErrExists, name, e.Name)
		}
		// Wallets registered before identities were stored are compared
		// from their descriptors.
		eid := e.Identity
		if eid == "" {
			if ed, err := descriptor.ParseForNetwork(e.Descriptor, c.cfg.Network); err == nil {
				eid, _ = walletIdentity(ed)
			}
		}
		if eid == id {
			return Wallet{}, fmt.Errorf("%w: wallet %q pays to the same addresses as wallet %q (the same keys, threshold and script type, written another way): a second registration would take its coins", store.ErrExists, name, e.Name)
		}
	}
	if err := c.register(ctx, w); err != nil {
		return Wallet{}, err
	}
	return Wallet{Wallet: w, Descriptor: d}, nil
}

// register stores a checked wallet; a birthday at or below the applied
// tip makes the watcher rescan from it.
func (c *Coordinator) register(ctx context.Context, w store.Wallet) error {
	if err := c.st.AddWallet(ctx, w); err != nil {
		return err
	}
	tip, _, ok, err := c.st.Tip(ctx)
	if err != nil || !ok || w.Birthday > tip {
		return err
	}
	return c.w.Rescan(ctx, w.Birthday)
}

// walletIdentity is the hex SHA-256 of what a wallet pays to
// (descriptor.Identity): the key of the wallets table's identity column.
func walletIdentity(d *descriptor.Descriptor) (string, error) {
	id, err := d.Identity()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:]), nil
}

func validName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("%w: wallet name %q: use 1 to 64 characters", ErrInvalid, name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("%w: wallet name %q: use letters, digits, '-', '_' and '.'", ErrInvalid, name)
		}
	}
	return nil
}

// RemoveWallet removes a wallet that never had a request (a copy
// registered by mistake, before identities kept it out), and rescans from
// its birthday so that a wallet deriving the same scripts is credited with
// what it held. by is who removed it.
// It is recorded in the audit log, refused or not.
func (c *Coordinator) RemoveWallet(ctx context.Context, name, by string) error {
	return c.logged("wallet-remove", map[string]any{"wallet": name, "by": by}, func() error {
		return c.removeWallet(ctx, name)
	})
}

// removeWallet is RemoveWallet without the audit record.
func (c *Coordinator) removeWallet(ctx context.Context, name string) error {
	w, err := c.st.Wallet(ctx, name)
	if err != nil {
		return err
	}
	if err := c.st.RemoveWallet(ctx, name); err != nil {
		return err
	}
	tip, _, ok, err := c.st.Tip(ctx)
	if err != nil || !ok || w.Birthday > tip {
		return err
	}
	return c.w.Rescan(ctx, w.Birthday)
}

// Wallet is a registered wallet with its parsed descriptor, or for a
// wallet with spending paths (store.Wallet.Policy set) its parsed script
// wallet, Descriptor then being nil.
type Wallet struct {
	store.Wallet
	Descriptor *descriptor.Descriptor
	Script     *descriptor.ScriptWallet
}

// Wallet returns a registered wallet.
func (c *Coordinator) Wallet(ctx context.Context, name string) (Wallet, error) {
	w, err := c.st.Wallet(ctx, name)
	if err != nil {
		return Wallet{}, err
	}
	if w.Policy != "" {
		return c.scriptWallet(w)
	}
	d, err := descriptor.ParseForNetwork(w.Descriptor, c.cfg.Network)
	if err != nil {
		return Wallet{}, fmt.Errorf("%w: stored wallet %q: %v", ErrWalletMismatch, name, err)
	}
	return Wallet{Wallet: w, Descriptor: d}, nil
}

// Wallets returns every registered wallet.
func (c *Coordinator) Wallets(ctx context.Context) ([]store.Wallet, error) {
	return c.st.Wallets(ctx)
}

// Suspend marks a wallet suspended, as its kiosks are (airsign-kiosk
// suspend): from then on only a sweep to recovery is requested. An empty
// recovery lifts the suspension.
// It is recorded in the audit log.
func (c *Coordinator) Suspend(ctx context.Context, wallet, recovery string) error {
	data := map[string]any{"wallet": wallet, "recovery": recovery, "suspended": recovery != ""}
	return c.logged("suspend", data, func() error { return c.suspend(ctx, wallet, recovery) })
}

// suspend is Suspend without the audit record.
func (c *Coordinator) suspend(ctx context.Context, wallet, recovery string) error {
	w, err := c.Wallet(ctx, wallet)
	if err != nil {
		return err
	}
	if recovery != "" {
		a, err := btcutil.DecodeAddress(recovery, c.cfg.Network.Params())
		if err != nil || !a.IsForNet(c.cfg.Network.Params()) {
			return fmt.Errorf("%w: recovery address %q is not a %s address", ErrInvalid, recovery, c.cfg.Network)
		}
	} else if !w.Suspended {
		return fmt.Errorf("%w: wallet %q is not suspended", ErrWrongState, wallet)
	}
	return c.st.SetSuspended(ctx, wallet, recovery != "", recovery)
}
