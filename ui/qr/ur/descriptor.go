package ur

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// UR types of the version 3 output descriptor (BCR-2023-010) and the
// version 2 account (BCR-2023-019), which Sparrow 2.x writes and reads.
const (
	TypeOutputDescriptor  = "output-descriptor"
	TypeAccountDescriptor = "account-descriptor"
)

// Limits on a version 3 descriptor read from a scan. A descriptor airsign
// registers has at most 15 keys and a few hundred characters of text once its
// keys are placeholders; these bounds leave room for what other wallets write
// and still refuse what no wallet does.
const (
	maxSourceLen       = 4096
	maxDescriptorKeys  = 20
	maxDescriptorLabel = 1024
)

// OutputDescriptor is a version 3 output descriptor (ur:output-descriptor,
// BCR-2023-010): the descriptor's text with its keys replaced by the
// placeholders @0, @1, ..., and the keys themselves as CBOR.
type OutputDescriptor struct {
	Source     string
	Keys       []HDKey // Keys[i] stands for @i
	Name, Note string
}

// UR returns d as a ur:output-descriptor, its keys with the version 2 tags
// (40303, 40304, 40305, 40306) the format requires.
func (d OutputDescriptor) UR() (UR, error) {
	w := cborWriter{v2: true}
	if err := writeOutputDescriptor(&w, d); err != nil {
		return UR{}, err
	}
	return UR{Type: TypeOutputDescriptor, CBOR: w.b}, nil
}

// DecodeOutputDescriptor reads a ur:output-descriptor.
func DecodeOutputDescriptor(u UR) (OutputDescriptor, error) {
	if u.Type != TypeOutputDescriptor {
		return OutputDescriptor{}, fmt.Errorf("ur:%s is not a version 3 output descriptor: expected ur:output-descriptor", u.Type)
	}
	r := cborReader{b: u.CBOR}
	d, err := readOutputDescriptor(&r)
	if err == nil {
		err = r.done()
	}
	if err != nil {
		return OutputDescriptor{}, fmt.Errorf("ur:%s: %v", u.Type, err)
	}
	return d, nil
}

// AccountDescriptor is one account of a wallet as version 3 output
// descriptors sharing a master fingerprint (ur:account-descriptor,
// BCR-2023-019).
type AccountDescriptor struct {
	MasterFingerprint uint32
	Outputs           []OutputDescriptor
}

// UR returns a as a ur:account-descriptor: an untagged map, as a UR's
// top-level item is, holding tagged (40308) output descriptors.
func (a AccountDescriptor) UR() (UR, error) {
	if len(a.Outputs) == 0 {
		return UR{}, errors.New("ur: an account descriptor needs at least one output descriptor")
	}
	w := cborWriter{v2: true}
	w.mapHead(2)
	w.uint(1)
	w.uint(uint64(a.MasterFingerprint))
	w.uint(2)
	w.array(len(a.Outputs))
	for i, o := range a.Outputs {
		if err := writeOutputDescriptor(&w, o); err != nil {
			return UR{}, fmt.Errorf("output %d: %w", i+1, err)
		}
	}
	return UR{Type: TypeAccountDescriptor, CBOR: w.b}, nil
}

// DecodeAccountDescriptor reads a ur:account-descriptor.
func DecodeAccountDescriptor(u UR) (AccountDescriptor, error) {
	if u.Type != TypeAccountDescriptor {
		return AccountDescriptor{}, fmt.Errorf("ur:%s is not an account descriptor: expected ur:account-descriptor", u.Type)
	}
	r := cborReader{b: u.CBOR}
	a, err := readAccountDescriptor(&r)
	if err == nil {
		err = r.done()
	}
	if err != nil {
		return AccountDescriptor{}, fmt.Errorf("ur:%s: %v", u.Type, err)
	}
	return a, nil
}

// Placeholder returns the text standing for key i in a Source: "@i".
func Placeholder(i int) string { return "@" + strconv.Itoa(i) }

// checkPlaceholders makes sure every @i in source names one of n keys and
// every key is named, so that no key is silently dropped or invented.
func checkPlaceholders(source string, n int) error {
	used := make([]bool, n)
	for rest := source; ; {
		at := strings.IndexByte(rest, '@')
		if at < 0 {
			break
		}
		rest = rest[at+1:]
		end := 0
		for end < len(rest) && end < 3 && rest[end] >= '0' && rest[end] <= '9' {
			end++
		}
		i, err := strconv.Atoi(rest[:end])
		if err != nil || i >= n {
			return fmt.Errorf("the descriptor text names @%s, but only %d key(s) come with it", rest[:end], n)
		}
		used[i] = true
		rest = rest[end:]
	}
	for i, u := range used {
		if !u {
			return fmt.Errorf("key %d comes with the descriptor, but its text has no %s", i+1, Placeholder(i))
		}
	}
	return nil
}

func checkLabel(what, s string) error {
	if len(s) > maxDescriptorLabel {
		return fmt.Errorf("the %s is %d bytes, more than %d", what, len(s), maxDescriptorLabel)
	}
	return nil
}

func writeOutputDescriptor(w *cborWriter, d OutputDescriptor) error {
	switch {
	case d.Source == "":
		return errors.New("ur: an output descriptor needs its text")
	case len(d.Source) > maxSourceLen:
		return fmt.Errorf("ur: descriptor text of %d bytes is longer than %d", len(d.Source), maxSourceLen)
	case len(d.Keys) > maxDescriptorKeys:
		return fmt.Errorf("ur: %d keys are more than the %d an output descriptor may carry", len(d.Keys), maxDescriptorKeys)
	}
	if err := checkPlaceholders(d.Source, len(d.Keys)); err != nil {
		return fmt.Errorf("ur: %w", err)
	}
	if err := errors.Join(checkLabel("name", d.Name), checkLabel("note", d.Note)); err != nil {
		return fmt.Errorf("ur: %w", err)
	}
	w.regTag(tagOutput)
	n := 1
	for _, present := range []bool{len(d.Keys) > 0, d.Name != "", d.Note != ""} {
		if present {
			n++
		}
	}
	w.mapHead(n)
	w.uint(1)
	w.text(d.Source)
	if len(d.Keys) > 0 {
		w.uint(2)
		w.array(len(d.Keys))
		for i, k := range d.Keys {
			if err := writeKey(w, k); err != nil {
				return fmt.Errorf("key %d: %w", i+1, err)
			}
		}
	}
	if d.Name != "" {
		w.uint(3)
		w.text(d.Name)
	}
	if d.Note != "" {
		w.uint(4)
		w.text(d.Note)
	}
	return nil
}

func readOutputDescriptor(r *cborReader) (OutputDescriptor, error) {
	if _, err := r.optionalTag(tagV2 + tagOutput); err != nil {
		return OutputDescriptor{}, err
	}
	return readOutputDescriptorBody(r)
}

func readOutputDescriptorBody(r *cborReader) (OutputDescriptor, error) {
	var d OutputDescriptor
	n, err := r.mapHead()
	if err != nil {
		return d, fmt.Errorf("output descriptor: %w", err)
	}
	var seen [5]bool
	for range n {
		key, err := r.uint()
		if err != nil {
			return d, fmt.Errorf("output descriptor field: %w", err)
		}
		if key < uint64(len(seen)) {
			if seen[key] {
				return d, fmt.Errorf("output descriptor field %d appears twice", key)
			}
			seen[key] = true
		}
		switch key {
		case 1:
			if d.Source, err = r.text(); err == nil && len(d.Source) > maxSourceLen {
				err = fmt.Errorf("%d bytes are more than %d", len(d.Source), maxSourceLen)
			}
		case 2:
			d.Keys, err = readDescriptorKeys(r)
		case 3:
			if d.Name, err = r.text(); err == nil {
				err = checkLabel("name", d.Name)
			}
		case 4:
			if d.Note, err = r.text(); err == nil {
				err = checkLabel("note", d.Note)
			}
		default:
			err = r.skip(1)
		}
		if err != nil {
			return d, fmt.Errorf("output descriptor field %d: %w", key, err)
		}
	}
	if d.Source == "" {
		return d, errors.New("the output descriptor has no text (field 1)")
	}
	if err := checkPlaceholders(d.Source, len(d.Keys)); err != nil {
		return d, err
	}
	return d, nil
}

func readDescriptorKeys(r *cborReader) ([]HDKey, error) {
	m, err := r.array()
	if err != nil {
		return nil, err
	}
	if m == 0 || m > maxDescriptorKeys {
		return nil, fmt.Errorf("%d keys: an output descriptor carries 1 to %d", m, maxDescriptorKeys)
	}
	keys := make([]HDKey, 0, m)
	for i := range m {
		if _, t, err := (&cborReader{b: r.b, off: r.off}).head(); err == nil && (t == tagAddress || t == tagV2+tagAddress) {
			return nil, fmt.Errorf("key %d is an address (addr()), not a key: airsign registers wallets of extended public keys", i+1)
		}
		k, err := readKey(r)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i+1, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func readAccountDescriptor(r *cborReader) (AccountDescriptor, error) {
	var a AccountDescriptor
	if _, err := r.optionalTag(tagV2 + tagAccount); err != nil {
		return a, err
	}
	fp, err := readAccountMap(r, tagV2+tagOutput, TypeOutputDescriptor, func() error {
		o, err := readOutputDescriptorBody(r)
		a.Outputs = append(a.Outputs, o)
		return err
	})
	a.MasterFingerprint = fp
	return a, err
}
