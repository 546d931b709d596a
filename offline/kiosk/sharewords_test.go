package kiosk

import (
	"bytes"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/tyler-smith/go-bip39/wordlists"
)

// The word counts are the table of docs/share-format.md.
func TestShareWordCount(t *testing.T) {
	for _, c := range []struct{ seed, share, entropy int }{
		{12, 22, 16}, {15, 25, 20}, {18, 28, 24}, {21, 31, 28}, {24, 34, 32},
	} {
		if got := ShareWordCount(c.seed); got != c.share {
			t.Errorf("ShareWordCount(%d) = %d, want %d", c.seed, got, c.share)
		}
		if got := seedWordsOf(c.entropy); got != c.seed {
			t.Errorf("seedWordsOf(%d) = %d, want %d", c.entropy, got, c.seed)
		}
	}
	if got, want := ShareWordCounts(), "22 words for a 12-word seed, 34 for a 24-word seed"; got != want {
		t.Errorf("ShareWordCounts() = %q, want %q", got, want)
	}
}

func TestWhyShareWords(t *testing.T) {
	for seed, want := range map[int]string{
		12: "Why 22 words for a 12-word seed: a share holds as many secret bits as the seed (128; the seed's words add a 4-bit checksum), " +
			"plus 14 bytes that let this station check a share before it trusts it: the share set, the share's number, how many shares are needed, " +
			"the wallet's fingerprint and a checksum that catches any single wrong word. That is 30 bytes, 240 bits; at 11 bits a word it takes 22 words (the last 2 bits are zero).",
		24: "Why 34 words for a 24-word seed: a share holds as many secret bits as the seed (256; the seed's words add a 8-bit checksum), " +
			"plus 14 bytes that let this station check a share before it trusts it: the share set, the share's number, how many shares are needed, " +
			"the wallet's fingerprint and a checksum that catches any single wrong word. That is 46 bytes, 368 bits; at 11 bits a word it takes 34 words (the last 6 bits are zero).",
	} {
		if got := WhyShareWords(seed); got != want {
			t.Errorf("WhyShareWords(%d):\n got %s\nwant %s", seed, got, want)
		}
	}
}

// otherWord is a BIP39 word that is not w.
func otherWord(w string) string {
	if w == wordlists.English[0] {
		return wordlists.English[1]
	}
	return wordlists.English[0]
}

// copyCheckWords are the words of the copy check's messages.
var copyCheckWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields("word words differs differ from the share shown correct it them marked and press enter or look at again back " +
		"you entered has a is missing doubled before from there") {
		m[w] = true
	}
	return m
}()

// The copy check names the words that differ by position, and never
// names a word; numbers, short forms and case are read as the share
// parser reads them.
func TestCopyCheckNamesTheWord(t *testing.T) {
	// Seeded, so that the shares, and which of their words are alike,
	// are the same on every run.
	k, _, export := ceremonyKioskWith(t, mrand.NewChaCha8([32]byte{'c', 'o', 'p', 'y'}))
	handle(t, k, Begin{Flow: FlowCeremony}, `Setup problem=""`)
	show := handle(t, k, SetupCeremony{Params: CeremonyParams{Network: "regtest", Script: "p2wpkh", Threshold: 2, Total: 2, Words: 12,
		ExportDir: export}}, `Show 1/2 for ""`).(ShowShare)
	if show.SeedWords != 12 || k.SeedWords() != 12 {
		t.Fatalf("ShowShare.SeedWords %d, Kiosk.SeedWords %d, want 12", show.SeedWords, k.SeedWords())
	}
	words := strings.Fields(string(show.Words))
	enter := handle(t, k, Confirm{}, `Enter 1 problem=""`).(EnterShare)
	if enter.Words != 22 || enter.SeedWords != 12 || len(words) != 22 {
		t.Fatalf("EnterShare counts %d of a %d-word seed, %d words shown; want 22 of 12", enter.Words, enter.SeedWords, len(words))
	}
	with := func(f func(ws []string) []string) []byte {
		return []byte(strings.Join(f(slices.Clone(words)), " "))
	}
	for _, c := range []struct {
		name    string
		typed   []byte
		problem string
		differs []int
	}{
		{"one word", with(func(ws []string) []string { ws[8] = otherWord(ws[8]); return ws }),
			"word 9 differs from the share shown: correct it (marked) and press Enter, or look at the share again (Back)", []int{9}},
		{"a typo", with(func(ws []string) []string { ws[21] += "x"; return ws }),
			"word 22 differs from the share shown: …", []int{22}},
		{"two words", with(func(ws []string) []string { ws[8], ws[13] = otherWord(ws[8]), otherWord(ws[13]); return ws }),
			"words 9 and 14 differ from the share shown: correct them (marked) and press Enter, or look at the share again (Back)", []int{9, 14}},
		{"three words", with(func(ws []string) []string {
			ws[0], ws[1], ws[2] = otherWord(ws[0]), otherWord(ws[1]), otherWord(ws[2])
			return ws
		}),
			"words 1, 2 and 3 differ from the share shown: …", []int{1, 2, 3}},
		{"a word missing", with(func(ws []string) []string { return slices.Delete(ws, 6, 7) }),
			"you entered 21 words, the share shown has 22: a word is missing or doubled at word 7 or before it; …", []int{7}},
		{"a word doubled", with(func(ws []string) []string { return slices.Insert(ws, 3, ws[3]) }),
			"you entered 23 words, the share shown has 22: a word is missing or doubled at word 5 or before it; …", []int{5}},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := fmt.Sprintf("Enter 1 problem=%q", c.problem)
			if p, cut := strings.CutSuffix(c.problem, "…"); cut {
				want = `Enter 1 problem="` + p + "…"
			}
			s := handle(t, k, ShareScanned{Data: c.typed}, want).(EnterShare)
			if !slices.Equal(s.Differs, c.differs) || s.Words != 22 {
				t.Errorf("Differs %v, Words %d; want %v, 22", s.Differs, s.Words, c.differs)
			}
			// The messages' own words include BIP39 words ("word",
			// "again", "correct", "enter"…) that a share may hold
			// too; any other share word in a problem is one named.
			for _, w := range strings.FieldsFunc(strings.ToLower(s.Problem), func(r rune) bool { return r < 'a' || r > 'z' }) {
				if slices.Contains(words, w) && !copyCheckWords[w] {
					t.Errorf("the problem names share word %q: %q", w, s.Problem)
				}
			}
		})
	}
	// Numbered, cut to four letters, in capitals: the same share.
	var typed []string
	for i, w := range words {
		typed = append(typed, fmt.Sprintf("%d.", i+1)+strings.ToUpper(w[:min(4, len(w))]))
	}
	handle(t, k, ShareScanned{Data: []byte(strings.Join(typed, " "))}, `Show 2/2 for ""`)
	handle(t, k, Confirm{}, `Enter 2 problem=""`)
	// Another share's QR text has no words to compare.
	handle(t, k, ShareScanned{Data: bytes.ToLower([]byte("AIRSIGN-SHARE:AF7TUEQAAEC5AJ5FZE56C4CKBZHAXQBQK43UBSUS5TMNWYIR"))},
		`Enter 2 problem="that is not the share just shown; look at it again (Back) and enter every word"`)
}

// The shares screens count to the length of the shares already accepted.
func TestSeedWordsFromTheFirstShare(t *testing.T) {
	s := newStation(t)
	k := s.kiosk(t, false)
	if _, err := k.Handle(Begin{Flow: FlowHealth, Wallet: "vault"}); err != nil {
		t.Fatal(err)
	}
	if got := k.SeedWords(); got != 0 {
		t.Fatalf("SeedWords before a share = %d, want 0 (not known yet)", got)
	}
	if _, err := k.Handle(s.share(1)); err != nil {
		t.Fatal(err)
	}
	if got := k.SeedWords(); got != 12 {
		t.Fatalf("SeedWords after a share of a 12-word seed = %d, want 12", got)
	}
}
