package main

import (
	"encoding/hex"
	"fmt"
	"strconv"

	"airsign/cmd/internal/qrfiles"
	"airsign/offline/ceremony"
	"airsign/shamir"
	"airsign/ui/qr"
)

// shareReport is what check-share says about a presented share. It holds
// only what the transcript already makes public: the share's header and
// its digest.
type shareReport struct {
	File       string `json:"file"`
	Transcript string `json:"transcript"`
	CeremonyID string `json:"ceremony_id"`
	Wallet     string `json:"wallet_name"`
	OK         bool   `json:"ok"`
	Share      int    `json:"share,omitempty"`
	Set        string `json:"share_set,omitempty"`
	Custodian  string `json:"custodian,omitempty"`
	Digest     string `json:"sha256,omitempty"`
	Problem    string `json:"problem,omitempty"`
}

func (c *cli) checkShare(args []string) error {
	fs := newFlags("check-share")
	keyArg := fs.String("device-key", "", "")
	of := addOutputFlags(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageError("check-share takes a transcript file and a share file")
	}
	o, err := of.output()
	if err != nil {
		return err
	}
	key, err := parseDeviceKey(*keyArg)
	if err != nil {
		return err
	}
	tr, err := verifyTranscriptFile(pos[0], key)
	if err != nil {
		return err
	}
	if tr.Transcript == nil || tr.Checks[0].Name == "signature" && !tr.Checks[0].OK {
		// Without a good signature the recorded digests prove nothing.
		return fmt.Errorf("%s: %s", pos[0], tr.Checks[0].Detail)
	}
	if !tr.OK {
		fmt.Fprintf(c.stderr, "airsign-audit: warning: %s is signed but fails %d other check(s); run verify-transcript on it\n", pos[0], len(tr.problems()))
	}
	t := tr.Transcript
	r := &shareReport{File: pos[1], Transcript: pos[0], CeremonyID: t.CeremonyID, Wallet: t.WalletName}
	r.Problem = matchShare(r, pos[1], t)
	r.OK = r.Problem == ""
	text := func() {
		fmt.Fprintln(c.stdout, r.verdict())
		if r.OK {
			fmt.Fprintln(c.stdout, shareWiped)
		}
	}
	s := summary{Check: "check-share", Subject: fmt.Sprintf("share %s against transcript %s", r.File, r.Transcript), OK: r.OK, Verdict: r.verdict(),
		Facts:   []fact{{"ceremony", r.CeremonyID}, {"wallet", r.Wallet}},
		Columns: []string{"file", "transcript", "ceremony_id", "wallet", "result", "share", "set", "custodian", "sha256", "problem"},
		Rows:    [][]string{{r.File, r.Transcript, r.CeremonyID, r.Wallet, yesNo(r.OK), shareIndex(r.Share), r.Set, r.Custodian, r.Digest, r.Problem}}}
	if r.OK {
		s.Facts = append(s.Facts, fact{"share", shareWiped})
	}
	if err := c.report(o, r, text, s); err != nil {
		return err
	}
	if !r.OK {
		return errProblem
	}
	return nil
}

const shareWiped = "nothing was combined; the share was not printed and is wiped from memory"

func (r *shareReport) verdict() string {
	if !r.OK {
		return "PROBLEM: " + r.Problem
	}
	who := ""
	if r.Custodian != "" {
		who = " (" + r.Custodian + "'s)"
	}
	return fmt.Sprintf("OK: %s is share %d of set %s%s of ceremony %s, wallet %q: its digest %s is the one the transcript records",
		r.File, r.Share, r.Set, who, r.CeremonyID, r.Wallet, r.Digest)
}

func shareIndex(i int) string {
	if i == 0 {
		return ""
	}
	return strconv.Itoa(i)
}

func matchShare(r *shareReport, path string, t *ceremony.Transcript) string {
	set, threshold, total, fingerprint, records := t.ShareSet, t.Threshold, t.Total, t.MasterFingerprint, t.Shares
	s, err := readShare(path)
	if err != nil {
		return fmt.Sprintf("%s is not a readable share: %v", path, err)
	}
	defer s.Wipe()
	d := s.Digest()
	r.Share, r.Set, r.Digest = s.Index, s.SetName(), hex.EncodeToString(d[:])
	not := fmt.Sprintf("%s (%s) is not from ceremony %s", s.Name(), path, t.CeremonyID)
	switch fp := hex.EncodeToString(s.Fingerprint[:]); {
	case s.SetName() != set:
		return fmt.Sprintf("%s: the ceremony's shares are of set %s", not, set)
	case fp != fingerprint:
		return fmt.Sprintf("%s: it commits to wallet fingerprint %s, the ceremony's wallet is %s", not, fp, fingerprint)
	case s.Threshold != threshold || s.Total != total:
		return fmt.Sprintf("%s: it is of a %d-of-%d set, the ceremony made %d-of-%d", not, s.Threshold, s.Total, threshold, total)
	case s.Index < 1 || s.Index > len(records):
		return fmt.Sprintf("%s: the transcript records no share %d", not, s.Index)
	}
	rec := records[s.Index-1]
	r.Custodian = rec.Custodian
	if rec.Index != s.Index || rec.SHA256 != r.Digest {
		return fmt.Sprintf("%s: its digest %s is not the transcript's %s for share %d", not, r.Digest, rec.SHA256, s.Index)
	}
	return ""
}

// readShare reads a share from its words file or its QR image, as the
// kiosk does. What was read is wiped; the caller wipes the share.
func readShare(path string) (*shamir.Share, error) {
	data, err := qrfiles.ReadFileLimited(path, qr.MaxImageBytes, "share")
	if err != nil {
		return nil, err
	}
	defer clear(data)
	if qrfiles.IsImage(data) {
		text, err := qr.DecodeFile(data)
		if err != nil {
			return nil, err
		}
		defer clear(text)
		data = text
	}
	return shamir.Parse(data)
}
