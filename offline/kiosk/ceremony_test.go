package kiosk

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"airsign/offline/ceremony"
	"airsign/offline/home"
	"airsign/shamir"
	"airsign/ui/qr"
)

type qrImager struct{}

func (qrImager) PNG(c []byte) ([]byte, error)     { return qr.PNG(c, qr.ImageOptions{Level: qr.Medium}) }
func (qrImager) ReadPNG(d []byte) ([]byte, error) { return qr.DecodeFile(d) }

func ceremonyKiosk(t *testing.T) (*Kiosk, *home.Home, string) {
	t.Helper()
	return ceremonyKioskWith(t, rand.Reader)
}

// ceremonyKioskWith is ceremonyKiosk drawing its keys and seeds from rnd.
func ceremonyKioskWith(t *testing.T, rnd io.Reader) (*Kiosk, *home.Home, string) {
	t.Helper()
	h, err := home.Init(t.TempDir(), rnd, t0)
	if err != nil {
		t.Fatal(err)
	}
	k, err := New(Config{Home: h, Now: func() time.Time { return t0 }, Interfaces: func() ([]string, error) { return nil, nil },
		Imager: qrImager{}, Software: "test", Rand: rnd})
	if err != nil {
		t.Fatal(err)
	}
	return k, h, filepath.Join(t.TempDir(), "export")
}

func describeCeremony(s Screen) string {
	switch s := s.(type) {
	case CeremonySetup:
		return fmt.Sprintf("Setup problem=%q", s.Problem)
	case DiceEntry:
		return fmt.Sprintf("Dice %d/%d problem=%q", s.Rolls, s.Need, s.Problem)
	case ShowShare:
		return fmt.Sprintf("Show %d/%d for %q", s.Index, s.Total, s.Custodian)
	case EnterShare:
		return fmt.Sprintf("Enter %d problem=%q", s.Index, s.Problem)
	case CeremonyDone:
		return fmt.Sprintf("Done %s", s.Wallet.Name)
	}
	return describe(s)
}

func handle(t *testing.T, k *Kiosk, ev Event, want string) Screen {
	t.Helper()
	s, err := k.Handle(ev)
	if err != nil {
		t.Fatalf("%T: %v", ev, err)
	}
	got := describeCeremony(s)
	if w, prefix := strings.CutSuffix(want, "…"); (prefix && !strings.HasPrefix(got, w)) || (!prefix && got != want) {
		t.Fatalf("%T:\n got %s\nwant %s", ev, got, want)
	}
	return s
}

// The wizard: setup, each share shown then entered in full before the
// next, a wrong entry refused, then the export written and the wallet
// registered; the shares themselves are never written.
func TestCeremonyFlow(t *testing.T) {
	k, h, export := ceremonyKiosk(t)
	params := CeremonyParams{Network: "regtest", Script: "p2wpkh", Threshold: 2, Total: 3, Words: 12,
		Custodians: []string{"Alice", "Bob", "Carol"}, Name: "cold", ExportDir: export}
	handle(t, k, Begin{Flow: FlowCeremony}, `Setup problem=""`)
	bad := params
	bad.Threshold = 1
	handle(t, k, SetupCeremony{Params: bad}, `Setup problem="1 of 3 shares: …`)
	var words [][]byte
	show := handle(t, k, SetupCeremony{Params: params}, `Show 1/3 for "Alice"`).(ShowShare)
	// What goes on the card beside the words.
	if len(show.Set) != 4 || len(show.Fingerprint) != 8 || show.Wallet != params.Name {
		t.Fatalf("share card: set %q fingerprint %q wallet %q, want 4 and 8 hex digits and %q", show.Set, show.Fingerprint, show.Wallet, params.Name)
	}
	for i := 1; i <= 3; i++ {
		words = append(words, bytes.Clone(show.Words))
		handle(t, k, Confirm{}, fmt.Sprintf(`Enter %d problem=""`, i))
		if i == 1 {
			// Back to look again, then a misread word, then the
			// next share's... not yet known; a garbled entry.
			handle(t, k, Back{}, `Show 1/3 for "Alice"`)
			handle(t, k, Confirm{}, `Enter 1 problem=""`)
			garbled := bytes.Clone(show.Words)
			garbled[0] ^= 0x01
			handle(t, k, ShareScanned{Data: garbled}, `Enter 1 problem="word 1 differs from the share shown: …`)
		}
		if i == 2 {
			handle(t, k, ShareScanned{Data: bytes.Clone(words[0])}, `Enter 2 problem="that is share 1; enter share 2, the one just shown"`)
		}
		want := fmt.Sprintf(`Show %d/3 for %q`, i+1, params.Custodians[min(i, 2)])
		if i == 3 {
			want = `Done cold`
		}
		s := handle(t, k, ShareScanned{Data: bytes.Clone(show.Words)}, want)
		if i < 3 {
			show = s.(ShowShare)
		}
	}
	if k.HoldsSecrets() {
		t.Fatal("the kiosk holds ceremony secrets after it ended")
	}
	w, err := h.Wallet("cold")
	if err != nil {
		t.Fatalf("wallet not registered: %v", err)
	}
	// The export has the public files only.
	ents, _ := os.ReadDir(export)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
		data, _ := os.ReadFile(filepath.Join(export, e.Name()))
		for _, ws := range words {
			if bytes.Contains(data, ws[:20]) {
				t.Fatalf("%s holds a share", e.Name())
			}
		}
	}
	if got := strings.Join(names, " "); got != "transcript.json watch-only.png watch-only.txt" {
		t.Fatalf("export: %s", got)
	}
	tr, err := os.ReadFile(filepath.Join(export, "transcript.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ceremony.VerifyTranscript(tr, h.PublicKey()); err != nil {
		t.Fatal(err)
	}
	// Any two of the words the custodians copied rebuild the wallet.
	var shares []*shamir.Share
	for _, ws := range words[1:] {
		s, err := shamir.Parse(ws)
		if err != nil {
			t.Fatal(err)
		}
		shares = append(shares, s)
	}
	d, err := w.Parsed()
	if err != nil {
		t.Fatal(err)
	}
	m, err := Activate(w, d, shares)
	if err != nil {
		t.Fatalf("the copied shares do not activate the wallet: %v", err)
	}
	m.Wipe()
}

func TestCeremonyDiceAndCancel(t *testing.T) {
	k, h, export := ceremonyKiosk(t)
	params := CeremonyParams{Network: "regtest", Script: "p2tr", Threshold: 2, Total: 2, Words: 12, Dice: true, ExportDir: export}
	handle(t, k, Begin{Flow: FlowCeremony}, `Setup problem=""`)
	handle(t, k, SetupCeremony{Params: params}, `Dice 0/50 problem=""`)
	handle(t, k, DiceRolled{Rolls: []byte("1234567")}, `Dice 0/50 problem="…`)
	handle(t, k, DiceRolled{Rolls: []byte(strings.Repeat("1", 30))}, `Dice 30/50 problem=""`)
	handle(t, k, DiceRolled{Rolls: []byte(strings.Repeat("1", 30))}, `Dice 60/50 problem=""`)
	handle(t, k, Confirm{}, `Dice 0/50 problem="the dice rolls repeat…`)
	// Fair rolls from a fixed seed: fair rolls from crypto/rand look
	// patterned to CheckDice now and then (about 1 time in 6000), and the
	// screen would then show a dice problem instead of the first share.
	rolls := make([]byte, 60)
	rng := mrand.New(mrand.NewChaCha8([32]byte{'d', 'i', 'c', 'e'}))
	for i := range rolls {
		rolls[i] = byte('1' + rng.IntN(6))
	}
	vals, err := ceremony.ParseDice(bytes.Clone(rolls))
	if err == nil {
		err = ceremony.CheckDice(vals, 128)
	}
	if err != nil {
		t.Fatalf("the seeded rolls are refused (pick another seed): %v", err)
	}
	handle(t, k, DiceRolled{Rolls: rolls}, `Dice 60/50 problem=""`)
	if !bytes.Equal(rolls, make([]byte, 60)) {
		t.Fatal("the dice input was not wiped")
	}
	handle(t, k, Confirm{}, `Show 1/2 for ""`)
	if !k.HoldsSecrets() {
		t.Fatal("no secrets held while a share is shown")
	}
	handle(t, k, Cancel{}, `Start wallets=0 notice="seed ceremony cancelled; nothing was kept"`)
	if k.HoldsSecrets() {
		t.Fatal("secrets held after cancel")
	}
	if ws, _ := h.Wallets(); len(ws) != 0 {
		t.Fatal("a cancelled ceremony registered a wallet")
	}
	if _, err := os.Stat(export); err == nil {
		t.Fatal("a cancelled ceremony wrote its export")
	}
}
