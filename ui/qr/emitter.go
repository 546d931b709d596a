package qr

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"

	"airsign/ui/qr/bbqr"
	"airsign/ui/qr/ur"
)

// DefaultVersion is the densest QR version (error correction L) airsign
// shows unless told otherwise: 77 modules a side, which a phone-class
// camera reads at arm's length from a screen. docs/BENCHMARKS.md has the
// transfer times it gives.
const DefaultVersion = 15

// AirsignVersion is the densest QR version (error correction L) between
// airsign's own ends, where our decoder reads the frames: BBQr-Z from the
// coordinator's page to the kiosk's camera and back. At version 17 a
// 10-input withdrawal is a loop of 5 parts instead of 7 at version 15,
// which meets the p95 targets at 10% and 30% frame loss that version 15
// misses, and the camera read takes version 17 frames of a 720p frame as
// it takes version 15's (docs/BENCHMARKS.md has both measurements).
const AirsignVersion = 17

// EndlessPeriod is how many frames an endless UR stream shows before it
// starts over. Ten thousand frames are half an hour at 5 frames a second;
// keeping sequence numbers below it keeps every part within the QR version
// its fragments were sized for.
const EndlessPeriod = 10_000

// urLoopFactor sizes a UR loop that must repeat (a GIF, saved frames, a
// page that cannot stream): SeqLen times this many frames, all of them
// distinct fountain parts, but at most urLoopCap more than 2 SeqLens. A
// receiver needs about SeqLen/(1-loss) frames plus a few; at 30% loss the
// p95 is under twice SeqLen, so such a loop almost never wraps before the
// receiver is done (BenchmarkShownTransfer measures it). The cap keeps a
// large PSBT's GIF within what a reader decodes (MaxGIFPixels): 200 inputs
// at version 15 make 446 frames rather than 624.
const (
	urLoopFactor = 3
	urLoopCap    = 30
)

// Emitter is the sequence of QR frames a transfer shows, one call to Next
// a frame. A UR transfer is endless and rateless: after the SeqLen pure
// fragments come fountain parts SeqLen+1, SeqLen+2, … each mixing
// different fragments, so a receiver that missed frames completes from
// the next ones rather than waiting for the same parts to come round. The
// other formats are fixed series shown in a loop.
//
// The kiosk's screen, the coordinator's web page and the GIF writer all
// take their frames from an Emitter, so what BenchmarkShownTransfer
// measures is what they show.
type Emitter struct {
	format Format
	series []string    // a fixed series, looped
	ur     *ur.Encoder // an endless UR stream
	loop   int         // frames of a finite loop: Loop
	shown  int         // frames Next has returned
}

// NewEmitter prepares the frames of a serialized PSBT.
func NewEmitter(psbt []byte, opt EncodeOptions) (*Emitter, error) {
	if len(psbt) == 0 {
		return nil, errors.New("no PSBT to encode")
	}
	e := &Emitter{format: opt.Format}
	var err error
	switch opt.Format {
	case FormatUR:
		u := ur.PSBT(psbt)
		switch opt.URType {
		case "", ur.TypePSBT:
		case "psbt":
			u.Type = "psbt"
		default:
			return nil, fmt.Errorf("UR type %q is not a PSBT type: use crypto-psbt or psbt", opt.URType)
		}
		max := opt.MaxFragment
		if max == 0 {
			max = URFragmentFor(u.Type, len(u.CBOR), DefaultVersion)
		}
		if e.ur, err = ur.NewEncoder(u, max, ur.MinFragmentLen); err != nil {
			return nil, err
		}
		n := e.ur.SeqLen()
		e.loop = n
		if n > 1 {
			extra := opt.URExtraParts
			if extra == 0 {
				extra = min((urLoopFactor-1)*n, n+urLoopCap)
			}
			e.loop = min(n+extra, EndlessPeriod)
			// An odd loop: a camera that catches every other frame of
			// a looped showing (half the display's rate) sees the
			// other half on the next round; with an even loop it
			// would see the same half, fragments included, forever.
			if e.loop%2 == 0 {
				if e.loop < EndlessPeriod {
					e.loop++
				} else {
					e.loop--
				}
			}
		}
		return e, nil
	case FormatBBQr:
		v := opt.BBQrMaxVersion
		if v == 0 {
			v = AirsignVersion
		}
		e.series, err = bbqr.Split(psbt, bbqr.PSBT, bbqr.Options{MinVersion: min(5, v), MaxVersion: v})
	case FormatPMofN:
		max := opt.MaxFragment
		if max == 0 {
			max = 300
		}
		e.series, err = splitPMofN(base64.StdEncoding.EncodeToString(psbt), max)
	case FormatPlain:
		e.series = []string{base64.StdEncoding.EncodeToString(psbt)}
	default:
		return nil, fmt.Errorf("unknown QR format %v", opt.Format)
	}
	if err != nil {
		return nil, err
	}
	e.loop = len(e.series)
	// An odd loop, as for UR: a camera that catches every other frame
	// (its decoder taking longer than a frame is shown) would see the
	// same half of an even series forever. One more frame, the last
	// part again, makes each round shift it by one.
	if e.loop > 1 && e.loop%2 == 0 {
		e.loop++
	}
	return e, nil
}

// Format is the emitter's transfer format.
func (e *Emitter) Format() Format { return e.format }

// Endless says whether every frame up to EndlessPeriod is a fresh part,
// so a player should go on fetching Frame(n) rather than loop Loop.
func (e *Emitter) Endless() bool { return e.ur != nil && e.ur.SeqLen() > 1 }

// Next is the next frame to show.
func (e *Emitter) Next() string {
	e.shown++
	return e.Frame(e.shown)
}

// Frame is frame n (1 and up) of the sequence, the same on every call: a
// web page fetches them by number. An endless stream starts over after
// EndlessPeriod frames, a fixed series after its last part.
func (e *Emitter) Frame(n int) string {
	if n < 1 {
		n = 1
	}
	if e.ur != nil {
		return e.ur.Part(uint32((n-1)%EndlessPeriod + 1))
	}
	return e.series[min((n-1)%e.loop, len(e.series)-1)]
}

// Files is the frames to save as files of their own (a folder of PNGs):
// each part of a fixed series once, though Loop shows an even series' last
// part twice; a UR stream's Loop.
func (e *Emitter) Files() []string {
	loop := e.Loop()
	if e.ur != nil {
		return loop
	}
	return loop[:len(e.series)]
}

// Parts is how many distinct parts the sequence has: a fixed series' own
// length (Loop may show its last part twice), or a UR stream's SeqLen.
func (e *Emitter) Parts() int {
	if e.ur != nil {
		return e.ur.SeqLen()
	}
	return len(e.series)
}

// LoopLen is how many frames Loop has.
func (e *Emitter) LoopLen() int { return e.loop }

// Loop is the frames to show where the sequence must repeat: a GIF, the
// frames saved to removable media, a page that cannot stream. For UR it is
// long enough that a receiver losing 30% of frames rarely sees the loop
// come round; for the other formats it is the series, with its last part
// shown twice when the series is even (an odd loop: see NewEmitter).
func (e *Emitter) Loop() []string {
	out := make([]string, e.loop)
	for i := range out {
		out[i] = e.Frame(i + 1)
	}
	return out
}

// URFragmentFor is the largest UR fragment, in bytes, for a message of
// messageLen bytes whose parts fit a QR code of the given version at error
// correction L for every sequence number an Emitter shows (up to
// EndlessPeriod): the text is upper case, which QR codes store as
// alphanumerics, and bytewords spend two letters a byte on the part's CBOR
// and its 4-byte checksum.
func URFragmentFor(typ string, messageLen, version int) int {
	// The fragment count's digits and CBOR width shrink as fragments
	// grow; starting from the most a receiver accepts and recounting only
	// ever lowers the count, so the last estimate fits.
	seqLen, frag := ur.MaxSeqLen, 0
	for {
		header := len("UR:") + len(typ) + len("/") + len(strconv.Itoa(EndlessPeriod)) + len("-") + len(strconv.Itoa(seqLen)) + len("/")
		// CBOR [seqNum, seqLen, messageLen, checksum, data]: the array's
		// byte, the four numbers, the byte string's head and the data.
		cbor := 1 + cborUintLen(EndlessPeriod) + cborUintLen(seqLen) + cborUintLen(messageLen) + cborUintLen(1<<32-1) + cborUintLen(ur.MaxFragmentLen)
		frag = max((bbqr.Capacity(version)-header)/2-cbor-4, ur.MinFragmentLen)
		n := (messageLen + frag - 1) / frag
		if n >= seqLen {
			return frag
		}
		seqLen = n
	}
}

// cborUintLen is how many bytes CBOR spends on an unsigned integer n.
func cborUintLen(n int) int {
	switch {
	case n < 24:
		return 1
	case n < 1<<8:
		return 2
	case n < 1<<16:
		return 3
	case n < 1<<32:
		return 5
	}
	return 9
}
