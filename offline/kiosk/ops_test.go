package kiosk

import (
	"bytes"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"airsign/offline/home"
	"airsign/offline/policy"
	"airsign/psbt"
	"airsign/psbt/approval"
	"airsign/psbt/auditlog"
	"airsign/shamir"
)

// entryKeys is the field names of the last entry of each kind, and its
// "via".
func entryKeys(t *testing.T, entries []auditlog.Entry, kind string) (keys []string, via string) {
	t.Helper()
	for i := len(entries) - 1; i >= 0; i-- {
		if entries[i].Kind != kind {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(entries[i].Data, &m); err != nil {
			t.Fatal(err)
		}
		via, _ = m["via"].(string)
		return slices.Sorted(maps.Keys(m)), via
	}
	t.Fatalf("no %s entry", kind)
	return nil, ""
}

// The app and the command line drive one core: a signing, an inspection, a
// health check and an audit export write entries of the same kind with the
// same fields, whichever front end drove them. Before the core owned the
// operations, the command line's sign entry had no policy and the app's
// inspect entry no refusals or inputs.
func TestAppAndCommandLineWriteTheSameEntries(t *testing.T) {
	kinds := []string{"inspect", "sign", "shares-verify", "audit-export"}

	app := newStation(t)
	k := app.kiosk(t, false)
	run(t, k, []step{
		{Begin{Flow: FlowSign}, `Scan sign problem=""`},
		{app.withdrawal(t, 150_000), `Review signable=true problem=""`},
		{Confirm{}, `Shares sign need=2 have=[] problem=""`},
		{app.share(1), `Shares sign need=2 have=[1] problem=""`},
		{app.share(3), `Signed inputs=2`},
		{Confirm{}, `Start wallets=1 notice=""`},
		{Begin{Flow: FlowHealth, Wallet: "vault"}, `Shares share health check need=2 have=[] problem=""`},
		{app.share(2), `Shares share health check need=2 have=[2] problem=""`},
		{app.share(3), `Done share health check ok=true "The shares are healthy"`},
		{Confirm{}, `Start wallets=1 notice=""`},
		{Begin{Flow: FlowAudit}, `AuditView`},
	})
	if v, err := k.Handle(ExportAudit{Dir: t.TempDir()}); err != nil || v.(AuditView).Exported == "" {
		t.Fatalf("app export: %v %+v", err, v)
	}
	appEntries, err := app.h.Log().Entries()
	if err != nil {
		t.Fatal(err)
	}

	cli := newStation(t)
	st := Station{Home: cli.h, Via: ViaCLI, Now: func() time.Time { return cli.now }}
	pay := cli.withdrawal(t, 150_000)
	l, err := LoadPSBT(cli.h, pay.Data, "w.psbt", "", cli.now)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := st.Inspect(l); err != nil || !r.Signable() {
		t.Fatalf("inspect: %v %+v", err, r.Refusals)
	}
	shares := func(idx ...int) []*shamir.Share {
		var out []*shamir.Share
		for _, i := range idx {
			sh, err := shamir.Parse(cli.share(i).Data)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, sh)
		}
		return out
	}
	if _, _, err := st.Sign(l, SignRequest{Shares: shares(1, 3)}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.VerifyShares(SharesCheck{Shares: shares(2, 3)}); err != nil {
		t.Fatal(err)
	}
	_, rep, err := st.AuditExport(0)
	if err == nil {
		err = st.Exported(rep, "export.json", 3)
	}
	if err != nil {
		t.Fatal(err)
	}
	cliEntries, err := cli.h.Log().Entries()
	if err != nil {
		t.Fatal(err)
	}

	for _, kind := range kinds {
		appKeys, appVia := entryKeys(t, appEntries, kind)
		cliKeys, cliVia := entryKeys(t, cliEntries, kind)
		if appVia != ViaApp || cliVia != ViaCLI {
			t.Errorf("%s: via %q and %q, want %q and %q", kind, appVia, cliVia, ViaApp, ViaCLI)
		}
		if got, want := strings.Join(cliKeys, ","), strings.Join(appKeys, ","); got != want {
			t.Errorf("%s entry fields:\n command line %s\n app          %s", kind, got, want)
		}
	}
}

// A refusal and a failure are told apart, and both are logged: a caller
// shows the first as a refusal and asks for shares again after the second.
func TestStationSignOutcomes(t *testing.T) {
	s := newStation(t)
	st := Station{Home: s.h, Via: ViaCLI, Now: func() time.Time { return s.now }}
	parse := func(words []byte) *shamir.Share {
		sh, err := shamir.Parse(bytes.Clone(words))
		if err != nil {
			t.Fatal(err)
		}
		return sh
	}
	pay := s.withdrawal(t, 150_000)
	l, err := LoadPSBT(s.h, pay.Data, "w.psbt", "", s.now)
	if err != nil {
		t.Fatal(err)
	}
	var failure *SignFailure
	if _, _, err := st.Sign(l, SignRequest{Shares: []*shamir.Share{parse(s.shares[0]), parse(s.other[1])}}); !errors.As(err, &failure) || !errors.Is(err, ErrWrongSet) {
		t.Fatalf("a share of another set: %v, want a SignFailure of ErrWrongSet", err)
	}
	if _, _, err := st.Sign(l, SignRequest{ReadErr: errors.New("share-2.txt: unreadable")}); !errors.As(err, &failure) {
		t.Fatalf("a share file that did not read: %v, want a SignFailure", err)
	}
	signed, _, err := st.Sign(l, SignRequest{Shares: []*shamir.Share{parse(s.shares[0]), parse(s.shares[1])}})
	if err != nil || len(signed) == 0 {
		t.Fatalf("sign: %v", err)
	}
	var refusal *Refusal
	if _, _, err := st.Sign(l, SignRequest{Shares: []*shamir.Share{parse(s.shares[0]), parse(s.shares[1])}}); !errors.As(err, &refusal) || !refusal.Again {
		t.Fatalf("signing it again unconfirmed: %v, want a Refusal that confirmation lifts", err)
	}
	if _, _, err := st.Sign(l, SignRequest{Shares: []*shamir.Share{parse(s.shares[0]), parse(s.shares[1])}, Again: true}); err != nil {
		t.Fatalf("signing it again, confirmed: %v", err)
	}
	entries, err := s.h.Log().Entries()
	if err != nil {
		t.Fatal(err)
	}
	var results []string
	for _, e := range entries {
		if e.Kind == "sign" {
			var m struct{ Result string }
			if err := json.Unmarshal(e.Data, &m); err != nil {
				t.Fatal(err)
			}
			results = append(results, m.Result)
		}
	}
	if got, want := strings.Join(results, " "), "failed failed signed refused signed"; got != want {
		t.Fatalf("sign entries %q, want %q", got, want)
	}
}

// The front ends are flags and wiring: no file of the command line or the
// app writes an audit entry itself (home.Log().Append); every entry comes
// from the core, where both front ends share it. A front end that logged
// on its own would write other fields than the other, or skip them.
func TestFrontEndsWriteNoEntries(t *testing.T) {
	for _, dir := range []string{"../../cmd/airsign-kiosk", "../../ui/kioskapp"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no Go files (%v)", dir, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			fset := token.NewFileSet()
			file, err := parser.ParseFile(fset, f, src, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(file, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "Append" {
					return true
				}
				if recv, ok := sel.X.(*ast.CallExpr); ok {
					if rs, ok := recv.Fun.(*ast.SelectorExpr); ok && rs.Sel.Name == "Log" {
						t.Errorf("%s: writes an audit entry itself; do it in a kiosk.Station method", fset.Position(call.Pos()))
					}
				}
				return true
			})
		}
	}
}

// The rollback a disk alone allows: the audit log and its checkpoints are
// put back to an earlier copy (every prefix verifies, no key needed), which
// forgets the last signature and empties the 24-hour window. The
// checkpoint the kiosk handed out with that signature comes back in the
// coordinator's next PSBT, and the kiosk refuses to sign on a log that
// does not extend it.
func TestCarriedCheckpointCatchesRollback(t *testing.T) {
	s := newStation(t)
	st := Station{Home: s.h, Via: ViaCLI, Now: func() time.Time { return s.now }}
	logFiles := []string{"audit.log", "audit.checkpoints"}
	snapshot := map[string][]byte{}
	for _, f := range logFiles {
		data, err := os.ReadFile(filepath.Join(s.h.Dir(), f))
		if err != nil {
			t.Fatal(err)
		}
		snapshot[f] = data
	}
	parse := func(i int) *shamir.Share {
		sh, err := shamir.Parse(s.share(i).Data)
		if err != nil {
			t.Fatal(err)
		}
		return sh
	}
	first, err := LoadPSBT(s.h, s.withdrawal(t, 150_000).Data, "first.psbt", "", s.now)
	if err != nil {
		t.Fatal(err)
	}
	signed, _, err := st.Sign(first, SignRequest{Shares: []*shamir.Share{parse(1), parse(3)}})
	if err != nil {
		t.Fatal(err)
	}
	signedPacket, err := psbt.Decode(signed)
	if err != nil {
		t.Fatal(err)
	}
	carried, errs := auditlog.CarriedCheckpoints(signedPacket)
	if len(carried) != 1 || len(errs) != 0 || carried[0].VerifierKey != s.h.VerifierKey() {
		t.Fatalf("the signed PSBT carries %+v, %v; want this kiosk's checkpoint", carried, errs)
	}
	// The coordinator's next PSBT carries it back.
	next := func(t *testing.T, h *home.Home) *Loaded {
		p, err := psbt.Decode(s.withdrawalTo(t, 120_000, 1, 1).Data)
		if err != nil {
			t.Fatal(err)
		}
		if err := auditlog.Carry(p, carried[0].VerifierKey, carried[0].Checkpoint); err != nil {
			t.Fatal(err)
		}
		raw, err := psbt.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		l, err := LoadPSBT(h, raw, "next.psbt", "", s.now)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	if r, err := ReviewPSBT(s.h, next(t, s.h), s.now); err != nil || !r.Signable() {
		t.Fatalf("the honest kiosk: %v %q", err, r.Refusals)
	}

	for _, f := range logFiles {
		if err := os.WriteFile(filepath.Join(s.h.Dir(), f), snapshot[f], 0o600); err != nil {
			t.Fatal(err)
		}
	}
	rolled, err := home.Open(s.h.Dir())
	if err != nil {
		t.Fatalf("the cut-back log opens and verifies on its own (this is the attack): %v", err)
	}
	r, err := ReviewPSBT(rolled, next(t, rolled), s.now)
	if err != nil {
		t.Fatal(err)
	}
	if r.Signable() || !errors.Is(r.Tampered, ErrTampered) || !strings.Contains(r.Refusals[0], "cut back or replaced") {
		t.Fatalf("after the rollback: signable %v, tampered %v, refusals %q; want a refusal naming the rollback", r.Signable(), r.Tampered, r.Refusals)
	}
	stRolled := Station{Home: rolled, Via: ViaCLI, Now: func() time.Time { return s.now }}
	var refusal *Refusal
	if _, _, err := stRolled.Sign(next(t, rolled), SignRequest{Shares: []*shamir.Share{parse(1), parse(3)}}); !errors.As(err, &refusal) {
		t.Fatalf("signing after the rollback: %v, want a refusal", err)
	}
}

// A clock that reads earlier than the last audit entry is refused: the
// 24-hour window and the lock-time bound are measured by it.
func TestClockSetBackIsRefused(t *testing.T) {
	s := newStation(t)
	s.now = t0.Add(2 * time.Hour)
	st := Station{Home: s.h, Via: ViaCLI, Now: func() time.Time { return s.now }}
	l, err := LoadPSBT(s.h, s.withdrawal(t, 100_000).Data, "w.psbt", "", s.now)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := st.Inspect(l); err != nil || !r.Signable() {
		t.Fatalf("clock right: %v %q", err, r.Refusals)
	}
	for _, tc := range []struct {
		back     time.Duration
		signable bool
	}{{30 * time.Second, true}, {time.Hour, false}} {
		now := s.now.Add(-tc.back)
		r, err := ReviewPSBT(s.h, l, now)
		if err != nil {
			t.Fatal(err)
		}
		if r.Signable() != tc.signable || (!tc.signable && !strings.Contains(r.Refusals[0], "before its last audit entry")) {
			t.Errorf("clock %v back: signable %v, refusals %q; want signable %v", tc.back, r.Signable(), r.Refusals, tc.signable)
		}
	}
}

// A policy or approvers that no logged change made (a file put back from
// another time: it carries this kiosk's signature, so nothing else wrote
// it) are tampering, as a deleted one is.
func TestStateNoLoggedChangeMade(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(t *testing.T, s *station, st *policy.Store)
		want  string
	}{
		{"policy", func(t *testing.T, s *station, st *policy.Store) {
			if err := st.SetPolicy(s.wallet.Name, policy.Policy{MaxTx: 1_000_000_000}); err != nil {
				t.Fatal(err)
			}
		}, `wallet "vault" has a policy (digest`},
		{"approvers", func(t *testing.T, s *station, st *policy.Store) {
			id, _ := s.wallet.IdentityDigest()
			if err := st.AddApprover(id, "mallory", approval.StationKey(bytes.Repeat([]byte{7}, 32)), s.now); err != nil {
				t.Fatal(err)
			}
		}, "1 approver(s) are enrolled, but no enrolment is in the log"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStation(t)
			if err := CheckState(s.h); err != nil {
				t.Fatalf("a fresh station: %v", err)
			}
			tc.write(t, s, policy.NewStore(s.h.Dir(), s.h))
			if err := CheckState(s.h); !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want tampering: %q", err, tc.want)
			}
		})
	}
}

// A refused registration is logged under the name it would have had; the
// wallet it did not register is not missing from the disk.
func TestStateRefusedRegistration(t *testing.T) {
	s := newStation(t)
	st := Station{Home: s.h, Via: "test"}
	if err := st.refused("wallet-add", map[string]any{"wallet": "never", "descriptor": s.desc.String()}, errors.New("the shares do not make the quorum")); err == nil {
		t.Fatal("refused returned no error")
	}
	if err := CheckState(s.h); err != nil {
		t.Errorf("CheckState after a refused registration: got %v, want nil", err)
	}
}
