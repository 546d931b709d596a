package qr

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"airsign/ui/qr/bbqr"
	"airsign/ui/qr/ur"
)

// Format names how a payload is cut into QR codes.
type Format int

// The transfer formats. Decoders recognise each from its first part.
const (
	FormatUR    Format = iota + 1 // Blockchain Commons UR, multipart with fountain codes
	FormatBBQr                    // Coinkite BBQr
	FormatPMofN                   // Specter DIY's pMofN
	FormatPlain                   // one code: base64 or hex PSBT, or text
)

func (f Format) String() string {
	switch f {
	case FormatUR:
		return "ur"
	case FormatBBQr:
		return "bbqr"
	case FormatPMofN:
		return "pmofn"
	case FormatPlain:
		return "plain"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ParseFormat reads a format's name as String writes it, for flags.
func ParseFormat(s string) (Format, error) {
	for _, f := range []Format{FormatUR, FormatBBQr, FormatPMofN, FormatPlain} {
		if strings.EqualFold(s, f.String()) || (f == FormatPlain && strings.EqualFold(s, "base64")) {
			return f, nil
		}
	}
	return 0, fmt.Errorf("unknown QR format %q: use ur, bbqr or base64", s)
}

// Kinds of payload a transfer carries.
const (
	KindPSBT = "psbt" // a serialized PSBT
	KindText = "text" // UTF-8 text: a descriptor, a BSMS record
)

// Payload is what a transfer carries, reassembled.
type Payload struct {
	Format Format
	Kind   string // KindPSBT, KindText, or the UR type for other URs
	Data   []byte // the PSBT's bytes, the text, or a UR's CBOR
}

// MaxPartLen bounds one scanned part before any decoder sees it: the
// largest QR code holds 4,296 alphanumeric characters.
const MaxPartLen = 8_000

// Decoder reassembles a transfer from scanned parts in any of the formats,
// recognised from the first part. Parts of another format or message are
// refused with an error that says so, and change nothing.
type Decoder struct {
	format Format
	ur     *ur.Decoder
	bb     *bbqr.Decoder
	pm     *pmofnDecoder
	plain  *Payload
	done   bool
}

// NewDecoder returns an empty Decoder.
func NewDecoder() *Decoder { return &Decoder{} }

// DetectFormat says which format a scanned part is in.
func DetectFormat(part string) Format {
	switch {
	case len(part) >= 3 && strings.EqualFold(part[:3], "ur:"):
		return FormatUR
	case strings.HasPrefix(part, "B$"):
		return FormatBBQr
	case isPMofN(part):
		return FormatPMofN
	}
	return FormatPlain
}

// Add feeds one scanned part. It returns done when the payload is complete.
func (d *Decoder) Add(part string) (done bool, err error) {
	part = strings.TrimSpace(part)
	if len(part) > MaxPartLen {
		return d.done, fmt.Errorf("a scanned part of %d characters is longer than any QR code holds (%d)", len(part), MaxPartLen)
	}
	if part == "" {
		return d.done, errors.New("the scanned part is empty")
	}
	f := DetectFormat(part)
	if d.format == 0 {
		d.format = f
		switch f {
		case FormatUR:
			d.ur = ur.NewDecoder()
		case FormatBBQr:
			d.bb = bbqr.NewDecoder()
		case FormatPMofN:
			d.pm = &pmofnDecoder{}
		}
	} else if f != d.format {
		return d.done, fmt.Errorf("this part is %s, but the transfer being read is %s: keep scanning the right code", f, d.format)
	}
	switch f {
	case FormatUR:
		d.done, err = d.ur.Add(part)
	case FormatBBQr:
		d.done, err = d.bb.Add(part)
	case FormatPMofN:
		d.done, err = d.pm.add(part)
	default:
		if d.plain != nil {
			if !bytes.Equal(plainPayload(part).Data, d.plain.Data) {
				return true, errors.New("a second, different single-code transfer was scanned: start again to read it")
			}
			return true, nil
		}
		p := plainPayload(part)
		d.plain, d.done = &p, true
	}
	return d.done, err
}

// Progress is the estimated fraction of the transfer received, 0 to 1.
func (d *Decoder) Progress() float64 {
	switch {
	case d.done:
		return 1
	case d.ur != nil:
		return d.ur.Progress()
	case d.bb != nil:
		return d.bb.Progress()
	case d.pm != nil:
		return d.pm.progress()
	}
	return 0
}

// Format is the format of the transfer being read, 0 before the first part.
func (d *Decoder) Format() Format { return d.format }

// Result returns the payload once Add has reported done.
func (d *Decoder) Result() (Payload, error) {
	if !d.done {
		return Payload{}, fmt.Errorf("the transfer is not complete (%.0f%%): keep scanning", 100*d.Progress())
	}
	switch d.format {
	case FormatUR:
		u, err := d.ur.Result()
		if err != nil {
			return Payload{}, err
		}
		if u.Type == ur.TypePSBT || u.Type == "psbt" {
			data, err := ur.DecodePSBT(u)
			if err != nil {
				return Payload{}, err
			}
			return Payload{Format: FormatUR, Kind: KindPSBT, Data: data}, nil
		}
		return Payload{Format: FormatUR, Kind: u.Type, Data: u.CBOR}, nil
	case FormatBBQr:
		ft, data, err := d.bb.Result()
		if err != nil {
			return Payload{}, err
		}
		switch ft {
		case bbqr.PSBT:
			return Payload{Format: FormatBBQr, Kind: KindPSBT, Data: data}, nil
		case bbqr.Text, bbqr.JSON:
			return Payload{Format: FormatBBQr, Kind: KindText, Data: data}, nil
		}
		return Payload{}, fmt.Errorf("the BBQr transfer carries a %s, which airsign does not read", ft)
	case FormatPMofN:
		text, err := d.pm.result()
		if err != nil {
			return Payload{}, err
		}
		p := plainPayload(text)
		p.Format = FormatPMofN
		return p, nil
	}
	return *d.plain, nil
}

// plainPayload reads a single code: a PSBT in base64 or hex, otherwise text.
func plainPayload(text string) Payload {
	text = strings.TrimSpace(text)
	if strings.HasPrefix(text, "cHNidP") {
		if data, err := base64.StdEncoding.DecodeString(text); err == nil {
			return Payload{Format: FormatPlain, Kind: KindPSBT, Data: data}
		}
	}
	if len(text) >= 10 && strings.EqualFold(text[:10], "70736274ff") {
		if data, err := hex.DecodeString(text); err == nil {
			return Payload{Format: FormatPlain, Kind: KindPSBT, Data: data}
		}
	}
	return Payload{Format: FormatPlain, Kind: KindText, Data: []byte(text)}
}

// EncodeOptions say how a payload is cut into parts.
type EncodeOptions struct {
	Format Format
	// MaxFragment is UR's maximum fragment length in bytes (0: the largest
	// that fits QR version DefaultVersion, URFragmentFor); for pMofN the
	// maximum characters a part.
	MaxFragment int
	// BBQrMaxVersion bounds BBQr parts' QR version (0: AirsignVersion,
	// since BBQr is what airsign's ends send each other).
	BBQrMaxVersion int
	// URType is the UR type of a PSBT: "crypto-psbt" (the default, which
	// every UR wallet reads) or "psbt" (the newer registry name), on request.
	URType string
	// URExtraParts is how many fountain parts beyond the fragments a UR
	// loop shows before repeating (0: twice the fragments; see Emitter.Loop).
	URExtraParts int
}

// EncodePSBT cuts a serialized PSBT into the parts to show in a loop: the
// Emitter's Loop. Where frames can be drawn as they are shown, use the
// Emitter itself, whose UR stream never repeats.
func EncodePSBT(psbt []byte, opt EncodeOptions) ([]string, error) {
	e, err := NewEmitter(psbt, opt)
	if err != nil {
		return nil, err
	}
	return e.Loop(), nil
}
