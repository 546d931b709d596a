package bbqr

import (
	"bytes"
	"compress/flate"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The proof that Z parts inflate with a 1 KiB window. deflateWindowed is
// checked by two inflaters that are not compress/flate (which accepts any
// distance up to 32 KiB and so proves nothing): strictInflate below, written
// from RFC 1951 with no code shared with the compressor, and Python's zlib
// with wbits=-10 fed so that it must use its 1 KiB window. Both are first
// shown to reject a stream that reaches further back, so the check has teeth.

// strictInflate decodes a raw DEFLATE stream and fails on any distance
// beyond window, any incomplete or over-subscribed code, trailing garbage,
// or output beyond limit. It decodes Huffman codes bit by bit from counts,
// the way RFC 1951 section 3.2.2 defines them.
func strictInflate(in []byte, window, limit int) ([]byte, error) {
	var (
		pos  int // byte in in
		bit  uint
		out  []byte
		errS = func(f string, a ...any) error {
			return fmt.Errorf("strict inflate at byte %d: %s", pos, fmt.Sprintf(f, a...))
		}
	)
	need := func(n uint) (int, error) {
		v := 0
		for i := uint(0); i < n; i++ {
			if pos >= len(in) {
				return 0, errS("stream ends early")
			}
			v |= int(in[pos]>>bit&1) << i
			if bit++; bit == 8 {
				bit, pos = 0, pos+1
			}
		}
		return v, nil
	}
	type code struct{ count, symbol []int }
	build := func(lens []int) (code, error) {
		c := code{count: make([]int, 16), symbol: make([]int, len(lens))}
		for _, l := range lens {
			c.count[l]++
		}
		left := 1
		for l := 1; l < 16; l++ {
			left = left*2 - c.count[l]
			if left < 0 {
				return c, errS("over-subscribed code")
			}
		}
		// RFC 1951 3.2.7 allows one exception: a single code of one bit
		// (and zlib also takes no codes at all for unused distances).
		used := 0
		for _, n := range c.count[1:] {
			used += n
		}
		if left != 0 && !(used == 1 && c.count[1] == 1) && used != 0 {
			return c, errS("incomplete code (%d left)", left)
		}
		offs := make([]int, 16)
		for l := 1; l < 15; l++ {
			offs[l+1] = offs[l] + c.count[l]
		}
		for s, l := range lens {
			if l != 0 {
				c.symbol[offs[l]] = s
				offs[l]++
			}
		}
		return c, nil
	}
	decode := func(c code) (int, error) {
		codeV, first, index := 0, 0, 0
		for l := 1; l < 16; l++ {
			b, err := need(1)
			if err != nil {
				return 0, err
			}
			codeV |= b
			count := c.count[l]
			if codeV-count < first {
				return c.symbol[index+(codeV-first)], nil
			}
			index += count
			first = (first + count) << 1
			codeV <<= 1
		}
		return 0, errS("no such code")
	}
	lBase := []int{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lExtra := []uint{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	dBase := []int{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	dExtra := []uint{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}

	for {
		final, err := need(1)
		if err != nil {
			return nil, err
		}
		typ, err := need(2)
		if err != nil {
			return nil, err
		}
		var lit, dist code
		switch typ {
		case 0:
			if bit != 0 {
				bit, pos = 0, pos+1
			}
			if pos+4 > len(in) {
				return nil, errS("stored header cut")
			}
			n := int(in[pos]) | int(in[pos+1])<<8
			if nn := int(in[pos+2]) | int(in[pos+3])<<8; n != ^nn&0xffff {
				return nil, errS("stored LEN/NLEN mismatch")
			}
			pos += 4
			if pos+n > len(in) {
				return nil, errS("stored data cut")
			}
			out = append(out, in[pos:pos+n]...)
			pos += n
		case 1, 2:
			if typ == 1 {
				ll := make([]int, 288)
				for i := range ll {
					switch {
					case i < 144:
						ll[i] = 8
					case i < 256:
						ll[i] = 9
					case i < 280:
						ll[i] = 7
					default:
						ll[i] = 8
					}
				}
				dl := make([]int, 30)
				for i := range dl {
					dl[i] = 5
				}
				// The fixed codes are incomplete by design (288 and 30
				// symbols); build them without the completeness check.
				lit, dist = fixedStrict(ll), fixedStrict(dl)
			} else {
				hlit, err := need(5)
				if err != nil {
					return nil, err
				}
				hdist, err := need(5)
				if err != nil {
					return nil, err
				}
				hclen, err := need(4)
				if err != nil {
					return nil, err
				}
				order := []int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
				cl := make([]int, 19)
				for i := 0; i < hclen+4; i++ {
					if cl[order[i]], err = need(3); err != nil {
						return nil, err
					}
				}
				clc, err := build(cl)
				if err != nil {
					return nil, err
				}
				lens := make([]int, 0, hlit+257+hdist+1)
				for len(lens) < hlit+257+hdist+1 {
					s, err := decode(clc)
					if err != nil {
						return nil, err
					}
					rep, val := 1, s
					switch s {
					case 16:
						if len(lens) == 0 {
							return nil, errS("repeat with no previous length")
						}
						val = lens[len(lens)-1]
						r, err := need(2)
						if err != nil {
							return nil, err
						}
						rep = 3 + r
					case 17:
						r, err := need(3)
						if err != nil {
							return nil, err
						}
						val, rep = 0, 3+r
					case 18:
						r, err := need(7)
						if err != nil {
							return nil, err
						}
						val, rep = 0, 11+r
					}
					for range rep {
						lens = append(lens, val)
					}
				}
				if len(lens) != hlit+257+hdist+1 {
					return nil, errS("code lengths overrun")
				}
				if lens[256] == 0 {
					return nil, errS("no end-of-block code")
				}
				if lit, err = build(lens[:hlit+257]); err != nil {
					return nil, err
				}
				if dist, err = build(lens[hlit+257:]); err != nil {
					return nil, err
				}
			}
			for {
				s, err := decode(lit)
				if err != nil {
					return nil, err
				}
				if s < 256 {
					out = append(out, byte(s))
				} else if s == 256 {
					break
				} else {
					s -= 257
					if s >= 29 {
						return nil, errS("bad length symbol")
					}
					e, err := need(lExtra[s])
					if err != nil {
						return nil, err
					}
					length := lBase[s] + e
					ds, err := decode(dist)
					if err != nil {
						return nil, err
					}
					if ds >= 30 {
						return nil, errS("bad distance symbol")
					}
					e, err = need(dExtra[ds])
					if err != nil {
						return nil, err
					}
					d := dBase[ds] + e
					if d > window {
						return nil, errS("distance %d is beyond the %d-byte window", d, window)
					}
					if d > len(out) {
						return nil, errS("distance %d before the start", d)
					}
					for range length {
						out = append(out, out[len(out)-d])
					}
				}
				if len(out) > limit {
					return nil, errS("output beyond %d", limit)
				}
			}
		default:
			return nil, errS("reserved block type")
		}
		if len(out) > limit {
			return nil, errS("output beyond %d", limit)
		}
		if final == 1 {
			break
		}
	}
	if bit != 0 {
		pos++
	}
	if pos != len(in) {
		return nil, errS("%d bytes after the final block", len(in)-pos)
	}
	return out, nil
}

// fixedStrict builds a decoding table for the fixed codes of RFC 1951.
func fixedStrict(lens []int) struct{ count, symbol []int } {
	c := struct{ count, symbol []int }{make([]int, 16), make([]int, len(lens))}
	for _, l := range lens {
		c.count[l]++
	}
	offs := make([]int, 16)
	for l := 1; l < 15; l++ {
		offs[l+1] = offs[l] + c.count[l]
	}
	for s, l := range lens {
		c.symbol[offs[l]] = s
		offs[l]++
	}
	return c
}

// windowCorpus is data shaped to tempt a compressor into long distances:
// repeats at 1023, 1024, 1025 and 2000 bytes, and long runs, as well as the
// payloads the appliance carries.
func windowCorpus() map[string][]byte {
	random := func(n int, seed uint64) []byte {
		b := make([]byte, n)
		fill(b, seed)
		return b
	}
	corpus := map[string][]byte{
		"empty":      nil,
		"one byte":   {7},
		"zeros 3MiB": make([]byte, 3<<20),
		"random 64K": random(64<<10, 1),
		"psbt 3.8K":  psbtLike(3800, 2),
		"psbt 200K":  psbtLike(200_000, 3),
		"text":       bytes.Repeat([]byte("The BBQr protocol splits a PSBT into a series of QR codes. "), 2000),
	}
	for _, d := range []int{1023, 1024, 1025, 2000, 32768} {
		blk := random(d, uint64(d))
		corpus[fmt.Sprintf("repeat at %d", d)] = bytes.Repeat(blk, 4)
	}
	// A block whose only match is exactly at the window's edge, with noise
	// in between.
	edge := random(5000, 9)
	copy(edge[1024+100:], edge[100:400])
	corpus["edge match"] = edge
	return corpus
}

// TestDeflateWindowStrict is the proof in Go: every stream deflateWindowed
// writes inflates under strictInflate with window 1024, to the input.
func TestDeflateWindowStrict(t *testing.T) {
	// Teeth first: compress/flate's own stream for data that repeats at
	// 2000 bytes uses a distance of 2000, and strictInflate refuses it
	// while accepting it with a 32 KiB window.
	teeth := windowCorpus()["repeat at 2000"]
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestCompression)
	fw.Write(teeth)
	fw.Close()
	if out, err := strictInflate(buf.Bytes(), 32768, 1<<30); err != nil || !bytes.Equal(out, teeth) {
		t.Fatalf("strictInflate with a 32 KiB window fails on compress/flate output: %v", err)
	}
	if _, err := strictInflate(buf.Bytes(), windowSize, 1<<30); err == nil || !strings.Contains(err.Error(), "beyond the 1024-byte window") {
		t.Fatalf("strictInflate accepted a 2000-byte distance: %v", err)
	}

	for name, data := range windowCorpus() {
		z := deflateWindowed(data)
		out, err := strictInflate(z, windowSize, len(data))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !bytes.Equal(out, data) {
			t.Errorf("%s: inflates to %d different bytes", name, len(out))
		}
		// And compress/flate, which Decoder uses, agrees.
		if std, err := inflateCapped(z, len(data)); err != nil || !bytes.Equal(std, data) {
			t.Errorf("%s: compress/flate: %v", name, err)
		}
		t.Logf("%-14s %8d -> %7d bytes", name, len(data), len(z))
	}
}

// TestDeflateWindowPython checks the same streams with Python's zlib, the
// library the BBQr reference and Coldcard firmware build on, at wbits=-10.
// zlib only enforces its window for references that reach behind the output
// of the current call, so the stream is inflated with an output limit of one
// byte a call: every back-reference then goes through the 1 KiB window.
func TestDeflateWindowPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("AIRSIGN_REQUIRE_TOOLS") != "" {
			t.Fatalf("python3 not found and AIRSIGN_REQUIRE_TOOLS is set: %v", err)
		}
		t.Skip("python3 not found; set AIRSIGN_REQUIRE_TOOLS to make this a failure")
	}
	const script = `
import sys, zlib
for line in sys.stdin:
    name, z = line.split()
    z = bytes.fromhex(z)
    d = zlib.decompressobj(wbits=-10)
    out = bytearray()
    try:
        while not d.eof:
            chunk = d.decompress(z, 1)
            z = d.unconsumed_tail
            out += chunk
            if not chunk and not z:
                break
        if not d.eof or d.unused_data:
            raise ValueError("stream not properly ended")
        print(name, "ok", out.hex() if len(out) < 70000 else len(out))
    except Exception as e:
        print(name, "error", str(e).replace(" ", "_"))
`
	corpus := windowCorpus()
	delete(corpus, "zeros 3MiB") // a byte a call: too slow to be worth it
	var in strings.Builder
	var names []string
	for name, data := range corpus {
		n := strings.ReplaceAll(name, " ", "_")
		names = append(names, name)
		fmt.Fprintf(&in, "%s %x\n", n, deflateWindowed(data))
	}
	// The teeth: compress/flate's stream with a 2000-byte distance.
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestCompression)
	fw.Write(corpus["repeat at 2000"])
	fw.Close()
	fmt.Fprintf(&in, "teeth %x\n", buf.Bytes())

	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = strings.NewReader(in.String())
	outB, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	got := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(outB)), "\n") {
		f := strings.Fields(line)
		got[f[0]] = f[1:]
	}
	if r := got["teeth"]; len(r) < 2 || r[0] != "error" || !strings.Contains(r[1], "too_far_back") {
		t.Fatalf("python zlib accepted a 2000-byte distance at wbits=-10: %v", r)
	}
	for _, name := range names {
		r := got[strings.ReplaceAll(name, " ", "_")]
		if len(r) == 1 && r[0] == "ok" {
			r = append(r, "") // empty output
		}
		if len(r) < 2 || r[0] != "ok" {
			t.Errorf("%s: python zlib wbits=-10: %v", name, r)
			continue
		}
		data := corpus[name]
		if len(data) < 70000 {
			if r[1] != hex.EncodeToString(data) {
				t.Errorf("%s: python inflates to different bytes", name)
			}
		} else if r[1] != fmt.Sprint(len(data)) {
			t.Errorf("%s: python inflates to %s bytes, want %d", name, r[1], len(data))
		}
	}
}

// TestStrictInflateRejects checks strictInflate's other refusals, so that
// its acceptance above means something.
func TestStrictInflateRejects(t *testing.T) {
	for _, c := range []struct {
		name string
		z    []byte
	}{
		{"reserved type", []byte{0x07}},
		{"cut", deflateWindowed([]byte("hello hello hello"))[:3]},
		{"trailing", append(deflateWindowed([]byte("x")), 0)},
		{"distance before start", farMatch(5)},
		{"distance beyond window", farMatch(1025)},
	} {
		if _, err := strictInflate(c.z, windowSize, 1<<20); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
	// The same construction within reach inflates.
	if out, err := strictInflate(farMatch(1), windowSize, 1<<20); err != nil || string(out) != "aaaa" {
		t.Errorf("farMatch(1) = %q, %v; want \"aaaa\"", out, err)
	}
}

// farMatch is a final fixed-Huffman block: the literal 'a', then a
// three-byte match at distance d, then end-of-block.
func farMatch(d uint16) []byte {
	lit, dist := fixedCodes()
	w := &bitWriter{}
	w.writeBits(1, 1)
	w.writeBits(1, 2)
	w.writeCode(lit, 'a')
	w.writeCode(lit, 257) // length 3
	dc := distCode(d)
	w.writeCode(dist, dc)
	w.writeBits(uint64(d-distBase[dc]), uint(distExtra[dc]))
	w.writeCode(lit, 256)
	return w.flush()
}
