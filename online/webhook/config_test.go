package webhook

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckConfig is coordinators started one after the other on one
// database: those configured as the one before them start quietly, one
// configured otherwise says so in its log and its audit log.
func TestCheckConfig(t *testing.T) {
	ctx := context.Background()
	c := &clock{now: t0}
	st := openStore(t, filepath.Join(t.TempDir(), "coordinator.db"))
	const x, y = "https://x.example/hook?token=sekrit", "https://y.example/hook"
	const secretB = "fedcba9876543210fedcba9876543210"
	steps := []struct {
		what   string
		eps    []Endpoint
		differ bool
	}{
		{"the first", []Endpoint{{URL: x, Secret: []byte(secretA)}, {URL: y, Secret: []byte(secretA)}}, false},
		{"the same in another order", []Endpoint{{URL: y, Secret: []byte(secretA)}, {URL: x, Secret: []byte(secretA)}}, false},
		{"another secret for y", []Endpoint{{URL: x, Secret: []byte(secretA)}, {URL: y, Secret: []byte(secretB)}}, true},
		{"the same again", []Endpoint{{URL: x, Secret: []byte(secretA)}, {URL: y, Secret: []byte(secretB)}}, false},
		{"allow_internal on x", []Endpoint{{URL: x, Secret: []byte(secretA), AllowInternal: true}, {URL: y, Secret: []byte(secretB)}}, true},
		{"y left out", []Endpoint{{URL: x, Secret: []byte(secretA), AllowInternal: true}}, true},
		{"none", nil, true},
	}
	for i, s := range steps {
		var logs []string
		var records []map[string]any
		q, err := New(st, Options{Endpoints: s.eps, Now: c.Now, Holder: fmt.Sprintf("p%d", i+1),
			Logf: func(f string, args ...any) { logs = append(logs, fmt.Sprintf(f, args...)) },
			Record: func(kind string, data map[string]any) error {
				if kind != "webhooks-config-differs" {
					t.Errorf("%s: recorded %s", s.what, kind)
				}
				records = append(records, data)
				return nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		differs, err := q.CheckConfig(ctx)
		if err != nil || differs != s.differ {
			t.Fatalf("%s: CheckConfig = %v, %v; want %v", s.what, differs, err, s.differ)
		}
		if !s.differ {
			if logs != nil || records != nil {
				t.Errorf("%s: logged %q, recorded %v; want nothing", s.what, logs, records)
			}
			continue
		}
		if len(logs) != 1 || !strings.Contains(logs[0], "WARNING") || !strings.Contains(logs[0], fmt.Sprintf("process p%d", i)) {
			t.Errorf("%s: logged %q; want a warning naming p%d", s.what, logs, i)
		}
		if len(records) != 1 || records[0]["process"] != fmt.Sprintf("p%d", i+1) || records[0]["other_process"] != fmt.Sprintf("p%d", i) {
			t.Errorf("%s: recorded %v; want one entry naming p%d and p%d", s.what, records, i+1, i)
		}
		for _, secret := range []string{"sekrit", "x.example", secretA, secretB} {
			if strings.Contains(fmt.Sprint(logs, records), secret) {
				t.Errorf("%s: the log or the audit entry shows %q", s.what, secret)
			}
		}
	}
}
