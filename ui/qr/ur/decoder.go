package ur

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
)

// ErrOtherMessage is wrapped by the error Add returns for a part that belongs
// to a different message than the one being assembled (a stale code left on
// a screen, a second device in view). The decoder keeps its progress.
var ErrOtherMessage = errors.New("part belongs to another message")

// ErrIncomplete is wrapped by the error Result returns before the message is
// complete.
var ErrIncomplete = errors.New("message incomplete")

// maxPartChars bounds the length of any string Add looks at: a single-part
// UR of MaxMessageLen bytes plus the scheme, type and sequence.
const maxPartChars = 2*(MaxMessageLen+4) + MaxTypeLen + 32

// Decoder assembles a UR from scanned parts, fed one at a time in any case
// and any order, with parts lost or repeated. The first valid part fixes the
// message (its type, length, fragment count and checksum); parts of other
// messages are refused with ErrOtherMessage and change nothing.
//
// Memory is bounded by the first part's claims, which are checked against
// MaxSeqLen, MaxMessageLen and MaxFragmentLen: the decoder stores at most
// one fragment and one reduced mixed part per fragment of the message.
type Decoder struct {
	started bool
	done    bool
	typ     string

	// Multipart state, fixed by the first part.
	multi      bool
	seqLen     int
	messageLen int
	fragLen    int
	checksum   uint32
	degrees    *sampler
	solver     *solver

	result []byte
}

// NewDecoder returns an empty Decoder.
func NewDecoder() *Decoder { return &Decoder{} }

// Add takes one scanned string. It reports whether the message is complete;
// once it is, Result returns it. An error describes what was wrong with this
// part and leaves the decoder as it was, except when the parts assemble into
// a message that fails its checksum: then a part was forged or corrupted
// without being detected, the decoder starts over, and the error says so.
func (d *Decoder) Add(s string) (done bool, err error) {
	if len(s) > maxPartChars {
		return d.done, fmt.Errorf("scanned text of %d characters is longer than any UR this decoder accepts (%d): not a UR for airsign", len(s), maxPartChars)
	}
	p, err := parse(s)
	if err != nil {
		return d.done, err
	}
	if p.seq == "" {
		return d.addSingle(p)
	}
	return d.addPart(p)
}

func (d *Decoder) addSingle(p parsed) (bool, error) {
	if len(p.body)/2-4 > MaxMessageLen {
		return d.done, fmt.Errorf("ur:%s holds %d bytes, more than the %d this decoder accepts", p.typ, len(p.body)/2-4, MaxMessageLen)
	}
	msg, err := decodeBytewords(styleMinimal, p.body)
	if err != nil {
		return d.done, fmt.Errorf("ur:%s is damaged (%v): scan it again", p.typ, err)
	}
	if err := checkCBOR(msg); err != nil {
		return d.done, fmt.Errorf("ur:%s does not hold one well-formed CBOR item (%v): the sender wrote it wrong", p.typ, err)
	}
	switch {
	case !d.started:
		d.started, d.done, d.typ, d.result = true, true, p.typ, msg
		return true, nil
	case d.multi && !d.done:
		// The sender may show the whole message as one code too.
		if p.typ == d.typ && len(msg) == d.messageLen && crc32.ChecksumIEEE(msg) == d.checksum {
			d.done, d.result = true, msg
			return true, nil
		}
		return false, fmt.Errorf("single-part ur:%s is not the %d-part ur:%s being assembled: %w; keep scanning the right code", p.typ, d.seqLen, d.typ, ErrOtherMessage)
	default:
		if p.typ == d.typ && bytes.Equal(msg, d.result) {
			return true, nil
		}
		return true, fmt.Errorf("ur:%s is a different message from the ur:%s already received: %w", p.typ, d.typ, ErrOtherMessage)
	}
}

func (d *Decoder) addPart(u parsed) (bool, error) {
	label := fmt.Sprintf("part %d-%d", u.seqNum, u.seqLen)
	// Check the claims visible in the text before decoding anything.
	switch {
	case u.seqNum == 0:
		return d.done, fmt.Errorf("%s of ur:%s has sequence number 0, but parts count from 1: the sender is broken", label, u.typ)
	case u.seqNum > 1<<32-1:
		return d.done, fmt.Errorf("%s of ur:%s has a sequence number beyond 32 bits: the sender is broken", label, u.typ)
	case u.seqLen == 0:
		return d.done, fmt.Errorf("%s of ur:%s claims a message of 0 parts: the sender is broken", label, u.typ)
	case u.seqLen > MaxSeqLen:
		return d.done, fmt.Errorf("%s of ur:%s claims %d parts, more than the %d this decoder accepts", label, u.typ, u.seqLen, MaxSeqLen)
	case len(u.body)/2 > MaxFragmentLen+64:
		return d.done, fmt.Errorf("%s of ur:%s carries %d bytes, more than a part of at most %d-byte fragments can", label, u.typ, len(u.body)/2, MaxFragmentLen)
	}
	raw, err := decodeBytewords(styleMinimal, u.body)
	if err != nil {
		return d.done, fmt.Errorf("%s of ur:%s is damaged (%v): keep scanning", label, u.typ, err)
	}
	p, err := parsePart(raw)
	if err != nil {
		return d.done, fmt.Errorf("%s of ur:%s is not a fountain part (%v): the sender is broken", label, u.typ, err)
	}
	fragLen := len(p.data)
	switch {
	case uint64(p.seqNum) != u.seqNum || uint64(p.seqLen) != u.seqLen:
		return d.done, fmt.Errorf("%s of ur:%s says %d-%d inside: the sender is broken", label, u.typ, p.seqNum, p.seqLen)
	case p.messageLen == 0:
		return d.done, fmt.Errorf("%s of ur:%s claims an empty message: the sender is broken", label, u.typ)
	case p.messageLen > MaxMessageLen:
		return d.done, fmt.Errorf("%s of ur:%s claims a %d-byte message, more than the %d this decoder accepts", label, u.typ, p.messageLen, MaxMessageLen)
	case fragLen == 0 || fragLen > MaxFragmentLen:
		return d.done, fmt.Errorf("%s of ur:%s carries a %d-byte fragment; fragments are 1 to %d bytes", label, u.typ, fragLen, MaxFragmentLen)
	case (p.messageLen+fragLen-1)/fragLen != p.seqLen:
		return d.done, fmt.Errorf("%s of ur:%s: a %d-byte message in %d-byte fragments takes %d parts, not %d: the sender is broken", label, u.typ, p.messageLen, fragLen, (p.messageLen+fragLen-1)/fragLen, p.seqLen)
	}
	if !d.started {
		d.started, d.multi, d.typ = true, true, u.typ
		d.seqLen, d.messageLen, d.fragLen, d.checksum = p.seqLen, p.messageLen, fragLen, p.checksum
		d.degrees = degreeSampler(p.seqLen)
		d.solver = newSolver(p.seqLen, fragLen)
	} else if err := d.sameMessage(label, u.typ, &p); err != nil {
		return d.done, err
	}
	if d.done {
		return true, nil
	}
	d.solver.add(chooseFragments(p.seqNum, p.seqLen, p.checksum, d.degrees), p.data)
	if !d.solver.complete() {
		return false, nil
	}
	msg := d.solver.message(d.messageLen)
	if sum := crc32.ChecksumIEEE(msg); sum != d.checksum {
		typ := d.typ
		*d = Decoder{}
		return false, fmt.Errorf("the parts of ur:%s assemble into a message with checksum %08x, not the %08x they claim: a part was corrupted or forged; scan the whole sequence again", typ, sum, p.checksum)
	}
	if err := checkCBOR(msg); err != nil {
		typ := d.typ
		*d = Decoder{}
		return false, fmt.Errorf("the assembled ur:%s is not one well-formed CBOR item (%v): the sender wrote it wrong", typ, err)
	}
	d.done, d.result, d.solver = true, msg, nil
	return true, nil
}

// sameMessage checks that a part belongs to the message being assembled.
func (d *Decoder) sameMessage(label, typ string, p *part) error {
	if !d.multi {
		return fmt.Errorf("%s of ur:%s arrived after the single-part ur:%s was complete: %w", label, typ, d.typ, ErrOtherMessage)
	}
	var what string
	switch {
	case p.checksum != d.checksum:
		what = fmt.Sprintf("checksum %08x, this one %08x", p.checksum, d.checksum)
	case typ != d.typ:
		what = fmt.Sprintf("type ur:%s, this one ur:%s", typ, d.typ)
	case p.seqLen != d.seqLen:
		what = fmt.Sprintf("%d parts, this one %d", p.seqLen, d.seqLen)
	case p.messageLen != d.messageLen:
		what = fmt.Sprintf("%d bytes, this one %d", p.messageLen, d.messageLen)
	case len(p.data) != d.fragLen:
		what = fmt.Sprintf("%d-byte fragments, this one %d", len(p.data), d.fragLen)
	default:
		return nil
	}
	return fmt.Errorf("%s belongs to another message (%s): %w; keep scanning the code you started with, or start over to switch", label, what, ErrOtherMessage)
}

// Progress estimates how much of the message has arrived, from 0 to 1: the
// share of the fragments that the parts received so far pin down. It is 1
// exactly when Add has reported the message complete.
func (d *Decoder) Progress() float64 {
	switch {
	case d.done:
		return 1
	case !d.started:
		return 0
	}
	return float64(d.solver.rank()) / float64(d.seqLen)
}

// Result returns the assembled UR once Add has reported it complete; its
// checksum has been verified and its CBOR is one well-formed item.
func (d *Decoder) Result() (UR, error) {
	if !d.done {
		return UR{}, fmt.Errorf("%w: %.0f%% received, keep scanning", ErrIncomplete, 100*d.Progress())
	}
	return UR{Type: d.typ, CBOR: append([]byte(nil), d.result...)}, nil
}

// Decode decodes a single-part UR string (any case).
func Decode(s string) (UR, error) {
	p, err := parse(s)
	if err != nil {
		return UR{}, err
	}
	if p.seq != "" {
		return UR{}, fmt.Errorf("ur:%s/%s is one part of an animated sequence: use a Decoder", p.typ, p.seq)
	}
	d := NewDecoder()
	if _, err := d.Add(s); err != nil {
		return UR{}, err
	}
	return d.Result()
}
