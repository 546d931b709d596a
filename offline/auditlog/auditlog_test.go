package auditlog

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func newLog(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.log")
	l, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := l.Append("event", map[string]int{"i": i}, t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func TestAppendAndReopen(t *testing.T) {
	path := newLog(t, 3)
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := l.Len(), uint64(3); got != want {
		t.Fatalf("Len() = %d, want %d", got, want)
	}
	if err := l.Append("more", nil, t0); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	entries, err := Verify(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(entries), 4; got != want {
		t.Fatalf("got %d entries, want %d", got, want)
	}
	if got, want := entries[3].Kind, "more"; got != want {
		t.Errorf("entry 3 kind = %q, want %q", got, want)
	}
	if got, want := string(entries[1].Data), `{"i":1}`; got != want {
		t.Errorf("entry 1 data = %s, want %s", got, want)
	}
	if _, err := Create(path); err == nil {
		t.Error("Create over an existing log succeeded, want an error")
	}
}

func TestTamperingDetected(t *testing.T) {
	path := newLog(t, 4)
	orig, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(orig), "\n")
	lines = lines[:len(lines)-1] // trailing empty piece

	tests := []struct {
		name string
		log  string
		want string
	}{
		{"edited value", strings.Replace(string(orig), `"i":2`, `"i":7`, 1), "line 4 does not follow line 3"},
		{"removed middle line", lines[0] + lines[2] + lines[3], "line 2 has sequence number 2, want 1"},
		{"swapped lines", lines[0] + lines[2] + lines[1] + lines[3], "line 2 has sequence number 2"},
		{"garbage", lines[0] + "{\n", "line 2 is not an audit entry"},
		{"unknown field", lines[0] + `{"seq":1,"evil":true}` + "\n", "line 2 is not an audit entry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Verify(strings.NewReader(tt.log))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
			p := filepath.Join(t.TempDir(), "audit.log")
			os.WriteFile(p, []byte(tt.log), 0o600)
			if _, err := Open(p); err == nil {
				t.Error("Open accepted a tampered log")
			}
		})
	}
}

func TestLineTooLong(t *testing.T) {
	path := newLog(t, 0)
	l, _ := Open(path)
	if err := l.Append("big", strings.Repeat("x", MaxLineBytes), t0); err == nil {
		t.Error("Append of an oversized entry succeeded")
	}
	long := strings.Repeat("x", MaxLineBytes+10) + "\n"
	if _, err := Verify(strings.NewReader(long)); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("got %v, want a line-too-long error", err)
	}
}
