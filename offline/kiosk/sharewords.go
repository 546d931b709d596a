package kiosk

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tyler-smith/go-bip39/wordlists"

	"airsign/shamir"
)

// ShareWordList is the BIP39 English list that share words come from, for
// a share entry to complete and check words (a copy: the caller may keep
// it).
func ShareWordList() []string { return slices.Clone(wordlists.English) }

// bip39ChecksumRatio is BIP39's one checksum bit per 32 bits of entropy: a
// seed of w words holds w·11·32/33 bits of entropy.
const bip39ChecksumRatio = 32

// seedEntropyBits is how many bits of entropy a BIP39 seed of words words
// holds (128 for 12 words, 256 for 24).
func seedEntropyBits(words int) int {
	return words * shamir.WordBits * bip39ChecksumRatio / (bip39ChecksumRatio + 1)
}

// seedWordsOf is how many BIP39 words hold entropyLen bytes of entropy: the
// seed a share of that length belongs to.
func seedWordsOf(entropyLen int) int {
	bits := entropyLen * 8
	return (bits + bits/bip39ChecksumRatio) / shamir.WordBits
}

// ShareWordCount is how many words each share of a seed of seedWords BIP39
// words has (22 for 12, 34 for 24), from the share format.
func ShareWordCount(seedWords int) int {
	return shamir.WordCount(seedEntropyBits(seedWords) / 8)
}

// WhyShareWords explains in plain words why a share of a seed of seedWords
// words is longer than the seed. Every number comes from the share format
// (shamir), so the text cannot drift from it.
func WhyShareWords(seedWords int) string {
	secret := seedEntropyBits(seedWords)
	envelope := shamir.EnvelopeLen(secret / 8)
	words := shamir.WordCount(secret / 8)
	return fmt.Sprintf("Why %d words for a %d-word seed: a share holds as many secret bits as the seed (%d; the seed's words add a %d-bit checksum), "+
		"plus %d bytes that let this station check a share before it trusts it: the share set, the share's number, how many shares are needed, "+
		"the wallet's fingerprint and a checksum that catches any single wrong word. That is %d bytes, %d bits; at %d bits a word it takes %d words "+
		"(the last %d bits are zero).",
		words, seedWords, secret, seedWords*shamir.WordBits-secret,
		envelope-secret/8, envelope, envelope*8, shamir.WordBits, words, words*shamir.WordBits-envelope*8)
}

// ShareWordCounts says in plain words how long the shares of the seeds a
// ceremony makes are, for a share entry that does not know yet which one
// is coming: "22 words for a 12-word seed, 34 for a 24-word seed".
func ShareWordCounts() string {
	var parts []string
	for i, w := range ceremonySeedWords {
		if i == 0 {
			parts = append(parts, fmt.Sprintf("%d words for a %d-word seed", ShareWordCount(w), w))
			continue
		}
		parts = append(parts, fmt.Sprintf("%d for a %d-word seed", ShareWordCount(w), w))
	}
	return strings.Join(parts, ", ")
}

// ceremonySeedWords are the seed lengths a ceremony offers.
var ceremonySeedWords = [...]int{12, 24}

// SeedWords is how many words the seed of the share being entered has,
// which fixes how many words the share has (ShareWordCount): in a
// ceremony the share just shown, in a signing, health check or
// registration the shares already accepted (all shares of a set have one
// length); 0 while no share tells.
//
// It is a method rather than a field of Shares because kiosk.go, where
// Shares lives, is being changed by another piece of work; it belongs in
// the screen.
func (k *Kiosk) SeedWords() int {
	if k.cer != nil && k.cer.res != nil && k.cer.at < len(k.cer.res.Shares) {
		return k.cer.params.Words
	}
	if len(k.shares) > 0 {
		return seedWordsOf(len(k.shares[0].Y))
	}
	return 0
}

// copyDiffers compares typed share words with want, word by word, as the
// ceremony's copy check: the 1-based positions that differ (when the
// count differs, only the first: a missing or doubled word shifts all the
// words after it) and how many words were typed. Numbers before words
// ("7." or "7.word") are skipped, a word may be cut to its first four
// letters or more, and case does not matter, as shamir.Parse reads them.
// ok is false when typed holds no words (a QR text) to compare. It works
// on the bytes, which the caller wipes, never on strings.
func copyDiffers(typed []byte, want *shamir.Share) (differ []int, got int, ok bool) {
	if isQRText(typed) {
		return nil, 0, false
	}
	ws := want.Words()
	defer clear(ws)
	wantWords := bytes.Fields(ws)
	var typedWords [][]byte
	for _, f := range bytes.Fields(typed) {
		if i := bytes.IndexByte(f, '.'); i > 0 && allDigits(f[:i]) {
			f = f[i+1:]
		}
		if len(f) > 0 {
			typedWords = append(typedWords, f)
		}
	}
	if len(typedWords) == 0 {
		return nil, 0, false
	}
	for i := range max(len(typedWords), len(wantWords)) {
		if i < len(typedWords) && i < len(wantWords) && sameWord(typedWords[i], wantWords[i]) {
			continue
		}
		differ = append(differ, i+1)
		if len(typedWords) != len(wantWords) {
			break
		}
	}
	return differ, len(typedWords), true
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// sameWord says whether typed is word, or its start of four letters or
// more (BIP39 words are unique in their first four), in any case.
func sameWord(typed, word []byte) bool {
	return len(typed) <= len(word) && (len(typed) == len(word) || len(typed) >= 4) && bytes.EqualFold(typed, word[:len(typed)])
}

// isQRText says whether text is a share's QR text (or holds a QR line)
// rather than words.
func isQRText(text []byte) bool {
	prefix := []byte("AIRSIGN-SHARE:")
	for _, f := range bytes.Fields(text) {
		if len(f) >= len(prefix) && bytes.EqualFold(f[:len(prefix)], prefix) {
			return true
		}
	}
	return false
}

// maxNamedDiffers is how many differing words a problem names one by one;
// more mean another share, not a miscopied word.
const maxNamedDiffers = 4

// differsProblem says which words differ from the share shown, by position
// only: the words themselves are secret and this text may end up in a log.
func differsProblem(differ []int, got, want int) string {
	switch {
	case got != want:
		return fmt.Sprintf("you entered %d words, the share shown has %d: a word is missing or doubled at word %d or before it; look at the share again (Back) and correct the words from there",
			got, want, differ[0])
	case len(differ) > maxNamedDiffers:
		return fmt.Sprintf("%d of the %d words differ from the share shown, the first is word %d: is this the share just shown? Look at it again (Back)",
			len(differ), want, differ[0])
	case len(differ) == 1:
		return fmt.Sprintf("word %d differs from the share shown: correct it (marked) and press Enter, or look at the share again (Back)", differ[0])
	default:
		ns := make([]string, len(differ))
		for i, d := range differ {
			ns[i] = strconv.Itoa(d)
		}
		return fmt.Sprintf("words %s and %s differ from the share shown: correct them (marked) and press Enter, or look at the share again (Back)",
			strings.Join(ns[:len(ns)-1], ", "), ns[len(ns)-1])
	}
}
