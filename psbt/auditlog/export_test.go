package auditlog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

func checkpointsOf(t testing.TB, path string) [][]byte {
	t.Helper()
	notes, err := splitNotes(read(t, CheckpointsPath(path)))
	if err != nil {
		t.Fatal(err)
	}
	return notes
}

func export(t testing.TB, l *Log, since int64) []byte {
	t.Helper()
	data, err := l.Export(since)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Every (since, trusted) pair of a log of every size up to 17 verifies, and
// reports exactly the records since..size.
func TestExportRoundTrip(t *testing.T) {
	vk := vkey(t)
	l, path := newLogAt(t, t.TempDir(), 0, 0)
	for n := int64(0); n <= 17; n++ {
		if n > 0 {
			appendN(t, l, 1, 0)
		}
		notes := checkpointsOf(t, path) // notes[i] has size i
		for since := int64(0); since <= n; since++ {
			data := export(t, l, since)
			rep, err := VerifyExport(data, vk, nil)
			if err != nil {
				t.Fatalf("size %d since %d: %v", n, since, err)
			}
			if rep.Size != n || rep.Since != since || int64(len(rep.Entries)) != n-since || !rep.SinceCheckpointed || rep.TrustedSize != -1 {
				t.Fatalf("size %d since %d: report %+v", n, since, rep)
			}
			for i, e := range rep.Entries {
				if e.Seq != uint64(since)+uint64(i) || string(e.Data) != fmt.Sprintf(`{"i":%d}`, e.Seq) {
					t.Fatalf("size %d since %d: entry %d = %+v", n, since, i, e)
				}
			}
			if !bytes.Equal(rep.Checkpoint, notes[n]) || rep.Origin != origin || rep.Root != l.Root() {
				t.Fatalf("size %d since %d: reported checkpoint differs from the log's latest", n, since)
			}
			for tr := int64(0); tr <= n; tr++ {
				rep, err := VerifyExport(data, vk, notes[tr])
				switch {
				case tr < since:
					if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("export again with --since %d", tr)) {
						t.Fatalf("size %d since %d trusted %d: got %v, want a re-export hint", n, since, tr, err)
					}
				case err != nil:
					t.Fatalf("size %d since %d trusted %d: %v", n, since, tr, err)
				case rep.TrustedSize != tr:
					t.Fatalf("size %d since %d trusted %d: TrustedSize %d", n, since, tr, rep.TrustedSize)
				}
			}
		}
	}
}

// An auditor who keeps each export's checkpoint and exports from it next
// time follows the log as it grows.
func TestConsistencyAcrossAppends(t *testing.T) {
	vk := vkey(t)
	l, _ := newLogAt(t, t.TempDir(), 1, 0)
	var trusted []byte
	var since int64
	for round, grow := range []int{0, 3, 1, 8, 0, 5} {
		appendN(t, l, grow, 0)
		rep, err := VerifyExport(export(t, l, since), vk, trusted)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if rep.Size != int64(l.Len()) {
			t.Fatalf("round %d: size %d, want %d", round, rep.Size, l.Len())
		}
		trusted, since = rep.Checkpoint, rep.Size
	}
	// Reopening the log changes nothing.
	l2, err := Open(l.path, origin, devKey)
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l2, 2, 0)
	if _, err := VerifyExport(export(t, l2, since), vk, trusted); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyExportRefuses(t *testing.T) {
	vk := vkey(t)
	// Log a, and log b by the same device: the same first 3 records, then
	// different ones. b is a fork of a.
	a, pathA := newLogAt(t, t.TempDir(), 6, 0)
	b, pathB := newLogAt(t, t.TempDir(), 3, 0)
	appendN(t, b, 3, 100)
	notesA, notesB := checkpointsOf(t, pathA), checkpointsOf(t, pathB)
	if !bytes.Equal(notesA[3], notesB[3]) || bytes.Equal(notesA[4], notesB[4]) {
		t.Fatal("test logs do not fork at size 3")
	}
	old, _ := newLogAt(t, t.TempDir(), 4, 0) // a as it was at size 4
	oldExport := export(t, old, 0)
	// The same records signed by another key.
	other, err := Create(filepath.Join(t.TempDir(), "audit.log"), origin, otherKey)
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, other, 6, 0)

	exA := export(t, a, 0)
	exA2 := export(t, a, 2)
	edit := func(data []byte, f func(*exportFile)) []byte {
		var e exportFile
		if err := json.Unmarshal(data, &e); err != nil {
			t.Fatal(err)
		}
		f(&e)
		out, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	vkOther, _ := VerifierKey(otherKey.PublicKey())

	tests := []struct {
		name    string
		data    []byte
		vk      string
		trusted []byte
		want    string
	}{
		{"fork: same size, different root", export(t, b, 0), vk, notesA[6], "fork: the trusted checkpoint and this export both sign 6 records, with different roots"},
		{"fork: trusted prefix differs", export(t, b, 0), vk, notesA[4], "fork: the first 4 records of this export do not hash to the trusted checkpoint's root"},
		{"fork: incremental export", export(t, b, 4), vk, notesA[4], "fork: the first 4 records"},
		{"fork: since checkpoint from the other branch", edit(export(t, b, 4), func(e *exportFile) { e.SinceCheckpoint = string(notesA[4]) }), vk, nil, "fork: the signed checkpoint of size 4 is not a prefix"},
		{"rollback: older export replayed", oldExport, vk, notesA[6], "rollback: the trusted checkpoint signs 6 records, this export only 4"},
		{"bad signature: another device", export(t, other, 0), vk, nil, "the export says it is signed by key " + vkOther},
		{"bad signature: another device, key claim removed", edit(export(t, other, 0), func(e *exportFile) { e.VerifierKey = "" }), vk, nil, "it is not signed by key airsign-"},
		{"bad signature: checkpoint edited", edit(exA, func(e *exportFile) { e.Checkpoint = strings.Replace(e.Checkpoint, "\n6\n", "\n5\n", 1); e.Size = 5 }), vk, nil, "its signature by airsign-"},
		{"flipped byte in a record", edit(exA, func(e *exportFile) { e.Records[2] = strings.Replace(e.Records[2], `"i":2`, `"i":3`, 1) }), vk, nil, "the records do not hash to the root the checkpoint signs: record 2 ("},
		{"flipped byte in a record after since", edit(exA2, func(e *exportFile) { e.Records[1] = strings.Replace(e.Records[1], `"i":3`, `"i":4`, 1) }), vk, nil, "the records do not hash to the root the checkpoint signs: record 3 ("},
		{"flipped byte in the last record", edit(exA, func(e *exportFile) { e.Records[5] = strings.Replace(e.Records[5], `"i":5`, `"i":6`, 1) }), vk, nil, "the records do not hash to the root the checkpoint signs: the last record (5)"},
		{"record removed", edit(exA, func(e *exportFile) { e.Records = e.Records[:5] }), vk, nil, "the checkpoint signs records 0 to 5 (6 records) but the export holds 5"},
		{"records swapped", edit(exA, func(e *exportFile) { e.Records[1], e.Records[2] = e.Records[2], e.Records[1] }), vk, nil, "the records do not hash"},
		{"frontier forged", edit(exA2, func(e *exportFile) { e.SinceFrontier[0] = encodeHashes(nil2(1))[0] }), vk, nil, "the records do not hash"},
		{"proof forged", edit(exA2, func(e *exportFile) { e.ConsistencyProof[0] = encodeHashes(nil2(1))[0] }), vk, nil, "fork: the consistency proof from size 2 to 6 does not verify"},
		{"trusted checkpoint by another key", exA, vk, checkpointsOf(t, other.path)[2], "the trusted checkpoint: it is not signed"},
		{"trusted checkpoint of another log", exA, vk, mustSign(t, "airsign ledger x\n2\n"+tlogBase64(nil2(1)[0])+"\n"), "the trusted checkpoint is for log"},
		{"not an export", []byte("hello"), vk, nil, "not an airsign audit export"},
		{"bad verifier key", exA, "nonsense", nil, "is not a note verifier key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := VerifyExport(tt.data, tt.vk, tt.trusted)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	// The genuine exports pass.
	for _, ex := range [][]byte{exA, exA2, export(t, b, 3)} {
		if _, err := VerifyExport(ex, vk, notesA[3]); err != nil {
			t.Errorf("genuine export refused: %v", err)
		}
	}
}

func nil2(n int) []tlog.Hash {
	h := make([]tlog.Hash, n)
	for i := range h {
		h[i][0] = 0x42
	}
	return h
}

func mustSign(t testing.TB, text string) []byte {
	t.Helper()
	ns, _, err := NoteSigner(devKey)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := signText(ns, text)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// No single flipped bit anywhere in an export file is accepted.
func TestEveryExportByteFlipDetected(t *testing.T) {
	vk := vkey(t)
	l, path := newLogAt(t, t.TempDir(), 5, 0)
	trusted := checkpointsOf(t, path)[3]
	for _, since := range []int64{0, 3} {
		data := export(t, l, since)
		for i := range data {
			for _, bit := range []byte{0x01, 0x02, 0x80} {
				b := bytes.Clone(data)
				b[i] ^= bit
				if _, err := VerifyExport(b, vk, trusted); err == nil {
					t.Errorf("since %d: byte %d (%q) ^ %#x accepted", since, i, data[i], bit)
				}
			}
		}
	}
}

func FuzzVerifyExport(f *testing.F) {
	vk := vkey(f)
	l, path := newLogAt(f, f.TempDir(), 5, 0)
	notes := checkpointsOf(f, path)
	for _, since := range []int64{0, 1, 3, 5} {
		data, err := l.Export(since)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, false)
		f.Add(data, true)
	}
	f.Add([]byte(`{"format":"airsign-audit-export/1","since":9223372036854775807,"records":[]}`), false)
	f.Fuzz(func(t *testing.T, data []byte, withTrusted bool) {
		var trusted []byte
		if withTrusted {
			trusted = notes[1]
		}
		rep, err := VerifyExport(data, vk, trusted)
		if err != nil {
			return
		}
		if rep.Size != rep.Since+int64(len(rep.Entries)) || rep.Origin != origin {
			t.Fatalf("accepted an inconsistent report: %+v", rep)
		}
		for i, e := range rep.Entries {
			if e.Seq != uint64(rep.Since)+uint64(i) {
				t.Fatalf("accepted entry %d with seq %d", i, e.Seq)
			}
		}
		// What is accepted is the genuine log's state: the same checkpoint.
		if rep.Size >= int64(len(notes)) {
			t.Fatalf("accepted a checkpoint of size %d that the device never signed", rep.Size)
		}
		genuine, err := OpenCheckpoint(notes[rep.Size], mustVerifier(t, vk))
		if err != nil || genuine.Root != rep.Root {
			t.Fatalf("accepted a checkpoint of size %d that the device never signed", rep.Size)
		}
	})
}
