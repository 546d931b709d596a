package ur

import (
	"bytes"
	"hash/crc32"
	"strings"
	"testing"
)

// FuzzDecoderAdd feeds scanned text, one part per line, to a Decoder. It
// must never panic, and a message it completes must carry the checksum its
// first part claimed and be one well-formed CBOR item. The limits keep
// memory bounded by construction: a part cannot claim more than
// MaxSeqLen * MaxFragmentLen-sized state.
func FuzzDecoderAdd(f *testing.F) {
	f.Add(strings.Join(wantMultipart, "\n"))
	f.Add(strings.Join(wantMultipart[9:], "\n"))
	f.Add(wantMultipart[3] + "\n" + wantMultipart[3] + "\n" + strings.ToUpper(wantMultipart[12]))
	f.Add("ur:bytes/hdeymejtswhhylkepmykhhtsytsnoyoyaxaedsuttydmmhhpktpmsrjtgwdpfnsboxgwlbaawzuefywkdplrsrjynbvygabwjldapfcsdwkbrkch")
	f.Add(craft("bytes", "", 1, 1<<31, 20, 0, make([]byte, 10)))
	f.Add(craft("bytes", "", 2, 3, 25, 7, make([]byte, 10)) + "\n" + craft("bytes", "", 5, 3, 25, 7, make([]byte, 10)))
	for _, c := range registryCases {
		f.Add(c.ur)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if len(in) > 1<<16 {
			return
		}
		d := NewDecoder()
		var claimed uint32
		var multi bool
		for _, line := range strings.Split(in, "\n") {
			wasStarted := d.started
			done, err := d.Add(line)
			if err == nil && !wasStarted && d.started && d.multi {
				multi, claimed = true, d.checksum
			}
			if p := d.Progress(); p < 0 || p > 1 {
				t.Fatalf("progress %v", p)
			}
			if !done {
				continue
			}
			u, err := d.Result()
			if err != nil {
				t.Fatalf("done but Result: %v", err)
			}
			if multi && crc32.ChecksumIEEE(u.CBOR) != claimed {
				t.Fatalf("completed message has checksum %08x, first part claimed %08x", crc32.ChecksumIEEE(u.CBOR), claimed)
			}
			if err := checkCBOR(u.CBOR); err != nil {
				t.Fatalf("completed message is not CBOR: %v", err)
			}
			// Parse -> encode round trip.
			back, err := Decode(Encode(u))
			if err != nil || back.Type != u.Type || !bytes.Equal(back.CBOR, u.CBOR) {
				t.Fatalf("re-encoded message does not decode: %v", err)
			}
			break
		}
	})
}

// FuzzBytewords: decoding never panics; what decodes re-encodes to the same
// text (ignoring case); and any bytes survive an encode/decode round trip.
func FuzzBytewords(f *testing.F) {
	f.Add("aeadaolazmjendeoti", []byte{0, 1, 2, 128, 255})
	f.Add("able acid also lava zoom jade need echo taxi", []byte{})
	f.Add("able-acid-also-lava-zoom-jade-need-echo-taxi", []byte("hello"))
	f.Add("AEADAOLAZMJENDEOTI", []byte{0xff})
	f.Fuzz(func(t *testing.T, text string, data []byte) {
		for _, style := range []bytewordsStyle{styleStandard, styleURI, styleMinimal} {
			if got, err := decodeBytewords(style, text); err == nil {
				if enc := encodeBytewords(style, got); enc != strings.ToLower(text) {
					t.Fatalf("style %d: %q decodes to %x, which encodes to %q", style, text, got, enc)
				}
			}
			if len(data) == 0 {
				continue
			}
			got, err := decodeBytewords(style, encodeBytewords(style, data))
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("style %d: round trip of %x = %x, %v", style, data, got, err)
			}
		}
	})
}

// FuzzDecoderParts drives the decoder with parts whose bytewords checksums
// are valid but whose headers and data are the fuzzer's, so it reaches the
// header checks and the fountain solver rather than stopping at damaged
// text. Each record is: seqNum (2 bytes), seqLen (1), messageLen (2),
// checksum selector (1), fragment length (1), then the fragment.
func FuzzDecoderParts(f *testing.F) {
	enc := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	rec := func(seqNum uint16, seqLen byte, messageLen uint16, sum byte, frag []byte) []byte {
		return enc([]byte{byte(seqNum >> 8), byte(seqNum), seqLen, byte(messageLen >> 8), byte(messageLen), sum, byte(len(frag))}, frag)
	}
	frag := bytes.Repeat([]byte{7}, 10)
	f.Add(enc(rec(1, 3, 25, 0, frag), rec(2, 3, 25, 0, frag), rec(3, 3, 25, 0, frag)))
	f.Add(enc(rec(5, 3, 25, 0, frag), rec(9, 3, 25, 0, frag), rec(4, 3, 25, 0, frag), rec(2, 3, 25, 1, frag)))
	f.Add(enc(rec(0, 3, 25, 0, frag), rec(1, 0, 25, 0, frag), rec(1, 3, 0, 0, frag), rec(1, 4, 25, 0, frag)))
	f.Fuzz(func(t *testing.T, in []byte) {
		d := NewDecoder()
		var claimed uint32
		for len(in) >= 7 {
			seqNum := uint32(in[0])<<8 | uint32(in[1])
			seqLen := int(in[2])
			messageLen := int(in[3])<<8 | int(in[4])
			sum := uint32(in[5]) * 0x9e3779b1
			n := min(int(in[6]), len(in)-7)
			data := in[7 : 7+n]
			in = in[7+n:]
			wasStarted := d.started
			done, err := d.Add(craft("bytes", "", seqNum, seqLen, messageLen, sum, data))
			if err == nil && !wasStarted && d.started {
				claimed = d.checksum
			}
			if p := d.Progress(); p < 0 || p > 1 {
				t.Fatalf("progress %v", p)
			}
			if d.solver != nil && len(d.solver.rows) > d.seqLen-d.solver.solved {
				t.Fatalf("%d rows stored for %d unknown fragments", len(d.solver.rows), d.seqLen-d.solver.solved)
			}
			if done {
				u, err := d.Result()
				if err != nil || crc32.ChecksumIEEE(u.CBOR) != claimed {
					t.Fatalf("completed message: %v, checksum %08x, claimed %08x", err, crc32.ChecksumIEEE(u.CBOR), claimed)
				}
				return
			}
		}
	})
}
