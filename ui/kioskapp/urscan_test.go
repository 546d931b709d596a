package kioskapp

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"airsign/offline/home"
	core "airsign/offline/kiosk"
	"airsign/psbt/descriptor"
	"airsign/ui/qr"
	"airsign/ui/qr/ur"
	"airsign/ui/urwallet"
)

// urFrames draws u as the QR frames of a multipart UR transfer.
func urFrames(t *testing.T, u ur.UR) [][]byte {
	t.Helper()
	e, err := ur.NewEncoder(u, 60, 10)
	if err != nil {
		t.Fatal(err)
	}
	if e.SeqLen() < 2 {
		t.Fatalf("ur:%s is %d part; the test needs a transfer of several frames", u.Type, e.SeqLen())
	}
	var parts []string
	for i := range e.SeqLen() {
		parts = append(parts, e.Part(uint32(i+1)))
	}
	pngs, err := qr.FramePNGs(parts, qr.ImageOptions{Level: qr.Low, ModulePixels: 4})
	if err != nil {
		t.Fatal(err)
	}
	return pngs
}

// urOf is an exporter's value as its UR.
func urOf[T interface{ UR() (ur.UR, error) }](v T, err error) (ur.UR, error) {
	if err != nil {
		return ur.UR{}, err
	}
	return v.UR()
}

// The register screen reads every UR wallet type urwallet exports, from
// QR frames opened off the stick: a multisig wallet's output-descriptor
// (as Sparrow 2.x writes it) and crypto-output reach the review; a
// single-sig account (crypto-account, account-descriptor) is read and
// then refused by the core, which registers multisig wallets only, with
// its sentence rather than "these codes carry crypto-account".
func TestRegisterReadsEveryURWallet(t *testing.T) {
	s := newStation(t)
	var keys []string
	for _, wl := range append([]home.Wallet{s.wallet}, s.others...) {
		keys = append(keys, wl.Cosigner+"/<0;1>/*")
	}
	multi, err := descriptor.ParseForNetwork(fmt.Sprintf("wsh(sortedmulti(2,%s))", strings.Join(keys, ",")), descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	const singleSig = "only multisig wallets are registered this way"
	for _, tt := range []struct {
		name    string
		export  func() (ur.UR, error)
		problem string // "": the review of multi
	}{
		{"output-descriptor", func() (ur.UR, error) { return urOf(urwallet.OutputDescriptor(multi, "treasury")) }, ""},
		{"crypto-output", func() (ur.UR, error) { return urOf(urwallet.Output(multi)) }, ""},
		{"crypto-account", func() (ur.UR, error) { return urOf(urwallet.Account(s.desc)) }, singleSig},
		{"account-descriptor", func() (ur.UR, error) { return urOf(urwallet.AccountDescriptor(s.desc)) }, singleSig},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u, err := tt.export()
			if err != nil {
				t.Fatal(err)
			}
			a, w := s.gui(t)
			pngs := urFrames(t, u)
			dir := filepath.Join(a.opt.ExportDir, "wallet")
			for i, p := range pngs {
				writeFile(t, filepath.Join(dir, fmt.Sprintf("%s-%02d.png", tt.name, i+1)), p)
			}
			tap(t, w, "Register wallet")
			tap(t, w, "Open files…")
			tapRow(t, w, "wallet")
			tapIn(t, w, fmt.Sprintf("Open all PNGs in this folder (%d)", len(pngs)))
			if tt.problem != "" {
				if sc := wantScreen[core.Scan](t, a); !strings.Contains(sc.Problem, tt.problem) {
					t.Fatalf("ur:%s of a single-sig wallet: problem %q, screen %q; want %q", u.Type, sc.Problem, texts(w.Content()), tt.problem)
				}
				return
			}
			r := wantScreen[core.RegisterReview](t, a)
			if got, want := r.Registration.Desc.String(), multi.String(); got != want {
				t.Fatalf("register review of %s; want %s", got, want)
			}
		})
	}
}
