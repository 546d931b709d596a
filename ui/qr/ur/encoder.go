package ur

import (
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
)

// Encoder writes a message as an endless sequence of multipart UR strings
// (BCR-2020-005): parts 1 through SeqLen carry the message's fragments in
// order, and every later part XORs a pseudo-random subset of them, so a
// receiver completes from any sufficiently large set of parts. Show fresh
// parts, one per QR frame, for as long as the receiver reads: one that
// missed frames then never waits for the same parts to come round.
type Encoder struct {
	typ      string
	message  []byte
	checksum uint32
	frags    [][]byte
	degrees  *sampler
	seqNum   uint32
}

// NewEncoder prepares the parts of u with fragments of at most
// maxFragmentLen bytes (one of the FragmentLen presets, say) and, where the
// message allows, at least minFragmentLen (MinFragmentLen is the reference
// value).
func NewEncoder(u UR, maxFragmentLen, minFragmentLen int) (*Encoder, error) {
	if err := checkType(u.Type); err != nil {
		return nil, fmt.Errorf("ur: cannot encode: %v", err)
	}
	if len(u.CBOR) == 0 {
		return nil, fmt.Errorf("ur: cannot encode ur:%s: the message is empty", u.Type)
	}
	if len(u.CBOR) > MaxMessageLen {
		return nil, fmt.Errorf("ur: cannot encode ur:%s: %d bytes is more than the %d a receiver accepts", u.Type, len(u.CBOR), MaxMessageLen)
	}
	if minFragmentLen < 1 || maxFragmentLen < minFragmentLen || maxFragmentLen > MaxFragmentLen {
		return nil, fmt.Errorf("ur: fragment lengths %d..%d are not usable: need 1 <= min <= max <= %d", minFragmentLen, maxFragmentLen, MaxFragmentLen)
	}
	fragLen := nominalFragmentLen(len(u.CBOR), minFragmentLen, maxFragmentLen)
	frags := partition(u.CBOR, fragLen)
	if len(frags) > MaxSeqLen {
		return nil, fmt.Errorf("ur: %d-byte ur:%s needs %d parts of %d bytes, more than the %d a receiver accepts: use longer fragments", len(u.CBOR), u.Type, len(frags), fragLen, MaxSeqLen)
	}
	msg := append([]byte(nil), u.CBOR...)
	return &Encoder{
		typ:      u.Type,
		message:  msg,
		checksum: crc32.ChecksumIEEE(msg),
		frags:    frags,
		degrees:  degreeSampler(len(frags)),
	}, nil
}

// SeqLen is the number of fragments: the parts that together carry the
// whole message without any mixing.
func (e *Encoder) SeqLen() int { return len(e.frags) }

// NextPart returns the next part in upper case. A message that fits in one
// fragment is always returned as a single-part UR ("UR:TYPE/DATA"), as the
// reference encoder does; otherwise parts read "UR:TYPE/SEQ-LEN/DATA".
func (e *Encoder) NextPart() string {
	e.seqNum++
	if e.seqNum == 0 { // wrapped after 2^32-1 parts; 0 is not a valid number
		e.seqNum = 1
	}
	return e.Part(e.seqNum)
}

// Part returns part seqNum (1 and up) as NextPart would, without moving
// the sequence: parts are a pure function of the message and their number,
// so a web page may fetch them in any order and a screen may show fresh
// ones forever. Parts past SeqLen mix fragments; BCR-2020-005 gives every
// number up to 2^32-1 a meaning.
func (e *Encoder) Part(seqNum uint32) string {
	if seqNum == 0 {
		seqNum = 1
	}
	if len(e.frags) == 1 {
		return Encode(UR{Type: e.typ, CBOR: e.message})
	}
	p := e.part(seqNum)
	var sb strings.Builder
	sb.WriteString("ur:")
	sb.WriteString(e.typ)
	sb.WriteByte('/')
	sb.WriteString(strconv.FormatUint(uint64(p.seqNum), 10))
	sb.WriteByte('-')
	sb.WriteString(strconv.Itoa(p.seqLen))
	sb.WriteByte('/')
	sb.WriteString(encodeBytewords(styleMinimal, p.cbor()))
	return strings.ToUpper(sb.String())
}

// part builds fountain part seqNum.
func (e *Encoder) part(seqNum uint32) part {
	idx := chooseFragments(seqNum, len(e.frags), e.checksum, e.degrees)
	data := make([]byte, len(e.frags[0]))
	for _, i := range idx {
		xorInto(data, e.frags[i])
	}
	return part{seqNum: seqNum, seqLen: len(e.frags), messageLen: len(e.message), checksum: e.checksum, data: data}
}
