package shamir

import (
	"errors"
	"fmt"
	"strings"
)

// Errors never contain share words, share bytes or the secret: only the
// public header (set id, index, threshold, total, wallet fingerprint) and
// positions.

// Sentinel errors. Errors returned by this package wrap them or are one of
// the typed errors below; test with errors.Is and errors.As.
var (
	// ErrNoShare means the input holds neither BIP39 words nor an
	// AIRSIGN-SHARE: line.
	ErrNoShare = errors.New("no airsign share found: expected BIP39 words or a line starting with " + qrPrefix)

	// ErrNotUTF8 means the text given to Parse is not valid UTF-8.
	ErrNotUTF8 = errors.New("the share text is not valid UTF-8: it is damaged or not an airsign share")

	// ErrInconsistent means more than threshold shares were given and they
	// do not lie on one polynomial, and no subset of them recombines to
	// the committed wallet fingerprint, so the odd ones cannot be named.
	ErrInconsistent = errors.New("the shares do not fit together (they do not lie on one polynomial) and no subset of them recombines to the wallet fingerprint: at least one is wrong")

	// ErrZeroX means a share has x coordinate 0. Its y value would be the
	// secret itself, so no genuine share has it.
	ErrZeroX = errors.New("its x coordinate is 0, which no genuine share has")

	// ErrThresholdRange means a share's threshold is below 2.
	ErrThresholdRange = errors.New("its threshold is below 2")

	// ErrThresholdAboveTotal means a share's threshold exceeds its total.
	ErrThresholdAboveTotal = errors.New("its threshold is above its total")

	// ErrIndexAboveTotal means a share's index exceeds its total.
	ErrIndexAboveTotal = errors.New("its index is above its total")

	// ErrIndexRange means a hand-made Share has an index below 1.
	ErrIndexRange = errors.New("its index is below 1")

	// ErrLengthCode means a share's entropy length code is not 0..4, or
	// disagrees with the length of its y value.
	ErrLengthCode = errors.New("its secret length field is wrong")

	// ErrNilShare means Combine was given a nil *Share.
	ErrNilShare = errors.New("nil share")

	// ErrNoFingerprintFunc means Combine was given a nil FingerprintFunc.
	ErrNoFingerprintFunc = errors.New("no fingerprint function given: the shares cannot be verified")

	// ErrSplitParams means Split was asked for an impossible threshold or
	// total.
	ErrSplitParams = errors.New("airsign needs 2 <= threshold <= total <= 16")

	// ErrEntropyLength means Split was given entropy of a length BIP39
	// does not allow.
	ErrEntropyLength = errors.New("entropy must be 16, 20, 24, 28 or 32 bytes")
)

// shareName is how errors name a share: "share 2 of set 7f3a".
func shareName(setID uint16, index int) string {
	return fmt.Sprintf("share %d of set %04x", index, setID)
}

// InvalidShareError reports a share whose checksum is right but whose header
// is impossible: x = 0, threshold above total, and so on. Such a share was
// made wrongly or on purpose; it never comes from Split.
type InvalidShareError struct {
	SetID uint16
	Index int
	Total int
	Err   error // ErrZeroX, ErrThresholdRange, ErrThresholdAboveTotal, ErrIndexAboveTotal, ErrIndexRange, ErrLengthCode or ErrSplitParams
}

// Error implements error.
func (e *InvalidShareError) Error() string {
	return fmt.Sprintf("%s (of %d) is not a valid share: %v", shareName(e.SetID, e.Index), e.Total, e.Err)
}

// Unwrap returns the sentinel naming the problem.
func (e *InvalidShareError) Unwrap() error { return e.Err }

// VersionError reports a share in a format version this package does not read.
type VersionError struct {
	Version byte
}

// Error implements error.
func (e *VersionError) Error() string {
	return fmt.Sprintf("share has format version %d; this airsign reads version %d: use the airsign release that made it", e.Version, version)
}

// LengthError reports a bytes or QR form share of a length no share has.
type LengthError struct {
	Len int
}

// Error implements error.
func (e *LengthError) Error() string {
	return fmt.Sprintf("share is %d bytes; airsign shares are 30, 34, 38, 42 or 46 bytes: the QR text is incomplete or not a share", e.Len)
}

// WordCountError reports a words form with a count no share has.
type WordCountError struct {
	Count int
}

// Error implements error.
func (e *WordCountError) Error() string {
	return fmt.Sprintf("share has %d words; airsign shares have 22, 25, 28, 31 or 34", e.Count)
}

// WordError reports a word that is not in the BIP39 English list. Position
// counts from 1.
type WordError struct {
	Position int
}

// Error implements error.
func (e *WordError) Error() string {
	return fmt.Sprintf("word %d is not in the BIP39 English list", e.Position)
}

// NumberingError reports a written number that is not its word's position
// (a word was skipped, doubled or moved), or, with NoWord, a number not
// followed by a word.
type NumberingError struct {
	Position int  // where the word is, counting from 1
	Number   int  // the number written before it; maxNumber or more if huge
	NoWord   bool // the number is followed by another number or nothing
}

// Error implements error.
func (e *NumberingError) Error() string {
	if e.NoWord {
		return fmt.Sprintf("number %d. is not followed by a word", e.Number)
	}
	if e.Number >= maxNumber {
		return fmt.Sprintf("word %d has a number too large: a word is missing, doubled or out of order", e.Position)
	}
	return fmt.Sprintf("word %d is numbered %d: a word is missing, doubled or out of order", e.Position, e.Number)
}

// HeaderError reports a "set" or "wallet fingerprint" header line of a
// share file that is malformed (Field empty) or disagrees with the share
// the file's words and QR line hold. Line counts from 1.
type HeaderError struct {
	Line      int
	Field     string // "set", "share number", "total", "threshold", "wallet fingerprint"
	Got, Want string // the header's value, the share's value
}

// Error implements error.
func (e *HeaderError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("line %d of the file starts like a header line but is not \"set XXXX  share I of N  (any K recombine)\" or \"wallet fingerprint XXXXXXXX\": the file was edited", e.Line)
	}
	return fmt.Sprintf("line %d of the file says %s %s, but the share in it has %s %s: the file was edited or mixes two shares", e.Line, e.Field, e.Got, e.Field, e.Want)
}

// ChecksumError reports a share whose CRC-32 (or, in the words form, whose
// padding bits) do not match. Word is the 1-based position of the one word
// whose replacement would make the share valid, or 0 when no single word
// can; then SetID, Index and Total are those of the repaired share. Words
// tells whether the share was given as words.
type ChecksumError struct {
	Word  int
	SetID uint16
	Index int
	Total int
	Words bool
}

// Error implements error.
func (e *ChecksumError) Error() string {
	switch {
	case e.Word > 0:
		return fmt.Sprintf("%s has a bad checksum: word %d looks wrong", shareName(e.SetID, e.Index), e.Word)
	case e.Words:
		return "share has a bad checksum: check every word and their order"
	default:
		return "share has a bad checksum: the QR text or bytes are damaged"
	}
}

// DisagreeError reports a file whose words and QR line (or two QR lines) are
// not the same share.
type DisagreeError struct {
	First, Second string // "words", "QR line"
}

// Error implements error.
func (e *DisagreeError) Error() string {
	return fmt.Sprintf("the %s and the %s in this file are different shares: check which one the custodian holds", e.First, e.Second)
}

// CountError reports fewer shares than the set's threshold.
type CountError struct {
	Have, Need int
}

// Error implements error.
func (e *CountError) Error() string {
	if e.Have == 0 {
		return "no shares given"
	}
	if e.Have == 1 {
		return fmt.Sprintf("1 share given, %d needed", e.Need)
	}
	return fmt.Sprintf("%d shares given, %d needed", e.Have, e.Need)
}

// MixedSetError reports a share from another set than the others.
type MixedSetError struct {
	SetID uint16 // the odd share's set
	Index int    // the odd share's index
	Want  uint16 // the set of the other shares
}

// Error implements error.
func (e *MixedSetError) Error() string {
	return fmt.Sprintf("share from set %04x (share %d) mixed with set %04x", e.SetID, e.Index, e.Want)
}

// MismatchError reports a share of the right set whose header disagrees
// with the other shares on the threshold, total, wallet fingerprint or
// secret length. Field names it; Got and Want are printable values.
type MismatchError struct {
	SetID     uint16
	Index     int
	Field     string // "threshold", "total", "wallet fingerprint", "secret length"
	Got, Want string
}

// Error implements error.
func (e *MismatchError) Error() string {
	return fmt.Sprintf("%s says %s %s, the other shares %s: one of them is not from this set", shareName(e.SetID, e.Index), e.Field, e.Got, e.Want)
}

// DuplicateError reports the same share index given twice.
type DuplicateError struct {
	SetID uint16
	Index int
}

// Error implements error.
func (e *DuplicateError) Error() string {
	return fmt.Sprintf("%s given twice", shareName(e.SetID, e.Index))
}

// DuplicateXError reports two shares with different indexes but the same x
// coordinate. Split never makes such shares.
type DuplicateXError struct {
	SetID        uint16
	Index, Other int
}

// Error implements error.
func (e *DuplicateXError) Error() string {
	return fmt.Sprintf("shares %d and %d of set %04x have the same x coordinate: one of them is not genuine", e.Other, e.Index, e.SetID)
}

// FingerprintError reports shares that recombine to a secret whose wallet
// fingerprint is not the one the shares commit to.
type FingerprintError struct {
	SetID     uint16
	Got, Want [4]byte
}

// Error implements error.
func (e *FingerprintError) Error() string {
	return fmt.Sprintf("shares combine to fingerprint %x, expected %x: at least one share is wrong", e.Got, e.Want)
}

// InconsistentShareError reports shares that do not fit the others: without
// them, the remaining shares recombine to the committed wallet fingerprint.
type InconsistentShareError struct {
	SetID   uint16
	Indexes []int // the shares that do not fit
	Good    []int // shares that recombine correctly without them
}

// Error implements error.
func (e *InconsistentShareError) Error() string {
	noun, verb, pron := "share", "does", "it"
	if len(e.Indexes) > 1 {
		noun, verb, pron = "shares", "do", "them"
	}
	return fmt.Sprintf("%s %s of set %04x %s not fit the others (shares %s recombine correctly without %s): set %s aside",
		noun, joinInts(e.Indexes), e.SetID, verb, joinInts(e.Good), pron, pron)
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
