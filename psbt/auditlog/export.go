package auditlog

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ExportFormat names the export file format.
const ExportFormat = "airsign-audit-export/1"

// MaxExportBytes bounds an export file VerifyExport reads.
const MaxExportBytes = 256 << 20

// exportFile is the export: one JSON object.
//
//	format             ExportFormat
//	origin, size       the log's name and size, as the checkpoint signs them
//	verifier_key       the note verifier key the device claims; an auditor
//	                   verifies with the key recorded at the ceremony, never
//	                   with this one
//	checkpoint         the latest signed checkpoint note
//	since              index of the first record included
//	since_checkpoint   the signed checkpoint of size since, if the log has one
//	since_frontier     base64 hashes of the complete subtrees of the tree of
//	                   size since, left to right (those tlog.TreeHash(since)
//	                   reads): with the records they rebuild the tree
//	consistency_proof  base64 hashes, tlog.ProveTree(size, since), when
//	                   0 < since
//	records            the log's lines since..size-1, exactly, without
//	                   newlines
type exportFile struct {
	Format           string   `json:"format"`
	Origin           string   `json:"origin"`
	Size             int64    `json:"size"`
	VerifierKey      string   `json:"verifier_key"`
	Checkpoint       string   `json:"checkpoint"`
	Since            int64    `json:"since"`
	SinceCheckpoint  string   `json:"since_checkpoint,omitempty"`
	SinceFrontier    []string `json:"since_frontier,omitempty"`
	ConsistencyProof []string `json:"consistency_proof,omitempty"`
	Records          []string `json:"records"`
}

// Export verifies the log on disk and writes it for an auditor: the latest
// signed checkpoint, the records from index since (0-based, i.e. line
// since+1) to the end, the signed checkpoint of size since if there is one,
// and a consistency proof from size since to the current size. since is
// usually the size of the checkpoint the auditor took last time.
func (l *Log) Export(since int64) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st, err := l.lockedLoad(fullRead)
	if err != nil {
		return nil, err
	}
	n := st.latest.Size
	if since < 0 || since > n {
		return nil, fmt.Errorf("cannot export from record %d: the log has %d records", since, n)
	}
	r := hashSlice(st.hashes)
	f := exportFile{
		Format:      ExportFormat,
		Origin:      l.origin,
		Size:        n,
		VerifierKey: l.vkey,
		Checkpoint:  string(st.latest.Note),
		Since:       since,
		Records:     []string{},
	}
	for i := len(st.checkpoints) - 1; i >= 0; i-- {
		if st.checkpoints[i].Size == since {
			f.SinceCheckpoint = string(st.checkpoints[i].Note)
			break
		}
	}
	idx := frontierIndexes(since)
	if len(idx) > 0 {
		fr, err := r.ReadHashes(idx)
		if err != nil {
			return nil, err
		}
		f.SinceFrontier = encodeHashes(fr)
	}
	if since > 0 {
		p, err := tlog.ProveTree(n, since, r)
		if err != nil {
			return nil, err
		}
		f.ConsistencyProof = encodeHashes(p)
	}
	for _, line := range st.lines[since:n] {
		f.Records = append(f.Records, string(line))
	}
	out, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// frontierIndexes are the stored hash indexes tlog.TreeHash(n) reads: the
// complete subtrees that make up the tree of size n.
func frontierIndexes(n int64) []int64 {
	var idx []int64
	tlog.TreeHash(n, tlog.HashReaderFunc(func(x []int64) ([]tlog.Hash, error) {
		idx = x
		return make([]tlog.Hash, len(x)), nil
	}))
	return idx
}

// hashMap serves the stored hashes a verifier has: given or computed.
type hashMap map[int64]tlog.Hash

func (m hashMap) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		h, ok := m[x]
		if !ok {
			return nil, fmt.Errorf("the export lacks tree hash %d", x)
		}
		out[i] = h
	}
	return out, nil
}

// Report is what VerifyExport proved.
type Report struct {
	Origin string // the log's name
	Key    string // the verifier key's name, "airsign-<key id>"
	Size   int64  // records in the log at the new checkpoint
	Root   tlog.Hash
	// Checkpoint is the new signed checkpoint: keep it, and pass it as
	// trusted when verifying the next export.
	Checkpoint []byte
	Since      int64 // Entries are records Since..Size-1
	// SinceCheckpointed says the export held the signed checkpoint of size
	// Since and that the new one is consistent with it.
	SinceCheckpointed bool
	// TrustedSize is the size of the trusted checkpoint the new one was
	// proved consistent with, or -1 when none was given.
	TrustedSize int64
	Entries     []Entry
	// hashes are the tree's stored hashes from the frontier on, for RootAt.
	hashes hashMap
}

// RootAt is the root of the log's first size records: what a checkpoint
// of that size, signed by this log's key, must sign. The other side of the
// air gap recorded such checkpoints (CheckpointRecord); a different root
// is a rewrite. Sizes before Since are not in the export.
func (r Report) RootAt(size int64) (tlog.Hash, error) {
	if size < r.Since || size > r.Size {
		return tlog.Hash{}, fmt.Errorf("the export holds records %d to %d, so the tree of %d records cannot be rebuilt from it", r.Since, r.Size, size)
	}
	return tlog.TreeHash(size, r.hashes)
}

// VerifyExport checks an export against verifierKey (a note verifier key,
// as VerifierKey prints it) and, if trusted is not nil, against a checkpoint
// note the auditor trusted before. It proves that:
//
//   - the latest checkpoint, and the one of size since if present, are
//     signed by verifierKey and name the same log;
//   - the records, with the frontier of the tree of size since, hash to the
//     signed root (so no record was changed, dropped, added or reordered),
//     and each is a well-formed entry in sequence with an unbroken prev
//     chain;
//   - the consistency proof leads from the since checkpoint to the new one;
//   - the trusted checkpoint is a prefix of the new tree: one of the same
//     size with another root is a fork, a larger one a rollback.
//
// When since > 0, the records before since are not in the export; the
// frontier stands for them and the new signed root authenticates it.
func VerifyExport(data []byte, verifierKey string, trusted []byte) (Report, error) {
	var rep Report
	if len(data) > MaxExportBytes {
		return rep, fmt.Errorf("the export is %d bytes, more than %d", len(data), MaxExportBytes)
	}
	v, err := note.NewVerifier(strings.TrimSpace(verifierKey))
	if err != nil {
		return rep, fmt.Errorf("the verifier key %q is not a note verifier key: %v", verifierKey, err)
	}
	var f exportFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return rep, fmt.Errorf("not an airsign audit export: %v", err)
	}
	if dec.More() {
		return rep, errors.New("not an airsign audit export: data after the export")
	}
	if f.Format != ExportFormat {
		return rep, fmt.Errorf("export format %q, want %q", f.Format, ExportFormat)
	}
	if f.VerifierKey != "" && strings.TrimSpace(verifierKey) != f.VerifierKey {
		return rep, fmt.Errorf("the export says it is signed by key %s, not by the key given (%s): it is from another device, or the key recorded for this device is wrong", f.VerifierKey, strings.TrimSpace(verifierKey))
	}
	cp, err := OpenCheckpoint([]byte(f.Checkpoint), v)
	if err != nil {
		return rep, fmt.Errorf("the export's checkpoint: %w", err)
	}
	if cp.Origin != f.Origin || cp.Size != f.Size {
		return rep, fmt.Errorf("the export says log %q of size %d, its signed checkpoint %q of size %d", f.Origin, f.Size, cp.Origin, cp.Size)
	}
	n, since := cp.Size, f.Since
	if since < 0 || since > n {
		return rep, fmt.Errorf("the export starts at record %d of %d", since, n)
	}
	if int64(len(f.Records)) != n-since {
		return rep, fmt.Errorf("the checkpoint signs records %d to %d (%d records) but the export holds %d: records were removed or added", since, n-1, n-since, len(f.Records))
	}

	// Rebuild the tree of size n from the frontier and the records.
	idx := frontierIndexes(since)
	frontier, err := decodeHashes(f.SinceFrontier)
	if err != nil {
		return rep, fmt.Errorf("the export's frontier: %v", err)
	}
	proof, err := decodeHashes(f.ConsistencyProof)
	if err != nil {
		return rep, fmt.Errorf("the export's consistency proof: %v", err)
	}
	if len(frontier) != len(idx) {
		return rep, fmt.Errorf("the export has %d frontier hashes for size %d, want %d", len(frontier), since, len(idx))
	}
	m := hashMap{}
	for i, x := range idx {
		m[x] = frontier[i]
	}
	lines := make([][]byte, len(f.Records))
	for i, rec := range f.Records {
		line := []byte(rec)
		if len(line) >= MaxLineBytes || bytes.IndexByte(line, '\n') >= 0 {
			return rep, fmt.Errorf("record %d (line %d) is not one line of at most %d bytes", since+int64(i), since+int64(i)+1, MaxLineBytes)
		}
		lines[i] = line
		hs, err := tlog.StoredHashes(since+int64(i), line, m)
		if err != nil {
			return rep, err
		}
		for j, h := range hs {
			m[tlog.StoredHashIndex(0, since+int64(i))+int64(j)] = h
		}
	}
	root, err := tlog.TreeHash(n, m)
	if err != nil {
		return rep, err
	}
	prev := ""
	if since == 0 {
		prev = genesis
	}
	if root != cp.Root {
		return rep, fmt.Errorf("the records do not hash to the root the checkpoint signs: %s", whichRecordChanged(lines, since, prev))
	}
	entries, _, err := checkEntries(lines, since, prev)
	if err != nil {
		return rep, err
	}
	sinceRoot, err := tlog.TreeHash(since, m)
	if err != nil {
		return rep, err
	}

	rep = Report{Origin: cp.Origin, Key: v.Name(), Size: n, Root: cp.Root, Checkpoint: cp.Note, Since: since, TrustedSize: -1, Entries: entries, hashes: m}

	if f.SinceCheckpoint != "" {
		sc, err := OpenCheckpoint([]byte(f.SinceCheckpoint), v)
		if err != nil {
			return Report{}, fmt.Errorf("the export's checkpoint of size %d: %w", since, err)
		}
		if sc.Origin != cp.Origin || sc.Size != since {
			return Report{}, fmt.Errorf("the export's since checkpoint is log %q of size %d, want %q of size %d", sc.Origin, sc.Size, cp.Origin, since)
		}
		if sc.Root != sinceRoot {
			return Report{}, fmt.Errorf("fork: the signed checkpoint of size %d is not a prefix of the signed checkpoint of size %d", since, n)
		}
		rep.SinceCheckpointed = true
	}
	if since > 0 {
		if err := tlog.CheckTree(proof, n, cp.Root, since, sinceRoot); err != nil {
			return Report{}, fmt.Errorf("fork: the consistency proof from size %d to %d does not verify: %v", since, n, err)
		}
	} else if len(proof) != 0 {
		return Report{}, errors.New("the export has a consistency proof but starts at record 0")
	}

	if trusted != nil {
		tc, err := OpenCheckpoint(trusted, v)
		if err != nil {
			return Report{}, fmt.Errorf("the trusted checkpoint: %w", err)
		}
		if tc.Origin != cp.Origin {
			return Report{}, fmt.Errorf("the trusted checkpoint is for log %q, this export for %q", tc.Origin, cp.Origin)
		}
		switch {
		case tc.Size > n:
			return Report{}, fmt.Errorf("rollback: the trusted checkpoint signs %d records, this export only %d: an older state of the log is presented as new", tc.Size, n)
		case tc.Size == n && tc.Root != cp.Root:
			return Report{}, fmt.Errorf("fork: the trusted checkpoint and this export both sign %d records, with different roots (%s, %s): the device signed two different logs", n, tc.Root, cp.Root)
		case tc.Size < since:
			return Report{}, fmt.Errorf("this export starts at record %d, after the trusted checkpoint's size %d, so it cannot prove it extends that checkpoint: export again with --since %d", since, tc.Size, tc.Size)
		}
		th, err := tlog.TreeHash(tc.Size, m)
		if err != nil {
			return Report{}, err
		}
		if th != tc.Root {
			return Report{}, fmt.Errorf("fork: the first %d records of this export do not hash to the trusted checkpoint's root: the log was rewritten after the auditor saw it", tc.Size)
		}
		rep.TrustedSize = tc.Size
	}
	return rep, nil
}

// Hex is a hash in hex, for reports.
func Hex(h tlog.Hash) string { return hex.EncodeToString(h[:]) }

// whichRecordChanged says, for records that do not hash to the signed
// root, which one was changed where the prev chain can tell: an edited
// record no longer hashes to the prev of the record after it, so the
// auditor is told its number, kind and request rather than only that the
// export is broken. An edit of the last record, or of the frontier, shows
// only in the root.
func whichRecordChanged(lines [][]byte, since int64, prev string) string {
	for i := 0; i+1 < len(lines); i++ {
		var next Entry
		if json.Unmarshal(lines[i+1], &next) != nil {
			return fmt.Sprintf("record %d is not an audit entry: it was changed", since+int64(i)+1)
		}
		sum := sha256.Sum256(lines[i])
		if next.Prev == hex.EncodeToString(sum[:]) {
			continue
		}
		what := ""
		var e Entry
		if json.Unmarshal(lines[i], &e) == nil {
			var d struct {
				Request string `json:"request"`
			}
			_ = json.Unmarshal(e.Data, &d)
			what = " (" + e.Kind
			if d.Request != "" {
				what += ", request " + d.Request
			}
			what += ")"
		}
		return fmt.Sprintf("record %d%s was changed: record %d's prev hash does not match it", since+int64(i), what, since+int64(i)+1)
	}
	if len(lines) > 0 && prev == "" {
		return fmt.Sprintf("the last record (%d) or the frontier before record %d was changed, or records were reordered", since+int64(len(lines))-1, since)
	}
	if len(lines) > 0 {
		return fmt.Sprintf("the last record (%d) was changed, or records were reordered", since+int64(len(lines))-1)
	}
	return fmt.Sprintf("the frontier before record %d was changed", since)
}
