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

	"airsign/cmd/internal/qrfiles"
	"airsign/online/coordinator"
	"airsign/online/store"
	"airsign/psbt/approval"
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
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	name := argument(fs)
	if name == "" {
		return usageError("user approval-key NAME [--rotate]; the password is read twice from standard input")
	}
	if err := c.checkUser(name); err != nil {
		return err
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
	key := approval.SealedKey(pub).String()
	return c.emit(map[string]string{"name": name, "public_key": hex.EncodeToString(pub), "key": key}, func() {
		fmt.Fprintf(c.stdout, "%s\n", key)
		fmt.Fprintf(c.stdout, "  approval key of %s, sealed under their password on this coordinator; enroll it on the kiosk with:\n", name)
		fmt.Fprintf(c.stdout, "  airsign-kiosk approvers add %s %s --wallet WALLET --share SHARE...\n", name, key)
		fmt.Fprintf(c.stdout, "  Whoever controls this coordinator can use it once %s types the password here: the kiosk counts\n", name)
		fmt.Fprintf(c.stdout, "  it only where the wallet's policy names coordinator-sealed keys. An approver station or a\n")
		fmt.Fprintf(c.stdout, "  security key keeps the key off this machine (user station-key, or the web page's Approver keys).\n")
	})
}

// approve is `approve REQUEST --user NAME [--expires 24h]`, or `approve
// REQUEST --station-approval FILE` for an approval an approver station made.
func (c *cli) approve(args []string) error {
	fs := newFlags("approve")
	user := fs.String("user", "", "")
	expires := fs.Duration("expires", coordinator.DefaultApprovalExpiry, "")
	station := fs.String("station-approval", "", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	id := argument(fs)
	if *station != "" {
		if id == "" {
			return usageError("approve REQUEST --station-approval FILE (the approval's text, or a QR image of it)")
		}
		return c.approveStation(id, *station)
	}
	if *user == "" {
		*user = c.user // the global --user
	}
	if id == "" {
		return usageError("approve REQUEST --user NAME [--expires 24h]; the password is read from standard input")
	}
	if *user != "" {
		if err := c.checkUser(*user); err != nil {
			return err
		}
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
	return c.reportApproved(wd, fmt.Sprintf("request %s approved by %s", wd.ID, *user))
}

// reportApproved prints a request after an approval: what happened, its
// approvals, and where the PSBT goes next.
func (c *cli) reportApproved(wd *coordinator.Withdrawal, what string) error {
	aps, err := c.coord.Approvals(c.ctx, wd.ID)
	if err != nil {
		return err
	}
	m := requestJSON(wd, true)
	m["approvals"] = approvalsJSON(aps)
	return c.emit(m, func() {
		fmt.Fprintln(c.stdout, what)
		printApprovals(c.stdout, aps)
		fmt.Fprintf(c.stdout, "  the PSBT carries the approvals: show %s --qr-out DIR for the kiosk\n", wd.ID)
	})
}

func approvalsJSON(aps []store.Approval) []map[string]any {
	out := []map[string]any{}
	for _, a := range aps {
		out = append(out, map[string]any{"approver": a.Approver, "public_key": hex.EncodeToString(a.PublicKey),
			"kind": a.Kind, "expires": a.Expires, "created": a.Created})
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
		fmt.Fprintf(w, "    %s, expires %s (%s key %x)\n", a.Approver, a.Expires.Local().Format(time.RFC3339), a.Kind, []byte(a.PublicKey[:4]))
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

// approveStation files an approval an approver station made. The approval
// proves who made it (their station's key); who handed it in is recorded.
func (c *cli) approveStation(id, path string) error {
	text, err := qrfiles.ReadText(path, "approval file")
	if err != nil {
		return err
	}
	uploader := c.user
	if uploader == "" {
		uploader = "shell:" + first(os.Getenv("USER"), "unknown")
	}
	wd, err := c.coord.ApproveStation(c.ctx, id, uploader, text)
	if err != nil {
		return err
	}
	return c.reportApproved(wd, fmt.Sprintf("request %s: the approver station's approval is filed", wd.ID))
}

// approverKeys is `user station-key NAME KEY|FILE [--label TEXT]` and
// `user approver-keys NAME`.
func (c *cli) approverKeys(sub string, args []string) error {
	fs := newFlags("user " + sub)
	label := fs.String("label", "", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	pos := fs.Args()
	if sub == "station-key" {
		if len(pos) != 2 {
			return usageError("user station-key NAME KEY [--label TEXT]: KEY is the text airsign-kiosk approver init printed, or a file or QR image of it")
		}
		if err := c.checkUser(pos[0]); err != nil {
			return err
		}
		if err := c.act(store.RoleAdmin); err != nil {
			return err
		}
		text := pos[1]
		if _, err := os.Stat(text); err == nil {
			if text, err = qrfiles.ReadText(text, "station key file"); err != nil {
				return err
			}
		}
		k, err := c.coord.RegisterStationKey(c.ctx, pos[0], text, *label)
		if err != nil {
			return err
		}
		return c.emit(map[string]string{"name": pos[0], "key": k.String(), "fingerprint": k.Fingerprint()}, func() {
			fmt.Fprintf(c.stdout, "approver station key %s registered for %s\n", k.Fingerprint(), pos[0])
			fmt.Fprintf(c.stdout, "  the kiosk counts its approvals once its quorum enrolls it: airsign-kiosk approvers add %s %s --wallet WALLET --share SHARE...\n", pos[0], k)
		})
	}
	if len(pos) != 1 {
		return usageError("user approver-keys NAME")
	}
	if err := c.checkUser(pos[0]); err != nil {
		return err
	}
	ks, err := c.coord.ApproverKeys(c.ctx, pos[0])
	if err != nil {
		return err
	}
	var out []map[string]any
	for _, k := range ks {
		text, err := coordinator.ApproverKeyText(k)
		if err != nil {
			return err
		}
		out = append(out, map[string]any{"kind": k.Kind, "key": text, "label": k.Label, "created": k.Created, "disabled": k.Disabled})
	}
	return c.emit(out, func() {
		if len(out) == 0 {
			fmt.Fprintf(c.stdout, "%s has no approver station or security key registered\n", pos[0])
		}
		for _, o := range out {
			state := ""
			if o["disabled"].(bool) {
				state = " (disabled)"
			}
			fmt.Fprintf(c.stdout, "%s %s%s\n  %s\n", o["kind"], o["label"], state, o["key"])
		}
	})
}
