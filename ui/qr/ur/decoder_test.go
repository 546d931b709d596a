package ur

import (
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func randomUR(rng *rand.Rand, n int) UR {
	msg := make([]byte, n)
	for i := range msg {
		msg[i] = byte(rng.Uint32())
	}
	return UR{Type: "bytes", CBOR: cborBytes(msg)}
}

// collect returns the first n parts of u's encoding.
func collect(t testing.TB, u UR, maxFrag, n int) (*Encoder, []string) {
	t.Helper()
	e, err := NewEncoder(u, maxFrag, MinFragmentLen)
	if err != nil {
		t.Fatal(err)
	}
	parts := make([]string, n)
	for i := range parts {
		parts[i] = e.NextPart()
	}
	return e, parts
}

// feed adds parts until the decoder is done and returns how many it took.
func feed(t testing.TB, d *Decoder, parts []string) int {
	t.Helper()
	last := 0.0
	for i, p := range parts {
		done, err := d.Add(p)
		if err != nil {
			t.Fatalf("part %d: %v", i+1, err)
		}
		if pr := d.Progress(); pr < last || pr > 1 {
			t.Fatalf("progress went from %.3f to %.3f", last, pr)
		} else {
			last = pr
		}
		if done {
			return i + 1
		}
	}
	return -1
}

func TestRoundTrip(t *testing.T) {
	sizes := []int{1, 2, 9, 10, 11, 29, 100, 199, 200, 201, 399, 400, 401, 1000, 3800, 10_000, 100_000}
	if testing.Short() {
		sizes = sizes[:14]
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, maxFrag := range []int{FragmentLenSparrow, FragmentLenKeystone, FragmentLenSmall} {
		for _, size := range sizes {
			for _, loss := range []float64{0, 0.3} {
				t.Run(fmt.Sprintf("%dB/frag%d/loss%.0f%%", size, maxFrag, 100*loss), func(t *testing.T) {
					u := randomUR(rng, size)
					probe, _ := NewEncoder(u, maxFrag, MinFragmentLen)
					n := probe.SeqLen()
					_, parts := collect(t, u, maxFrag, 3*n+20)
					kept := parts
					if loss > 0 {
						kept = nil
						for _, p := range parts {
							if rng.Float64() >= loss {
								kept = append(kept, p)
							}
						}
						rng.Shuffle(len(kept), func(i, j int) { kept[i], kept[j] = kept[j], kept[i] })
					}
					d := NewDecoder()
					if used := feed(t, d, kept); used < 0 {
						t.Fatalf("not done after %d of %d parts (seqLen %d), progress %.3f", len(kept), len(parts), n, d.Progress())
					}
					got, err := d.Result()
					if err != nil || !reflect.DeepEqual(got, u) {
						t.Fatalf("Result = %d bytes, %v, want %d bytes", len(got.CBOR), err, len(u.CBOR))
					}
					if n > 1 && !strings.HasPrefix(parts[0], "UR:BYTES/1-") {
						t.Errorf("first part %.20s is not upper-case part 1", parts[0])
					}
					if n == 1 && strings.Count(parts[0], "/") != 1 {
						t.Errorf("one-fragment message encoded as %.30s, want a single-part UR", parts[0])
					}
				})
			}
		}
	}
}

// TestNeedsMixedParts drops every pure part of a few fragments: the decoder
// must get them from the mixed parts beyond seqLen.
func TestNeedsMixedParts(t *testing.T) {
	u := randomUR(rand.New(rand.NewPCG(3, 4)), 3800)
	e, parts := collect(t, u, FragmentLenKeystone, 200)
	n := e.SeqLen()
	var kept []string
	for i, p := range parts {
		if i < n && i%3 == 0 {
			continue // lose fragments 1, 4, 7, ...
		}
		kept = append(kept, p)
	}
	d := NewDecoder()
	used := feed(t, d, kept)
	if used < 0 {
		t.Fatalf("not done, progress %.3f", d.Progress())
	}
	if used <= n-(n+2)/3 {
		t.Errorf("done after %d parts, before any mixed part", used)
	}
	if got, _ := d.Result(); !reflect.DeepEqual(got, u) {
		t.Error("wrong message")
	}
}

func TestDuplicates(t *testing.T) {
	u := randomUR(rand.New(rand.NewPCG(5, 6)), 1000)
	_, parts := collect(t, u, FragmentLenSmall, 30)
	var dup []string
	for _, p := range parts {
		dup = append(dup, p, strings.ToLower(p), p)
	}
	d := NewDecoder()
	if used := feed(t, d, dup); used < 0 {
		t.Fatal("not done")
	}
	// After completion, more parts of the same message are harmless.
	for _, p := range parts[:3] {
		if done, err := d.Add(p); !done || err != nil {
			t.Errorf("Add after done = %v, %v, want true, nil", done, err)
		}
	}
	if got, _ := d.Result(); !reflect.DeepEqual(got, u) {
		t.Error("wrong message")
	}
}

// TestInterleaved scans two animated codes at once: the decoder keeps to the
// first and refuses the other's parts without losing progress.
func TestInterleaved(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	a, b := randomUR(rng, 2000), randomUR(rng, 2000)
	_, pa := collect(t, a, FragmentLenKeystone, 40)
	_, pb := collect(t, b, FragmentLenKeystone, 40)
	d := NewDecoder()
	refused := 0
	for i := range pa {
		done, err := d.Add(pa[i])
		if err != nil {
			t.Fatalf("part %d of the first message: %v", i+1, err)
		}
		if done {
			break
		}
		before := d.Progress()
		_, err = d.Add(pb[i])
		if !errors.Is(err, ErrOtherMessage) {
			t.Fatalf("part %d of the second message: err = %v, want ErrOtherMessage", i+1, err)
		}
		if !strings.Contains(err.Error(), "belongs to another message (checksum") {
			t.Errorf("error %q does not name the checksums", err)
		}
		if d.Progress() != before {
			t.Fatalf("intruder changed progress from %.3f to %.3f", before, d.Progress())
		}
		refused++
	}
	got, err := d.Result()
	if err != nil || !reflect.DeepEqual(got, a) {
		t.Fatalf("Result = %v, want the first message", err)
	}
	if refused == 0 {
		t.Error("no intruder was offered")
	}
}

// TestSinglePartCompletesMultipart: a sender may show the whole message as
// one code while a multipart scan is under way.
func TestSinglePartCompletesMultipart(t *testing.T) {
	u := randomUR(rand.New(rand.NewPCG(9, 10)), 500)
	_, parts := collect(t, u, FragmentLenSmall, 2)
	d := NewDecoder()
	if _, err := d.Add(parts[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Add(Encode(randomUR(rand.New(rand.NewPCG(1, 1)), 500))); !errors.Is(err, ErrOtherMessage) {
		t.Errorf("other single part: err = %v, want ErrOtherMessage", err)
	}
	done, err := d.Add(Encode(u))
	if !done || err != nil {
		t.Fatalf("Add(single part) = %v, %v", done, err)
	}
	if got, _ := d.Result(); !reflect.DeepEqual(got, u) {
		t.Error("wrong message")
	}
}

func TestResultIncomplete(t *testing.T) {
	d := NewDecoder()
	if _, err := d.Result(); !errors.Is(err, ErrIncomplete) {
		t.Errorf("Result on empty decoder: %v, want ErrIncomplete", err)
	}
	if p := d.Progress(); p != 0 {
		t.Errorf("Progress = %v, want 0", p)
	}
}

// craft writes a multipart UR with whatever header it is given.
func craft(typ, seq string, seqNum uint32, seqLen, messageLen int, checksum uint32, data []byte) string {
	p := part{seqNum: seqNum, seqLen: seqLen, messageLen: messageLen, checksum: checksum, data: data}
	if seq == "" {
		seq = fmt.Sprintf("%d-%d", seqNum, seqLen)
	}
	return "ur:" + typ + "/" + seq + "/" + encodeBytewords(styleMinimal, p.cbor())
}

// craftRaw writes a multipart UR around arbitrary CBOR.
func craftRaw(seq string, cbor []byte) string {
	return "ur:bytes/" + seq + "/" + encodeBytewords(styleMinimal, cbor)
}

func TestHostileParts(t *testing.T) {
	good := make([]byte, 10)
	var huge cborWriter
	huge.array(5)
	huge.uint(1)
	huge.uint(2)
	huge.uint(1<<64 - 1) // messageLen 2^64-1
	huge.uint(0)
	huge.bytes(good)
	var four cborWriter
	four.array(4)
	for range 4 {
		four.uint(1)
	}
	for _, tt := range []struct {
		name string
		part string
		want string // a phrase the error must contain
	}{
		{"seqLen 2^31", craft("bytes", "", 1, 1<<31, 20, 0, good), "claims 2147483648 parts"},
		{"seqLen 2^31 inside", craft("bytes", "1-2", 1, 1<<31, 20, 0, good), "says 1-2147483648 inside"},
		{"messageLen huge", craft("bytes", "", 1, 2, 1<<40, 0, good), "1099511627776-byte message"},
		{"messageLen 2^64-1", craftRaw("1-2", huge.b), "more than the 2097152"},
		{"messageLen 0", craft("bytes", "", 1, 2, 0, 0, good), "empty message"},
		{"fragment inconsistent", craft("bytes", "", 1, 5, 100, 0, good), "takes 10 parts, not 5"},
		{"fragment empty", craft("bytes", "", 1, 2, 20, 0, nil), "0-byte fragment"},
		{"fragment too long", craft("bytes", "", 1, 1, 4097, 0, make([]byte, 4097)), "4097-byte fragment"},
		{"part far too long", craft("bytes", "", 1, 1, 5000, 0, make([]byte, 5000)), "more than a part"},
		{"seqNum 0", craft("bytes", "", 0, 2, 20, 0, good), "sequence number 0"},
		{"seqNum 2^32", craft("bytes", "4294967296-2", 1, 2, 20, 0, good), "beyond 32 bits"},
		{"seqLen 0", craft("bytes", "1-0", 1, 0, 20, 0, good), "0 parts"},
		{"not an array of 5", craftRaw("1-2", four.b), "array of 5"},
		{"not cbor", craftRaw("1-2", []byte{0xff}), "not a fountain part"},
		{"damaged", strings.Replace(wantMultipart[0], "hkadaeme", "hkadaemo", 1), "damaged"},
		{"odd bytewords", wantMultipart[0] + "a", "damaged"},
		{"not a ur", "https://example.com", "does not start with"},
		{"bad type", "ur:crypto_psbt/aeae", "only letters, digits"},
		{"bad seq", "ur:bytes/1-x/aeae", "expected two numbers"},
		{"bad seq dash", "ur:bytes/-1/aeae", "expected two numbers"},
		{"too many slashes", "ur:bytes/1-2/aeae/aeae", "expected ur:type/data"},
		{"empty body", "ur:bytes/", "carries no data"},
		{"too long", "ur:bytes/" + strings.Repeat("ae", maxPartChars), "longer than any UR"},
		{"single not cbor", "ur:bytes/" + encodeBytewords(styleMinimal, []byte{0x58}), "well-formed CBOR"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// A decoder part-way through a message must refuse the part and
			// still finish the message.
			d := NewDecoder()
			if _, err := d.Add(wantMultipart[0]); err != nil {
				t.Fatal(err)
			}
			before := d.Progress()
			done, err := d.Add(tt.part)
			if err == nil || done {
				t.Fatalf("Add = %v, %v, want an error", done, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if d.Progress() != before {
				t.Errorf("progress changed from %v to %v", before, d.Progress())
			}
			if feed(t, d, wantMultipart[1:9]) < 0 {
				t.Error("decoder did not finish after the refused part")
			}
			// A fresh decoder refuses it too, and stays fresh.
			d = NewDecoder()
			if _, err := d.Add(tt.part); err == nil {
				t.Errorf("fresh decoder accepted it")
			}
			if d.Progress() != 0 {
				t.Errorf("fresh decoder progress %v", d.Progress())
			}
		})
	}
}

// TestIntruderHeaders: parts that are well formed but disagree with the
// message being assembled.
func TestIntruderHeaders(t *testing.T) {
	msg := makeMessage(256, "Wolf")
	m := cborBytes(msg)
	sum := crc32.ChecksumIEEE(m)
	frag := make([]byte, 29)
	for _, tt := range []struct {
		name, part, want string
	}{
		{"checksum", craft("bytes", "", 2, 9, 259, sum^1, frag), "checksum"},
		{"type", craft("crypto-psbt", "", 2, 9, 259, sum, frag), "type ur:crypto-psbt, this one ur:bytes"},
		{"seqLen", craft("bytes", "", 2, 10, 281, sum, frag), "10 parts, this one 9"},
		{"messageLen", craft("bytes", "", 2, 9, 258, sum, frag), "258 bytes, this one 259"},
		{"fragLen", craft("bytes", "", 2, 9, 259, sum, make([]byte, 30)), "30-byte fragments, this one 29"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDecoder()
			if _, err := d.Add(wantMultipart[0]); err != nil {
				t.Fatal(err)
			}
			_, err := d.Add(tt.part)
			if !errors.Is(err, ErrOtherMessage) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrOtherMessage naming %q", err, tt.want)
			}
		})
	}
}

// TestForgedFragment: a part whose header is right but whose data was
// altered (with a fresh bytewords checksum) makes the message fail its CRC;
// the decoder says so and starts over.
func TestForgedFragment(t *testing.T) {
	msg := makeMessage(256, "Wolf")
	m := cborBytes(msg)
	sum := crc32.ChecksumIEEE(m)
	frags := partition(m, 29)
	d := NewDecoder()
	var err error
	for i, f := range frags {
		data := append([]byte(nil), f...)
		if i == 4 {
			data[0] ^= 1
		}
		_, err = d.Add(craft("bytes", "", uint32(i+1), 9, 259, sum, data))
	}
	if err == nil || !strings.Contains(err.Error(), "corrupted or forged") {
		t.Fatalf("err = %v, want a checksum failure", err)
	}
	if d.Progress() != 0 {
		t.Errorf("decoder did not start over: progress %v", d.Progress())
	}
	if feed(t, d, wantMultipart[:9]) < 0 {
		t.Error("decoder did not recover")
	}
}

func TestEncoderErrors(t *testing.T) {
	for _, tt := range []struct {
		name     string
		u        UR
		max, min int
	}{
		{"empty", UR{Type: "bytes"}, 200, 10},
		{"bad type", UR{Type: "Bytes!", CBOR: []byte{0}}, 200, 10},
		{"min > max", UR{Type: "bytes", CBOR: []byte{0}}, 10, 20},
		{"zero min", UR{Type: "bytes", CBOR: []byte{0}}, 10, 0},
		{"max too big", UR{Type: "bytes", CBOR: []byte{0}}, MaxFragmentLen + 1, 10},
		{"too long", UR{Type: "bytes", CBOR: make([]byte, MaxMessageLen+1)}, 200, 10},
		{"too many parts", UR{Type: "bytes", CBOR: make([]byte, 20_001)}, 2, 1},
	} {
		if _, err := NewEncoder(tt.u, tt.max, tt.min); err == nil {
			t.Errorf("%s: NewEncoder succeeded", tt.name)
		}
	}
}

func TestDecodeSingle(t *testing.T) {
	if _, err := Decode(wantMultipart[0]); err == nil {
		t.Error("Decode accepted a multipart part")
	}
	u := PSBT([]byte("psbt\xff\x00"))
	got, err := Decode(strings.ToLower(Encode(u)))
	if err != nil || !reflect.DeepEqual(got, u) {
		t.Errorf("Decode = %+v, %v, want %+v", got, err, u)
	}
}
