package kiosk

import (
	"crypto/ed25519"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"airsign/offline/home"
	"airsign/psbt"
	"airsign/psbt/auditlog"
	"airsign/shamir"
)

type coordKey ed25519.PrivateKey

func (k coordKey) Sign(msg []byte) []byte { return ed25519.Sign(ed25519.PrivateKey(k), msg) }
func (k coordKey) PublicKey() ed25519.PublicKey {
	return ed25519.PrivateKey(k).Public().(ed25519.PublicKey)
}

// TestCoordinatorWitnessed: the kiosk records the coordinator checkpoint
// each PSBT carries in its sign entry, with the request, the outputs and
// the verdict, and refuses a later PSBT whose coordinator log is behind or
// forked.
func TestCoordinatorWitnessed(t *testing.T) {
	s := newStation(t)
	st := Station{Home: s.h, Via: ViaCLI, Now: func() time.Time { return s.now }}
	key := coordKey(ed25519.NewKeyFromSeed(make([]byte, 32)))
	coordLog := func(dir string, n int) *auditlog.Log {
		l, err := auditlog.Create(filepath.Join(dir, "audit.log"), auditlog.CoordinatorOrigin+"test", key)
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if err := l.Append("event", map[string]int{"i": i}, s.now); err != nil {
				t.Fatal(err)
			}
		}
		return l
	}
	main := coordLog(t.TempDir(), 5)
	carrying := func(l *auditlog.Log) *Loaded {
		p, err := psbt.Decode(s.withdrawalTo(t, 120_000, 1, 1).Data)
		if err != nil {
			t.Fatal(err)
		}
		cp, err := l.Checkpoint()
		if err != nil {
			t.Fatal(err)
		}
		if err := auditlog.Carry(p, l.VerifierKey(), cp); err != nil {
			t.Fatal(err)
		}
		raw, err := psbt.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		ld, err := LoadPSBT(s.h, raw, "c.psbt", "", s.now)
		if err != nil {
			t.Fatal(err)
		}
		return ld
	}
	shares := make([]*shamir.Share, 0, 2)
	for _, i := range []int{1, 3} {
		sh, err := shamir.Parse(s.share(i).Data)
		if err != nil {
			t.Fatal(err)
		}
		shares = append(shares, sh)
	}
	if _, _, err := st.Sign(carrying(main), SignRequest{Shares: shares}); err != nil {
		t.Fatal(err)
	}
	entry := lastEntry(t, s.h)
	var got struct {
		Coordinator auditlog.CheckpointRecord `json:"coordinator_checkpoint"`
		Outputs     []auditlog.Output         `json:"outputs"`
		Verdict     string                    `json:"verdict"`
		Result      string                    `json:"result"`
	}
	if err := json.Unmarshal(entry.Data, &got); err != nil {
		t.Fatal(err)
	}
	if entry.Kind != "sign" || got.Result != "signed" || got.Coordinator.Size != 5 || got.Verdict != "signable" || len(got.Outputs) == 0 {
		t.Fatalf("sign entry %s, want the coordinator checkpoint of size 5, the outputs and the verdict", entry.Data)
	}

	for _, tc := range []struct {
		name string
		log  *auditlog.Log
		want string // in the refusal; "" for none
	}{
		{"the log grew", coordLog(t.TempDir(), 7), ""},
		{"a smaller log", coordLog(t.TempDir(), 3), "behind what an earlier PSBT showed"},
		{"another log of the same size", func() *auditlog.Log {
			l := coordLog(t.TempDir(), 4)
			if err := l.Append("other", map[string]int{"i": 99}, s.now); err != nil {
				t.Fatal(err)
			}
			return l
		}(), "rewritten"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ReviewPSBT(s.h, carrying(tc.log), s.now)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(r.Refusals, "; ")
			if (tc.want == "") != r.Signable() || !strings.Contains(got, tc.want) {
				t.Errorf("refusals %q, want one containing %q", got, tc.want)
			}
		})
	}
}

func lastEntry(t *testing.T, h *home.Home) auditlog.Entry {
	t.Helper()
	es, err := h.Log().Entries()
	if err != nil || len(es) == 0 {
		t.Fatalf("entries: %v", err)
	}
	return es[len(es)-1]
}
