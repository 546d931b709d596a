package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"airsign/online/coordinator"
	"airsign/online/store"
)

// readPasswords reads n lines from standard input, without their line
// endings. golang.org/x/term is not a dependency, so the terminal is not
// put in no-echo mode: pipe the password in or type it where nobody reads
// over your shoulder. The caller wipes the passwords.
func readPasswords(in io.Reader, stderr io.Writer, prompts ...string) ([][]byte, error) {
	r := bufio.NewReader(in)
	var out [][]byte
	for _, p := range prompts {
		if isTerminal(in) {
			fmt.Fprint(stderr, p)
		}
		line, err := r.ReadSlice('\n')
		if err != nil && !(errors.Is(err, io.EOF) && len(line) > 0) {
			for _, pw := range out {
				clear(pw)
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				return nil, fmt.Errorf("the password line is longer than %d bytes", r.Size())
			}
			return nil, fmt.Errorf("reading the password from standard input: %w (give it as one line)", err)
		}
		pw := bytes.Clone(bytes.TrimRight(line, "\r\n"))
		clear(line)
		out = append(out, pw)
	}
	return out, nil
}

func isTerminal(in io.Reader) bool {
	f, ok := in.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// approvalKey is `user approval-key NAME [--rotate]`.
func (c *cli) approvalKey(args []string) error {
	fs := newFlags("user approval-key")
	rotate := fs.Bool("rotate", false, "")
	name, rest := splitID(args)
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	if name == "" || fs.NArg() != 0 {
		return usageError("user approval-key NAME [--rotate]; the password is read twice from standard input")
	}
	pws, err := readPasswords(os.Stdin, c.stderr, "password for "+name+"'s approval key: ", "the same again: ")
	if err != nil {
		return err
	}
	defer func() {
		for _, pw := range pws {
			clear(pw)
		}
	}()
	if !bytes.Equal(pws[0], pws[1]) {
		return errors.New("the two passwords differ; nothing was created")
	}
	pub, err := c.coord.CreateApprovalKeyWith(c.ctx, name, pws[0], coordinator.KeyOptions{Rotate: *rotate})
	if err != nil {
		return err
	}
	key := hex.EncodeToString(pub)
	return c.emit(map[string]string{"name": name, "public_key": key}, func() {
		fmt.Fprintf(c.stdout, "%s\n", key)
		fmt.Fprintf(c.stdout, "  approval key of %s, sealed under their password; enroll it on the kiosk with:\n", name)
		fmt.Fprintf(c.stdout, "  airsign-kiosk approvers add %s %s --wallet WALLET --share SHARE...\n", name, key)
	})
}

// approve is `approve REQUEST --user NAME [--expires 24h]`.
func (c *cli) approve(args []string) error {
	fs := newFlags("approve")
	user := fs.String("user", "", "")
	expires := fs.Duration("expires", coordinator.DefaultApprovalExpiry, "")
	id, rest := splitID(args)
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	if *user == "" {
		*user = c.user // the global --user
	}
	if id == "" || fs.NArg() != 0 {
		return usageError("approve REQUEST --user NAME [--expires 24h]; the password is read from standard input")
	}
	pws, err := readPasswords(os.Stdin, c.stderr, "password of "+*user+"'s approval key: ")
	if err != nil {
		return err
	}
	defer clear(pws[0])
	wd, err := c.coord.Approve(c.ctx, id, *user, pws[0], *expires)
	if err != nil {
		return err
	}
	aps, err := c.coord.Approvals(c.ctx, id)
	if err != nil {
		return err
	}
	m := requestJSON(wd, true)
	m["approvals"] = approvalsJSON(aps)
	return c.emit(m, func() {
		fmt.Fprintf(c.stdout, "request %s approved by %s\n", wd.ID, *user)
		printApprovals(c.stdout, aps)
		fmt.Fprintf(c.stdout, "  the PSBT carries the approvals: show %s --qr-out DIR for the kiosk\n", wd.ID)
	})
}

func approvalsJSON(aps []store.Approval) []map[string]any {
	out := []map[string]any{}
	for _, a := range aps {
		out = append(out, map[string]any{"approver": a.Approver, "public_key": hex.EncodeToString(a.PublicKey),
			"expires": a.Expires, "created": a.Created})
	}
	return out
}

func printApprovals(w io.Writer, aps []store.Approval) {
	if len(aps) == 0 {
		fmt.Fprintln(w, "  approvals: none")
		return
	}
	fmt.Fprintf(w, "  approvals: %d\n", len(aps))
	for _, a := range aps {
		fmt.Fprintf(w, "    %s, expires %s (key %x)\n", a.Approver, a.Expires.Local().Format(time.RFC3339), []byte(a.PublicKey[:4]))
	}
}

// approvers names who approved a request, for the requests table.
func (c *cli) approvers(id string) (string, error) {
	aps, err := c.coord.Approvals(c.ctx, id)
	if err != nil {
		return "", err
	}
	var names []string
	for _, a := range aps {
		names = append(names, a.Approver)
	}
	return strings.Join(names, ","), nil
}
