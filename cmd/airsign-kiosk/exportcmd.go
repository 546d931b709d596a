package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"airsign/cmd/internal/qrfiles"
	"airsign/offline/ceremony"
	"airsign/offline/home"
	"airsign/psbt/descriptor"
	"airsign/ui/qr"
	"airsign/ui/qr/ur"
	"airsign/ui/urwallet"
)

// urForm is one UR form of the watch-only export and the file name its
// text and QR image are written under.
type urForm struct {
	name string
	make func(*descriptor.Descriptor) (ur.UR, error)
}

type urWriter interface{ UR() (ur.UR, error) }

func asUR[T urWriter](v T, err error) (ur.UR, error) {
	if err != nil {
		return ur.UR{}, err
	}
	return v.UR()
}

// urForms are the UR forms of a watch-only export, one per kind of
// importer: crypto-output with <0;1>/* (Sparrow, the coordinator), one
// crypto-output per branch for registries without BCR-2020-007's child
// pair (Keystone's), the version 3 output-descriptor (Sparrow 2.x), and
// for single-sig the accounts of both versions (wallets that import a
// hardware wallet's account). A multisig wallet has no account form.
func urForms(d *descriptor.Descriptor, name string) []urForm {
	forms := []urForm{
		{"watch-only-ur", func(d *descriptor.Descriptor) (ur.UR, error) { return asUR(urwallet.Output(d)) }},
		{"watch-only-ur-receive", func(d *descriptor.Descriptor) (ur.UR, error) { return asUR(urwallet.OutputBranch(d, 0)) }},
		{"watch-only-ur-change", func(d *descriptor.Descriptor) (ur.UR, error) { return asUR(urwallet.OutputBranch(d, 1)) }},
		{"watch-only-output-descriptor", func(d *descriptor.Descriptor) (ur.UR, error) {
			return asUR(urwallet.OutputDescriptor(d, name))
		}},
	}
	if !d.Script.Multisig() {
		forms = append(forms,
			urForm{"watch-only-account", func(d *descriptor.Descriptor) (ur.UR, error) { return asUR(urwallet.Account(d)) }},
			urForm{"watch-only-account-descriptor", func(d *descriptor.Descriptor) (ur.UR, error) { return asUR(urwallet.AccountDescriptor(d)) }})
	}
	return forms
}

// watchOnlyFiles are the watch-only export's files for other wallets: each
// UR form as text and QR image, the Electrum wallet file (not for taproot,
// which Electrum 4.3 lacks) and, for multisig, the Coldcard setup file.
// All are public: keys, origins and scripts, no secret.
func watchOnlyFiles(d *descriptor.Descriptor, name string) ([]ceremony.ExtraFile, error) {
	var files []ceremony.ExtraFile
	for _, f := range urForms(d, name) {
		u, err := f.make(d)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		text := ur.Encode(u)
		files = append(files, ceremony.ExtraFile{Name: f.name + ".txt", Data: []byte(text + "\n")})
		// Upper case: QR's alphanumeric mode holds it in fewer modules.
		png, err := qr.PNG([]byte(text), qr.ImageOptions{Level: qr.Medium, ModulePixels: 6})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		files = append(files, ceremony.ExtraFile{Name: f.name + ".png", Data: png})
	}
	if d.Script != descriptor.P2TR {
		electrum, err := d.ElectrumWallet()
		if err != nil {
			return nil, err
		}
		files = append(files, ceremony.ExtraFile{Name: "watch-only-electrum.json", Data: electrum})
	}
	if d.Script.Multisig() {
		cc, err := d.ColdcardMultisig(name)
		if err != nil {
			return nil, err
		}
		files = append(files, ceremony.ExtraFile{Name: "watch-only-coldcard.txt", Data: cc})
	}
	return files, nil
}

// urExport is the ceremony's watch-only export for other wallets.
func urExport(d *descriptor.Descriptor) ([]ceremony.ExtraFile, error) {
	return watchOnlyFiles(d, "")
}

// walletExport writes the watch-only export of a registered wallet
// (single-sig or multisig) into a new folder.
func (c *cli) walletExport(args []string) error {
	fs := newFlags("wallet export")
	name := fs.String("wallet", "", "the registered wallet to export")
	out := fs.String("out", "", "a new folder for the export's files")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *name == "" || *out == "" || fs.NArg() != 0 {
		return usageError("wallet export needs --wallet NAME and --out DIR")
	}
	h, err := c.openHome()
	if err != nil {
		return err
	}
	w, err := h.Wallet(*name)
	if err != nil {
		return err
	}
	var files []ceremony.ExtraFile
	if w.IsScriptWallet() {
		files, err = policyFiles(w)
	} else {
		files, err = descriptorFiles(w)
	}
	if err != nil {
		return err
	}
	if err := os.Mkdir(*out, 0o755); err != nil {
		return fmt.Errorf("export folder: %w (it must not exist yet)", err)
	}
	for _, f := range files {
		if err := qrfiles.WriteExclusive(filepath.Join(*out, f.Name), f.Data); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%s\n", filepath.Join(*out, f.Name))
	}
	return nil
}

// descriptorFiles are a single-sig or multisig wallet's watch-only export.
func descriptorFiles(w *home.Wallet) ([]ceremony.ExtraFile, error) {
	d, err := descriptor.Parse(w.Descriptor)
	if err != nil {
		return nil, fmt.Errorf("wallet %q: %w", w.Name, err)
	}
	files, err := watchOnlyFiles(d, w.Name)
	if err != nil {
		return nil, err
	}
	text := fmt.Sprintf("# airsign watch-only export of wallet %s: public keys only, no secret\ndescriptor: %s\nreceive: %s\nchange: %s\n", w.Name, d, d.Branch(0), d.Branch(1))
	return append([]ceremony.ExtraFile{{Name: "watch-only.txt", Data: []byte(text)}}, files...), nil
}

// policyFiles are a wallet with spending paths as it was registered: the
// BIP-388 policy (JSON, and as a QR code) that the other signers and the
// coordinator register too, its hash, and the descriptor.
func policyFiles(w *home.Wallet) ([]ceremony.ExtraFile, error) {
	sw, err := w.ScriptWallet()
	if err != nil {
		return nil, err
	}
	pol := sw.Policy()
	pol.Name = w.Name
	data, err := json.MarshalIndent(pol, "", "  ")
	if err != nil {
		return nil, err
	}
	png, err := qr.PNG(data, qr.ImageOptions{Level: qr.Low, ModulePixels: 4})
	if err != nil {
		return nil, err
	}
	text := fmt.Sprintf("# airsign watch-only export of wallet %s: public keys only, no secret\ndescriptor: %s\npolicy: %s\npolicy hash: %s\n", w.Name, sw, pol.Template, w.Policy.Hash)
	return []ceremony.ExtraFile{
		{Name: "watch-only.txt", Data: []byte(text)},
		{Name: "policy.json", Data: append(data, '\n')},
		{Name: "policy.png", Data: png},
	}, nil
}
