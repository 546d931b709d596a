package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"airsign/cmd/internal/qrfiles"
	"airsign/online/coordinator"
	"airsign/online/store"
	"airsign/psbt/descriptor"
	"airsign/ui/qr"
)

// The BIP129 (BSMS) setup of a multisig wallet, the coordinator's side. One
// session at a time lives in DATADIR/bsms-session.json between the signers'
// visits; finish registers the wallet and moves the session to
// DATADIR/bsms/NAME.json, where it stays as a record of who brought which key.

func (c *cli) bsmsPath() string { return filepath.Join(c.datadir, "bsms-session.json") }

func (c *cli) loadBSMS() (*coordinator.BSMSSession, error) {
	s := new(coordinator.BSMSSession)
	ok, err := readJSONFile(c.bsmsPath(), s)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errors.New("no BSMS session is open: start one with bsms start --threshold M --signers N")
	}
	return s, nil
}

// saveBSMS writes the session atomically, so a crash leaves the old one.
func saveBSMS(path string, s *coordinator.BSMSSession) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func (c *cli) bsms(args []string) error {
	if len(args) == 0 {
		return usageError("bsms takes a subcommand: start, add-key, status, finish, abort")
	}
	subs := []string{"start", "add-key", "status", "finish", "abort"}
	if !slices.Contains(subs, args[0]) {
		return unknownSubcommand("bsms", args[0], subs)
	}
	if args[0] != "status" {
		// A multisig setup is an admin's, and its records name them.
		if err := c.act(store.RoleAdmin); err != nil {
			return err
		}
	}
	switch args[0] {
	case "start":
		return c.bsmsStart(args[1:])
	case "add-key":
		return c.bsmsAddKey(args[1:])
	case "status":
		if len(args) != 1 {
			return usageError("bsms status takes no arguments")
		}
		s, err := c.loadBSMS()
		if err != nil {
			return err
		}
		return c.bsmsShow(s)
	case "finish":
		return c.bsmsFinish(args[1:])
	case "abort":
		if len(args) != 1 {
			return usageError("bsms abort takes no arguments")
		}
		s, err := c.loadBSMS()
		if err != nil {
			return err
		}
		if err := c.coord.Record("bsms-abort", map[string]any{"token": s.Token, "keys": len(s.Keys), "by": c.who}); err != nil {
			return err
		}
		if err := os.Remove(c.bsmsPath()); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "BSMS session %s abandoned with %d of %d keys; nothing was registered\n", s.Token, len(s.Keys), s.Signers)
		return nil
	}
	return unknownSubcommand("bsms", args[0], subs)
}

func (c *cli) bsmsStart(args []string) error {
	fs := newFlags("bsms start")
	threshold := fs.Int("threshold", 0, "")
	signers := fs.Int("signers", 0, "")
	plain := fs.Bool("no-encryption", false, "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *threshold == 0 || *signers == 0 || fs.NArg() != 0 {
		return usageError("bsms start --threshold M --signers N [--no-encryption]")
	}
	if _, err := os.Stat(c.bsmsPath()); err == nil {
		return fmt.Errorf("a BSMS session is already open (%s): finish it, or bsms abort it first", c.bsmsPath())
	}
	s, err := coordinator.NewBSMSSession(*threshold, *signers, c.network, !*plain, time.Now())
	if err != nil {
		return err
	}
	if err := c.coord.Record("bsms-start", map[string]any{"threshold": s.Threshold, "signers": s.Signers, "encrypted": s.Encrypted(), "by": c.who}); err != nil {
		return err
	}
	if err := saveBSMS(c.bsmsPath(), s); err != nil {
		return err
	}
	return c.emit(s, func() {
		fmt.Fprintf(c.stdout, "BSMS session for a %d-of-%d wsh multisig on %s\n", s.Threshold, s.Signers, s.Network)
		if s.Encrypted() {
			fmt.Fprintf(c.stdout, "TOKEN: %s\n", s.Token)
			fmt.Fprintln(c.stdout, "Give the TOKEN to each signer by hand (not by mail or chat): their kiosks encrypt their key records with it, and it opens the wallet record.")
		} else {
			fmt.Fprintln(c.stdout, "TOKEN: 00 (records are not encrypted; their signatures still prove each key)")
		}
		fmt.Fprintf(c.stdout, "On each kiosk: airsign-kiosk bsms key-record --wallet NAME --token %s --share ... --qr-out key.png\n", s.Token)
		fmt.Fprintln(c.stdout, "Then here: airsign-coordinator bsms add-key --qr key.png")
	})
}

func (c *cli) bsmsAddKey(args []string) error {
	fs := newFlags("bsms add-key")
	qrIn := fs.String("qr", "", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*qrIn == "") == (fs.NArg() == 0) || (*qrIn == "" && fs.NArg() != 1) {
		return usageError("bsms add-key (FILE | --qr IMAGE...)")
	}
	s, err := c.loadBSMS()
	if err != nil {
		return err
	}
	var data []byte
	source := *qrIn
	if *qrIn != "" {
		p, _, err := qrfiles.ReadPayload(append([]string{*qrIn}, fs.Args()...), nil)
		if err != nil {
			return err
		}
		if p.Kind != qr.KindText {
			return fmt.Errorf("%s holds %s, not a BSMS key record", *qrIn, p.Kind)
		}
		data = p.Data
	} else {
		source = fs.Arg(0)
		if data, err = qrfiles.ReadFileLimited(source, 64<<10, "BSMS key record"); err != nil {
			return err
		}
	}
	k, err := s.AddKeyRecord(data, time.Now())
	if err != nil {
		err = fmt.Errorf("%s: %w", source, err)
		return errors.Join(err, c.coord.Record("bsms-key-refused", map[string]any{"token": s.Token, "source": filepath.Base(source), "reason": err.Error(), "by": c.who}))
	}
	if err := c.coord.Record("bsms-key", map[string]any{"token": s.Token, "key": k.Key, "description": k.Description, "by": c.who}); err != nil {
		return err
	}
	if err := saveBSMS(c.bsmsPath(), s); err != nil {
		return err
	}
	return c.emit(s, func() {
		fmt.Fprintf(c.stdout, "key %d of %d accepted from %s: its signature verifies with the key it carries\n", len(s.Keys), s.Signers, source)
		fmt.Fprintf(c.stdout, "  %s\n  %s\n", k.Description, k.Key)
		if len(s.Keys) == s.Signers {
			fmt.Fprintln(c.stdout, "All keys are in: bsms finish --name NAME --qr-out wallet.png")
		}
	})
}

func (c *cli) bsmsShow(s *coordinator.BSMSSession) error {
	return c.emit(s, func() {
		fmt.Fprintf(c.stdout, "BSMS session %s: %d-of-%d on %s, started %s\n", s.Token, s.Threshold, s.Signers, s.Network, s.Created.Format(time.RFC3339))
		for i, k := range s.Keys {
			fmt.Fprintf(c.stdout, "  key %d: %s\n         %s\n", i+1, k.Description, k.Key)
		}
		fmt.Fprintf(c.stdout, "%d of %d keys received\n", len(s.Keys), s.Signers)
	})
}

func (c *cli) bsmsFinish(args []string) error {
	flags := newFlags("bsms finish")
	name := flags.String("name", "", "")
	birthday := flags.Int("birthday", -1, "")
	out := flags.String("out", "", "")
	qrOut := flags.String("qr-out", "", "")
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	if *name == "" || (*out == "" && *qrOut == "") || flags.NArg() != 0 {
		return usageError("bsms finish --name NAME (--out FILE | --qr-out FILE.png) [--birthday HEIGHT]")
	}
	if err := qrfiles.RefuseExisting(*out, *qrOut); err != nil {
		return err
	}
	archive := filepath.Join(c.datadir, "bsms", *name+".json")
	if _, err := os.Stat(archive); !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s exists: a BSMS wallet of that name was finished before; choose another name", archive)
	}
	if *birthday < 0 {
		if c.network != descriptor.Regtest {
			return usageError("bsms finish on " + c.network.String() + " needs --birthday HEIGHT: the current height, since the wallet is new")
		}
		*birthday = 0
	}
	s, err := c.loadBSMS()
	if err != nil {
		return err
	}
	d, err := s.Descriptor()
	if err != nil {
		return err
	}
	record, err := s.Record()
	if err != nil {
		return err
	}
	first, err := d.Address(0, 0)
	if err != nil {
		return err
	}
	// The record is written first and taken back if the wallet cannot be
	// registered, so a failure leaves the session open and nothing half
	// done: finish can simply be run again.
	if err := qrfiles.WriteText(*out, "", record); err != nil {
		return err
	}
	if err := qrfiles.WriteText("", *qrOut, record); err != nil {
		removeAll(*out)
		return err
	}
	w, err := c.coord.AddWallet(c.ctx, *name, d.String(), int32(*birthday))
	if err != nil {
		removeAll(*out, *qrOut)
		return err
	}
	if err := c.coord.Record("bsms-finish", map[string]any{"token": s.Token, "wallet": w.Name, "descriptor": w.Wallet.Descriptor,
		"first_address": first.EncodeAddress(), "by": c.who}); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(archive), 0o700); err != nil {
		return err
	}
	if err := saveBSMS(archive, s); err != nil {
		return err
	}
	if err := os.Remove(c.bsmsPath()); err != nil {
		return err
	}
	return c.emit(map[string]any{"name": w.Name, "descriptor": w.Descriptor, "first_address": first.EncodeAddress(), "token": s.Token}, func() {
		fmt.Fprintf(c.stdout, "wallet %q registered: %d of %d, %s on %s\n", w.Name, d.Threshold, len(d.Keys), d.Script, w.Network)
		fmt.Fprintf(c.stdout, "First receive address (every kiosk must show the same): %s\n", first.EncodeAddress())
		written := []string{}
		for _, o := range []string{*out, *qrOut} {
			if o != "" {
				written = append(written, o)
			}
		}
		fmt.Fprintf(c.stdout, "BSMS descriptor record written to %s\n", strings.Join(written, " and "))
		fmt.Fprintf(c.stdout, "On each kiosk: airsign-kiosk wallet add %s --token %s --share FILE... (the shares of its key)\n", kioskSource(*qrOut, *out), s.Token)
	})
}

// removeAll removes the files a failed command wrote; empty names are skipped.
func removeAll(paths ...string) {
	for _, p := range paths {
		if p != "" {
			os.Remove(p)
		}
	}
}

func kioskSource(qrOut, out string) string {
	if qrOut != "" {
		return "--qr " + qrOut
	}
	return "--bsms " + out
}
