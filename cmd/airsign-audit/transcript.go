package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"airsign/cmd/internal/qrfiles"
	"airsign/offline/ceremony"
	"airsign/offline/home"
	"airsign/psbt/descriptor"
)

// deviceKey is what --device-key names: the whole ed25519 key, or only its
// key id when that is all the auditor wrote down.
type deviceKey struct {
	pub ed25519.PublicKey // nil when only id is known
	id  string
	src string // how the auditor gave it, for the report
}

var keyIDPattern = regexp.MustCompile(`^[0-9a-f]{16}$`)

// parseDeviceKey reads --device-key: a file (identity.pub as the kiosk
// writes it, "airsign-kiosk KEYID BASE64", or a file holding just the key),
// or the key itself as 64 hex digits or base64, or the 16-hex-digit key id.
func parseDeviceKey(arg string) (*deviceKey, error) {
	if arg == "" {
		return nil, nil
	}
	text, src := arg, "given on the command line"
	if data, err := qrfiles.ReadFileLimited(arg, 4096, "device key file"); err == nil {
		text, src = string(data), "from "+arg
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("--device-key: %w", err)
	}
	fields := strings.Fields(text)
	if len(fields) == 3 && fields[0] == "airsign-kiosk" {
		k, err := decodeKey(fields[2])
		if err != nil {
			return nil, fmt.Errorf("--device-key %s: %w", arg, err)
		}
		if id := home.KeyID(k); id != fields[1] {
			return nil, fmt.Errorf("--device-key %s names key id %s, but its key has id %s: the file was edited", arg, fields[1], id)
		}
		return &deviceKey{pub: k, id: fields[1], src: src}, nil
	}
	if len(fields) != 1 {
		return nil, fmt.Errorf("--device-key %q is neither the kiosk's identity.pub, nor a key as 64 hex digits or base64, nor a 16-hex-digit key id", truncate(arg))
	}
	if keyIDPattern.MatchString(fields[0]) {
		return &deviceKey{id: fields[0], src: src + " (key id only)"}, nil
	}
	k, err := decodeKey(fields[0])
	if err != nil {
		return nil, fmt.Errorf("--device-key %q: %w", truncate(arg), err)
	}
	return &deviceKey{pub: k, id: home.KeyID(k), src: src}, nil
}

func decodeKey(s string) (ed25519.PublicKey, error) {
	if b, err := hex.DecodeString(s); err == nil && len(b) == ed25519.PublicKeySize {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == ed25519.PublicKeySize {
		return b, nil
	}
	return nil, errors.New("not an ed25519 public key (64 hex digits or 44 base64 characters)")
}

func truncate(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// check is one line of a report.
type check struct {
	Name   string `json:"check"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// transcriptReport is what verify-transcript finds.
type transcriptReport struct {
	File        string                 `json:"file"`
	OK          bool                   `json:"ok"`
	DeviceKeyID string                 `json:"device_key_id,omitempty"`
	Trusted     string                 `json:"trusted_device_key,omitempty"`
	Transcript  *ceremony.Transcript   `json:"transcript,omitempty"`
	Checks      []check                `json:"checks"`
	descriptor  *descriptor.Descriptor // parsed, when it parses
}

func (r *transcriptReport) add(name string, err error, okDetail string) {
	c := check{Name: name, OK: err == nil, Detail: okDetail}
	if err != nil {
		c.Detail = err.Error()
		r.OK = false
	}
	r.Checks = append(r.Checks, c)
}

// problems returns the failed checks' details.
func (r *transcriptReport) problems() []string {
	var out []string
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c.Name+": "+c.Detail)
		}
	}
	return out
}

// verifyTranscriptFile reads and checks one transcript. It returns an error
// only when the file cannot be read; what is wrong with it is in the report.
func verifyTranscriptFile(path string, trusted *deviceKey) (*transcriptReport, error) {
	data, err := qrfiles.ReadFileLimited(path, ceremony.MaxTranscriptBytes, "ceremony transcript")
	if err != nil {
		return nil, err
	}
	return verifyTranscript(path, data, trusted), nil
}

// verifyTranscript checks the signature, then, if it verifies, the
// content.
func verifyTranscript(path string, data []byte, trusted *deviceKey) *transcriptReport {
	r := &transcriptReport{File: path, OK: true}
	var pinned ed25519.PublicKey
	if trusted != nil {
		pinned = trusted.pub
		r.Trusted = trusted.id
	}
	t, err := ceremony.VerifyTranscript(data, pinned)
	if err != nil {
		r.add("signature", err, "")
		return r
	}
	pub, _ := base64.StdEncoding.DecodeString(t.DevicePublicKey)
	r.DeviceKeyID = home.KeyID(pub)
	r.Transcript = t
	detail := "signed by device key " + r.DeviceKeyID + ", the key the transcript names (this proves it was not edited, not which device made it: give --device-key)"
	if trusted != nil {
		if trusted.pub == nil && trusted.id != r.DeviceKeyID {
			r.add("signature", fmt.Errorf("transcript was signed by device %s, not the trusted device %s", r.DeviceKeyID, trusted.id), "")
			return r
		}
		detail = "signed by device key " + r.DeviceKeyID + ", the trusted key " + trusted.src
	}
	r.add("signature", nil, detail)
	r.descriptor = checkContent(r, t, pub)
	return r
}

var (
	hexID     = regexp.MustCompile(`^[0-9a-f]{32}$`)
	setName   = regexp.MustCompile(`^[0-9a-f]{4}$`)
	digestHex = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// checkContent checks that the signed transcript agrees with itself:
// what the kiosk signed is what it should have derived. It returns the
// parsed descriptor when it parses.
func checkContent(r *transcriptReport, t *ceremony.Transcript, pub ed25519.PublicKey) *descriptor.Descriptor {
	r.add("device key id", func() error {
		if id := home.KeyID(pub); t.DeviceKeyID != id {
			return fmt.Errorf("device_key_id %q is not %s, the id of the transcript's device public key", t.DeviceKeyID, id)
		}
		return nil
	}(), "device_key_id "+t.DeviceKeyID+" is the id of the device public key")

	r.add("ceremony", func() error {
		switch {
		case !hexID.MatchString(t.CeremonyID):
			return fmt.Errorf("ceremony_id %q is not 32 hex digits", truncate(t.CeremonyID))
		case t.Time.IsZero():
			return errors.New("the transcript has no time")
		case t.Kind != "generated" && t.Kind != "imported":
			return fmt.Errorf("kind %q is neither generated nor imported", truncate(t.Kind))
		case t.WalletName == "":
			return errors.New("the wallet has no name")
		case !validWords(t.Kind, t.Words):
			return fmt.Errorf("a %s seed of %d words: a generated seed has 12 or 24, an imported one 12, 15, 18, 21 or 24", t.Kind, t.Words)
		}
		return nil
	}(), fmt.Sprintf("%s, %s seed of %d words, wallet %q, at %s", t.CeremonyID, t.Kind, t.Words, t.WalletName, t.Time.UTC().Format("2006-01-02 15:04:05Z")))

	net, netErr := descriptor.ParseNetwork(t.Network)
	script, scriptErr := descriptor.ParseScriptType(t.Script)
	r.add("network and script", func() error {
		switch {
		case netErr != nil:
			return netErr
		case scriptErr != nil:
			return scriptErr
		case script.Multisig():
			return fmt.Errorf("a ceremony makes one key's wallet, not a %s", script)
		}
		return nil
	}(), t.Network+" "+t.Script)

	r.add("threshold", func() error {
		switch {
		case t.Threshold < 2:
			return fmt.Errorf("threshold %d would let one custodian rebuild the seed alone", t.Threshold)
		case t.Threshold > t.Total:
			return fmt.Errorf("threshold %d is more than the %d shares: the seed could never be rebuilt", t.Threshold, t.Total)
		case t.Total > 16:
			return fmt.Errorf("%d shares is more than the 16 a share set may have", t.Total)
		}
		return nil
	}(), fmt.Sprintf("any %d of %d shares rebuild the seed", t.Threshold, t.Total))

	r.add("share records", checkShareRecords(t), fmt.Sprintf("set %s, shares 1 to %d listed once each with distinct digests", t.ShareSet, t.Total))

	if netErr != nil || scriptErr != nil || script.Multisig() {
		return nil
	}
	var fp [4]byte
	fpErr := func() error {
		b, err := hex.DecodeString(t.MasterFingerprint)
		if err != nil || len(b) != 4 {
			return fmt.Errorf("master_fingerprint %q is not 8 hex digits", truncate(t.MasterFingerprint))
		}
		copy(fp[:], b)
		return nil
	}()

	d, err := descriptor.ParseForNetwork(t.Descriptor, net)
	if err == nil && d.Script != script {
		err = fmt.Errorf("the descriptor is a %s wallet, but the transcript says %s", d.Script, script)
	}
	r.add("descriptor", err, "parses as a "+t.Network+" "+t.Script+" descriptor")
	if err != nil {
		return nil
	}

	r.add("master fingerprint", func() error {
		if fpErr != nil {
			return fpErr
		}
		if got := d.MasterFingerprint(); got != fp {
			return fmt.Errorf("the descriptor's key origin names master fingerprint %x, but the transcript's master_fingerprint is %s", got, t.MasterFingerprint)
		}
		return nil
	}(), "the descriptor's key origin names master fingerprint "+t.MasterFingerprint)

	want := accountPath(script, net)
	r.add("account path", func() error {
		if got := descriptor.FormatPath(d.Origin.Path); got != t.AccountPath {
			return fmt.Errorf("the descriptor's key origin is at %s, but the transcript's account_path is %s", got, t.AccountPath)
		}
		p := d.Origin.Path
		if len(p) != 3 || p[0] != script.Purpose()+descriptor.Hardened || p[1] != net.CoinType()+descriptor.Hardened || p[2] < descriptor.Hardened {
			return fmt.Errorf("account path %s is not %s, the standard path of a %s %s account", t.AccountPath, want, t.Network, t.Script)
		}
		return nil
	}(), t.AccountPath+fmt.Sprintf(": BIP%d, coin type %d' for %s", script.Purpose(), net.CoinType(), t.Network))

	r.add("account key", func() error {
		k, err := descriptor.ParseExtendedKey(t.AccountXpub, net)
		if err != nil {
			return fmt.Errorf("account_xpub: %w", err)
		}
		if k.String() != d.Key.String() || t.AccountXpub != d.Key.String() {
			return fmt.Errorf("account_xpub %s is not the descriptor's key %s", truncate(t.AccountXpub), truncate(d.Key.String()))
		}
		return nil
	}(), "account_xpub is the descriptor's key")

	r.add("SLIP-132 key", func() error {
		slip, err := descriptor.SLIP132(d.Key, script, net)
		if err != nil {
			return err
		}
		switch {
		case t.AccountSLIP132 == "" && slip != t.AccountXpub:
			return fmt.Errorf("account_slip132 is missing; a %s %s account's is %s", t.Network, t.Script, truncate(slip))
		case t.AccountSLIP132 != "" && t.AccountSLIP132 != slip:
			return fmt.Errorf("account_slip132 %s is not the %s %s encoding %s of the account key", truncate(t.AccountSLIP132), t.Network, t.Script, truncate(slip))
		}
		return nil
	}(), func() string {
		if t.AccountSLIP132 == "" {
			return "none: a " + t.Script + " account uses the plain encoding"
		}
		return t.AccountSLIP132[:4] + " encoding of the account key"
	}())

	r.add("BIP48 cosigner key", checkCosigner(t, net, fp), "at m/48'/"+fmt.Sprint(net.CoinType())+"'/0'/2' of master fingerprint "+t.MasterFingerprint)
	return d
}

func validWords(kind string, n int) bool {
	if kind == "generated" {
		return n == 12 || n == 24
	}
	return n >= 12 && n <= 24 && n%3 == 0
}

func accountPath(script descriptor.ScriptType, net descriptor.Network) string {
	return fmt.Sprintf("m/%d'/%d'/0'", script.Purpose(), net.CoinType())
}

func checkShareRecords(t *ceremony.Transcript) error {
	if !setName.MatchString(t.ShareSet) {
		return fmt.Errorf("share_set %q is not 4 hex digits", truncate(t.ShareSet))
	}
	if len(t.Shares) != t.Total {
		return fmt.Errorf("%d share records for %d shares", len(t.Shares), t.Total)
	}
	digests := map[string]int{}
	for i, s := range t.Shares {
		if s.Index != i+1 {
			return fmt.Errorf("share record %d is for share %d: records must list shares 1 to %d in order", i+1, s.Index, t.Total)
		}
		if !digestHex.MatchString(s.SHA256) {
			return fmt.Errorf("share %d's sha256 %q is not 64 hex digits", s.Index, truncate(s.SHA256))
		}
		if j, ok := digests[s.SHA256]; ok {
			return fmt.Errorf("shares %d and %d have the same digest: a share set's shares all differ", j, s.Index)
		}
		digests[s.SHA256] = s.Index
	}
	return nil
}

// checkCosigner checks the BIP48 cosigner key the ceremony recorded for
// multisig use. The descriptor package checks a key expression only inside
// a descriptor, so it is read as the one key of a 1-of-1 multisig.
func checkCosigner(t *ceremony.Transcript, net descriptor.Network, fp [4]byte) error {
	k, err := cosignerKey(t.Cosigner, net)
	if err != nil {
		return err
	}
	if k.Origin.Fingerprint != fp {
		return fmt.Errorf("the cosigner key's origin names master fingerprint %x, not the wallet's %s", k.Origin.Fingerprint, t.MasterFingerprint)
	}
	want := fmt.Sprintf("m/48'/%d'/0'/2'", net.CoinType())
	if got := descriptor.FormatPath(k.Origin.Path); got != want {
		return fmt.Errorf("the cosigner key is at %s, not %s (BIP48 P2WSH, account 0, %s)", got, want, t.Network)
	}
	return nil
}

// cosignerKey parses "[fp/path]xpub" for net.
func cosignerKey(s string, net descriptor.Network) (descriptor.Key, error) {
	if s == "" || strings.ContainsAny(s, "(),#") {
		return descriptor.Key{}, fmt.Errorf("bip48_cosigner %q is not a key with origin [fingerprint/path]xpub", truncate(s))
	}
	d, err := descriptor.ParseForNetwork("wsh(sortedmulti(1,"+s+"/<0;1>/*))", net)
	if err != nil {
		return descriptor.Key{}, fmt.Errorf("bip48_cosigner: %w", err)
	}
	return d.Keys[0], nil
}

func (c *cli) verifyTranscript(args []string) error {
	fs := newFlags("verify-transcript")
	keyArg := fs.String("device-key", "", "")
	of := addOutputFlags(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("verify-transcript takes one transcript file")
	}
	o, err := of.output()
	if err != nil {
		return err
	}
	key, err := parseDeviceKey(*keyArg)
	if err != nil {
		return err
	}
	r, err := verifyTranscriptFile(pos[0], key)
	if err != nil {
		return err
	}
	if err := c.report(o, r, func() { printTranscriptReport(c, r) }, transcriptSummary(r)); err != nil {
		return err
	}
	if !r.OK {
		return errProblem
	}
	return nil
}

func (r *transcriptReport) verdict() string {
	if r.OK {
		return "OK: the transcript verifies and agrees with itself"
	}
	return fmt.Sprintf("PROBLEM: %d check(s) failed; do not accept this transcript", len(r.problems()))
}

func transcriptSummary(r *transcriptReport) summary {
	s := summary{Check: "verify-transcript", Subject: "transcript " + r.File, OK: r.OK, Verdict: r.verdict(),
		Columns: []string{"check", "result", "detail"}}
	if t := r.Transcript; t != nil {
		s.Facts = []fact{
			{"ceremony", fmt.Sprintf("%s (%s seed), %s", t.CeremonyID, t.Kind, t.Time.UTC().Format("2006-01-02 15:04:05Z"))},
			{"wallet", fmt.Sprintf("%q: %s %s, master fingerprint %s", t.WalletName, t.Network, t.Script, t.MasterFingerprint)},
			{"descriptor", t.Descriptor},
			{"shares", fmt.Sprintf("set %s, any %d of %d", t.ShareSet, t.Threshold, t.Total)},
		}
		for _, sh := range t.Shares {
			s.Facts = append(s.Facts, fact{fmt.Sprintf("share %d", sh.Index), custodian(sh.Custodian) + ", sha256 " + sh.SHA256})
		}
		s.Facts = append(s.Facts, fact{"device key", r.DeviceKeyID}, fact{"software", t.Software})
	}
	for _, ch := range r.Checks {
		s.Rows = append(s.Rows, []string{ch.Name, yesNo(ch.OK), ch.Detail})
	}
	return s
}

func custodian(name string) string {
	if name == "" {
		return "(no custodian named)"
	}
	return name
}

func printTranscriptReport(c *cli, r *transcriptReport) {
	fmt.Fprintf(c.stdout, "transcript %s\n", r.File)
	if t := r.Transcript; t != nil {
		fmt.Fprintf(c.stdout, "  ceremony    %s (%s seed), %s\n", t.CeremonyID, t.Kind, t.Time.UTC().Format("2006-01-02 15:04:05Z"))
		fmt.Fprintf(c.stdout, "  wallet      %q: %s %s, master fingerprint %s\n", t.WalletName, t.Network, t.Script, t.MasterFingerprint)
		fmt.Fprintf(c.stdout, "  descriptor  %s\n", t.Descriptor)
		fmt.Fprintf(c.stdout, "  shares      set %s, any %d of %d\n", t.ShareSet, t.Threshold, t.Total)
		for _, s := range t.Shares {
			fmt.Fprintf(c.stdout, "    share %-2d  %-24s sha256 %s\n", s.Index, custodian(s.Custodian), s.SHA256)
		}
		fmt.Fprintf(c.stdout, "  device key  %s\n", r.DeviceKeyID)
		fmt.Fprintf(c.stdout, "  software    %s\n", t.Software)
	}
	fmt.Fprintln(c.stdout, "checks:")
	for _, ch := range r.Checks {
		mark := "ok  "
		if !ch.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(c.stdout, "  %s %-20s %s\n", mark, ch.Name, ch.Detail)
	}
	fmt.Fprintln(c.stdout, r.verdict())
}

func writeJSON(w interface{ Write([]byte) (int, error) }, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}
