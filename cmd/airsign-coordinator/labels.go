package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"airsign/online/coordinator"
	"airsign/online/store"
)

// The address book and labels: payee add|remove, payees, labels
// set|export|import.

// labelsCmd runs payee, payees and labels.
func (c *cli) labelsCmd(cmd string, args []string) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch {
	case cmd == "payees" || cmd == "payee" && sub == "list":
		return c.payees()
	case cmd == "payee" && sub == "add":
		return c.payeeAdd(args)
	case cmd == "payee" && sub == "remove":
		return c.payeeRemove(args)
	case cmd == "payee":
		return unknownSubcommand(cmd, sub, []string{"add", "remove", "list"})
	case sub == "set":
		return c.labelSet(args)
	case sub == "export":
		return c.labelsExport(args)
	case sub == "import":
		return c.labelsImport(args)
	}
	return unknownSubcommand(cmd, sub, []string{"set", "export", "import"})
}

func (c *cli) payees() error {
	ps, err := c.coord.Payees(c.ctx)
	if err != nil {
		return err
	}
	rows := []map[string]any{}
	for _, p := range ps {
		rows = append(rows, map[string]any{"name": p.Label, "address": p.Address, "note": p.Note, "added_by": p.AddedBy, "updated": p.Updated})
	}
	return c.emit(rows, func() {
		if len(ps) == 0 {
			fmt.Fprintln(c.stdout, "no payees; add one with payee add NAME ADDRESS")
			return
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tADDRESS\tNOTE\tADDED BY")
		for _, p := range ps {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Label, p.Address, p.Note, p.AddedBy)
		}
		tw.Flush()
	})
}

func (c *cli) payeeAdd(args []string) error {
	fs := newFlags("payee add")
	note := fs.String("note", "", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageError("payee add needs NAME ADDRESS [--note TEXT] (quote a name with spaces)")
	}
	if err := c.act(store.RoleRequester); err != nil {
		return err
	}
	p, err := c.coord.AddPayee(c.ctx, store.Payee{Label: fs.Arg(0), Address: fs.Arg(1), Note: *note, AddedBy: c.who})
	if err != nil {
		return err
	}
	return c.emit(map[string]any{"name": p.Label, "address": p.Address, "note": p.Note}, func() {
		fmt.Fprintf(c.stdout, "payee %q: %s\n", p.Label, p.Address)
	})
}

func (c *cli) payeeRemove(args []string) error {
	if len(args) != 1 {
		return usageError("payee remove needs NAME")
	}
	if err := c.act(store.RoleRequester); err != nil {
		return err
	}
	if err := c.coord.RemovePayee(c.ctx, args[0], c.who); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "payee %q removed; requests made to it keep their address\n", args[0])
	return nil
}

func (c *cli) labelSet(args []string) error {
	fs := newFlags("labels set")
	wallet := fs.String("wallet", "", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *wallet == "" || fs.NArg() != 2 {
		return usageError(`labels set needs --wallet NAME, the address, txid or txid:vout, and the label ("" removes it)`)
	}
	if err := c.checkWallet(*wallet); err != nil {
		return err
	}
	if err := c.act(store.RoleRequester); err != nil {
		return err
	}
	if err := c.syncQuietly(); err != nil {
		return err
	}
	l, err := c.coord.SetLabel(c.ctx, *wallet, fs.Arg(0), fs.Arg(1), c.who)
	if err != nil {
		return err
	}
	return c.emit(map[string]any{"wallet": l.Wallet, "type": string(l.Type), "ref": l.Ref, "label": l.Label}, func() {
		if l.Label == "" {
			fmt.Fprintf(c.stdout, "%s %s of wallet %s: label removed\n", l.Type, l.Ref, l.Wallet)
			return
		}
		fmt.Fprintf(c.stdout, "%s %s of wallet %s: %q\n", l.Type, l.Ref, l.Wallet, l.Label)
	})
}

func (c *cli) labelsExport(args []string) error {
	fs := newFlags("labels export")
	wallet := fs.String("wallet", "", "")
	out := fs.String("out", "", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError("labels export takes [--wallet NAME] [--out FILE]")
	}
	if *wallet != "" {
		if err := c.checkWallet(*wallet); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	n, err := c.coord.ExportLabels(c.ctx, &buf, *wallet)
	if err != nil {
		return err
	}
	if *out == "" {
		_, err := c.stdout.Write(buf.Bytes())
		return err
	}
	// The file names whom the treasury pays: readable by its owner only.
	if err := os.WriteFile(*out, buf.Bytes(), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "wrote %d label(s) to %s (BIP-329 JSON Lines)\n", n, *out)
	return nil
}

func (c *cli) labelsImport(args []string) error {
	fs := newFlags("labels import")
	wallet := fs.String("wallet", "", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *wallet == "" || fs.NArg() != 1 {
		return usageError("labels import needs --wallet NAME FILE")
	}
	if err := c.checkWallet(*wallet); err != nil {
		return err
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	if err := c.act(store.RoleRequester); err != nil {
		return err
	}
	if err := c.syncQuietly(); err != nil {
		return err
	}
	rep, err := c.coord.ImportLabels(c.ctx, *wallet, f, c.who)
	if err != nil {
		return err
	}
	var problems []string
	for _, p := range rep.Problems {
		problems = append(problems, p.Error())
	}
	return c.emit(map[string]any{"imported": rep.Imported, "ignored": rep.Ignored, "truncated": rep.Truncated, "problems": problems}, func() {
		fmt.Fprintf(c.stdout, "imported %d label(s) into wallet %s; ignored %d (types the coordinator does not keep, or no label)", rep.Imported, *wallet, rep.Ignored)
		if rep.Truncated > 0 {
			fmt.Fprintf(c.stdout, "; cut %d to %d characters", rep.Truncated, coordinator.MaxLabel)
		}
		fmt.Fprintln(c.stdout)
		if len(problems) > 0 {
			fmt.Fprintf(c.stdout, "not taken:\n  %s\n", strings.Join(problems, "\n  "))
		}
	})
}
