package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"airsign/cmd/internal/qrfiles"
	"airsign/psbt/auditlog"
)

func runKiosk(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

// init prints the verifier key; audit key prints the same; an export by
// file and by QR verifies with it alone, incrementally with the checkpoint
// kept from the last export; a tampered log stops the kiosk with the reason.
func TestAuditCommands(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "kiosk")
	out, errs, code := runKiosk(t, "--home", home, "init")
	if code != 0 {
		t.Fatalf("init: %d %s", code, errs)
	}
	m := regexp.MustCompile(`audit verifier key (airsign-[0-9a-f]{16}\+[0-9a-f]{8}\+\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("init output has no verifier key:\n%s", out)
	}
	vk := m[1]
	if out, _, code := runKiosk(t, "--home", home, "audit", "key"); code != 0 || strings.TrimSpace(out) != vk {
		t.Fatalf("audit key = %q (%d), want %q", out, code, vk)
	}
	out, errs, code = runKiosk(t, "--home", home, "audit", "verify")
	if code != 0 || !strings.Contains(out, "audit log verifies: 1 entries") {
		t.Fatalf("audit verify: %d %s %s", code, out, errs)
	}

	ex1 := filepath.Join(dir, "export1.json")
	qrDir := filepath.Join(dir, "qr")
	out, errs, code = runKiosk(t, "--home", home, "audit", "export", "--out", ex1, "--qr-out", qrDir)
	if code != 0 || !strings.Contains(out, "next time, export with --since 1") {
		t.Fatalf("audit export: %d %s %s", code, out, errs)
	}
	data, err := os.ReadFile(ex1)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := auditlog.VerifyExport(data, vk, nil)
	if err != nil || rep.Size != 1 || rep.Entries[0].Kind != "init" {
		t.Fatalf("VerifyExport: %+v %v", rep, err)
	}
	frames, _ := filepath.Glob(filepath.Join(qrDir, "frame-*.png"))
	p, _, err := qrfiles.ReadPayload(frames, nil)
	if err != nil || !bytes.Equal(p.Data, data) {
		t.Fatalf("QR frames carry %d bytes (%v), the export %d", len(p.Data), err, len(data))
	}
	if _, _, code := runKiosk(t, "--home", home, "audit", "export", "--out", ex1); code == 0 {
		t.Fatal("export over an existing file succeeded")
	}

	// The export itself was logged; the next export carries it, and
	// extends the checkpoint the auditor kept.
	ex2 := filepath.Join(dir, "export2.json")
	if _, errs, code := runKiosk(t, "--home", home, "audit", "export", "--out", ex2, "--since", "1"); code != 0 {
		t.Fatalf("second export: %s", errs)
	}
	data2, _ := os.ReadFile(ex2)
	rep2, err := auditlog.VerifyExport(data2, vk, rep.Checkpoint)
	if err != nil || rep2.Since != 1 || len(rep2.Entries) == 0 || rep2.Entries[0].Kind != "audit-export" || rep2.TrustedSize != 1 {
		t.Fatalf("incremental export: %+v %v", rep2, err)
	}

	// Usage errors.
	for _, args := range [][]string{{"audit"}, {"audit", "frob"}, {"audit", "export"}, {"audit", "export", "--out", "x", "--since", "-1"}} {
		if _, _, code := runKiosk(t, append([]string{"--home", home}, args...)...); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
	}
	if _, _, code := runKiosk(t, "--home", home, "audit", "export", "--out", filepath.Join(dir, "x"), "--since", "99"); code != exitError {
		t.Errorf("--since past the end: exit %d", code)
	}

	// Drop the last line: the checkpoints say the log was truncated.
	logPath := filepath.Join(home, "audit.log")
	log, _ := os.ReadFile(logPath)
	lines := strings.SplitAfter(string(log), "\n")
	os.WriteFile(logPath, []byte(strings.Join(lines[:len(lines)-2], "")), 0o600)
	for _, args := range [][]string{{"audit", "verify"}, {"audit", "export", "--out", filepath.Join(dir, "x")}, {"wallets"}} {
		_, errs, code := runKiosk(t, append([]string{"--home", home}, args...)...)
		if code == 0 || !strings.Contains(errs, "the audit log does not verify: ") || !strings.Contains(errs, "truncated") ||
			!strings.Contains(errs, "the kiosk will not sign until an auditor has looked at it") {
			t.Errorf("%q on a truncated log: exit %d, %s", args, code, errs)
		}
	}
}
