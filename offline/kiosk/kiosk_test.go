package kiosk

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"

	"airsign/offline/ceremony"
	"airsign/offline/hd"
	"airsign/offline/home"
	"airsign/offline/policy"
	"airsign/psbt"
	"airsign/psbt/approval"
	"airsign/psbt/descriptor"
	"airsign/shamir"
)

var t0 = time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)

// station is a kiosk home with one 2-of-3 P2WPKH wallet from a real
// ceremony, its shares as their text form, and a clock the test moves.
type station struct {
	h      *home.Home
	wallet home.Wallet
	desc   *descriptor.Descriptor
	shares [][]byte // share i+1's words
	other  [][]byte // shares of another wallet's set
	now    time.Time
	up     []string
}

func newStation(t testing.TB) *station {
	t.Helper()
	h, err := home.Init(t.TempDir(), rand.Reader, t0)
	if err != nil {
		t.Fatal(err)
	}
	s := &station{h: h, now: t0}
	var inUse []uint16 // so that the two sets never share an id
	for i, name := range []string{"vault", "spare"} {
		res, err := ceremony.Run(ceremony.Params{Network: descriptor.Regtest, Script: descriptor.P2WPKH,
			Threshold: 2, Total: 3, Words: 12, Name: name, InUse: inUse}, rand.Reader, t0, h)
		if err != nil {
			t.Fatal(err)
		}
		inUse = append(inUse, res.Shares[0].SetID)
		var words [][]byte
		for _, sh := range res.Shares {
			words = append(words, sh.Words())
		}
		if i == 0 {
			s.wallet, s.desc, s.shares = res.Wallet(), res.Descriptor, words
			if err := h.AddWallet(res.Wallet()); err != nil {
				t.Fatal(err)
			}
		} else {
			s.other = words
		}
		res.Wipe()
	}
	return s
}

func (s *station) kiosk(t *testing.T, allow bool) *Kiosk {
	t.Helper()
	k, err := New(Config{Home: s.h, Now: func() time.Time { return s.now },
		Interfaces: func() ([]string, error) { return s.up, nil }, AllowNetwork: allow})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// setPolicy stores the wallet's policy with its quorum, as policy set
// does, so the audit log records it.
func (s *station) setPolicy(t *testing.T, p policy.Policy) {
	t.Helper()
	var shares []*shamir.Share
	for _, i := range []int{1, 2} {
		sh, err := shamir.Parse(s.share(i).Data)
		if err != nil {
			t.Fatal(err)
		}
		shares = append(shares, sh)
	}
	st := Station{Home: s.h, Via: ViaCLI, Now: func() time.Time { return s.now }}
	if _, _, err := st.ChangePolicy(&s.wallet, p, "policy-set", shares); err != nil {
		t.Fatal(err)
	}
}

// logApprovers records approvers written to the store directly (for a
// wallet whose shares the test does not hold) as an enrolment would.
func (s *station) logApprovers(t *testing.T) {
	t.Helper()
	all, err := policy.NewStore(s.h.Dir(), s.h).AllApprovers()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.h.Log().Append("approver-add", map[string]any{"result": "done", "approvers_digest": policy.ApproversDigest(all)}, s.now); err != nil {
		t.Fatal(err)
	}
}

// share returns a fresh copy of share i's words (Handle wipes what it gets).
func (s *station) share(i int) ShareScanned { return ShareScanned{Data: bytes.Clone(s.shares[i-1])} }

// withdrawal is a PSBT spending two coins of the wallet to a foreign
// address with change, built the way the coordinator builds it: full
// previous transactions, witness UTXOs, derivations on inputs and change.
func (s *station) withdrawal(t testing.TB, pay btcutil.Amount) PSBTScanned {
	t.Helper()
	return s.withdrawalTo(t, pay, 1, 0)
}

// withdrawalTo is withdrawal with its change at branch/index.
func (s *station) withdrawalTo(t testing.TB, pay btcutil.Amount, branch, index uint32) PSBTScanned {
	t.Helper()
	return encodePSBT(t, paymentPSBT(t, s.desc, masterRooted(s.desc), 0, pay, branch, index))
}

type step struct {
	ev   Event
	want string // the screen's type and key facts, see describe
}

// describe reduces a screen to what a flow table checks.
func describe(s Screen) string {
	switch s := s.(type) {
	case Start:
		return fmt.Sprintf("Start wallets=%d notice=%q", len(s.Wallets), s.Notice)
	case Scan:
		return fmt.Sprintf("Scan %s problem=%q", s.Flow, s.Problem)
	case Review:
		return fmt.Sprintf("Review signable=%v problem=%q", s.Signable(), s.Problem)
	case Shares:
		var idx []int
		for _, a := range s.Accepted {
			idx = append(idx, a.Index)
		}
		return fmt.Sprintf("Shares %s need=%d have=%v problem=%q", s.Flow, s.Need, idx, s.Problem)
	case Signed:
		return fmt.Sprintf("Signed inputs=%d", s.Inputs)
	case Done:
		return fmt.Sprintf("Done %s ok=%v %q", s.Flow, s.OK, s.Title)
	case RegisterReview:
		return fmt.Sprintf("RegisterReview problem=%q", s.Problem)
	case AuditView:
		return "AuditView"
	}
	return fmt.Sprintf("%T", s)
}

// run plays steps and checks each screen; a want ending in "…" matches
// its prefix.
func run(t *testing.T, k *Kiosk, steps []step) {
	t.Helper()
	for i, st := range steps {
		got, err := k.Handle(st.ev)
		if err != nil {
			t.Fatalf("step %d %T: %v", i, st.ev, err)
		}
		g := describe(got)
		if want, prefix := strings.CutSuffix(st.want, "…"); (prefix && !strings.HasPrefix(g, want)) || (!prefix && g != st.want) {
			t.Fatalf("step %d %T:\n got %s\nwant %s", i, st.ev, g, st.want)
		}
	}
}

func TestSignFlow(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps func(s *station, pay PSBTScanned) []step
	}{
		{"sign with shares 1 and 3", func(s *station, pay PSBTScanned) []step {
			return []step{
				{Begin{Flow: FlowSign}, `Scan sign problem=""`},
				{pay, `Review signable=true problem=""`},
				{Confirm{}, `Shares sign need=2 have=[] problem=""`},
				{s.share(1), `Shares sign need=2 have=[1] problem=""`},
				{s.share(3), `Signed inputs=2`},
				{Confirm{}, `Start wallets=1 notice=""`},
			}
		}},
		{"a share of another set is refused, then the right one signs", func(s *station, pay PSBTScanned) []step {
			return []step{
				{Begin{Flow: FlowSign}, `Scan sign problem=""`},
				{pay, `Review signable=true problem=""`},
				{Confirm{}, `Shares sign need=2 have=[] problem=""`},
				{s.share(2), `Shares sign need=2 have=[2] problem=""`},
				{ShareScanned{Data: bytes.Clone(s.other[0])}, `Shares sign need=2 have=[2] problem="share of another set: share 1 is of set …`},
				{s.share(2), `Shares sign need=2 have=[2] problem="share 2 was already accepted; scan another custodian's share"`},
				{ShareScanned{Data: []byte("abandon abandon")}, `Shares sign need=2 have=[2] problem="that share was not accepted: …`},
				{s.share(1), `Signed inputs=2`},
			}
		}},
		{"back from shares wipes them and returns to the review", func(s *station, pay PSBTScanned) []step {
			return []step{
				{Begin{Flow: FlowSign}, `Scan sign problem=""`},
				{pay, `Review signable=true problem=""`},
				{Confirm{}, `Shares sign need=2 have=[] problem=""`},
				{s.share(1), `Shares sign need=2 have=[1] problem=""`},
				{Back{}, `Review signable=true problem=""`},
				{Confirm{}, `Shares sign need=2 have=[] problem=""`},
			}
		}},
		{"cancel at the shares", func(s *station, pay PSBTScanned) []step {
			return []step{
				{Begin{Flow: FlowSign}, `Scan sign problem=""`},
				{pay, `Review signable=true problem=""`},
				{Confirm{}, `Shares sign need=2 have=[] problem=""`},
				{s.share(1), `Shares sign need=2 have=[1] problem=""`},
				{Cancel{}, `Start wallets=1 notice="sign cancelled; nothing was kept"`},
			}
		}},
		{"cancel at the review and at the scan", func(s *station, pay PSBTScanned) []step {
			return []step{
				{Begin{Flow: FlowSign}, `Scan sign problem=""`},
				{Cancel{}, `Start wallets=1 notice="sign cancelled; nothing was kept"`},
				{Begin{Flow: FlowSign}, `Scan sign problem=""`},
				{pay, `Review signable=true problem=""`},
				{Back{}, `Scan sign problem=""`},
				{pay, `Review signable=true problem=""`},
				{Cancel{}, `Start wallets=1 notice="sign cancelled; nothing was kept"`},
			}
		}},
		{"garbage instead of a PSBT", func(s *station, pay PSBTScanned) []step {
			return []step{
				{Begin{Flow: FlowSign}, `Scan sign problem=""`},
				{PSBTScanned{Data: []byte("not a psbt"), Source: "wedge"}, `Scan sign problem="wedge: …`},
				{WalletScanned{Data: []byte("wpkh(...)")}, `Scan sign problem="that is a wallet descriptor; scan the withdrawal PSBT"`},
			}
		}},
		{"signed before: it says so, and only an explicit confirmation goes on", func(s *station, pay PSBTScanned) []step {
			return []step{
				{Begin{Flow: FlowSign}, `Scan sign problem=""`},
				{pay, `Review signable=true problem=""`},
				{Confirm{}, `Shares sign need=2 have=[] problem=""`},
				{s.share(1), `Shares sign need=2 have=[1] problem=""`},
				{s.share(3), `Signed inputs=2`},
				{Confirm{}, `Start wallets=1 notice=""`},
				{Begin{Flow: FlowSign}, `Scan sign problem=""`},
				{pay, `Review signable=true problem=""`},
				{Confirm{}, `Review signable=true problem="signed here before: this transaction was already signed here at …`},
				{ConfirmAgain{}, `Shares sign need=2 have=[] problem=""`},
				{Back{}, `Review signable=true problem=""`},
				{Cancel{}, `Start wallets=1 notice="sign cancelled; nothing was kept"`},
				{Begin{Flow: FlowSign}, `Scan sign problem=""`},
				{s.withdrawal(t, 120_000), `Review signable=true problem=""`}, // another transaction, the same coins
				{Confirm{}, `Review signable=true problem="signed here before: coin …`},
			}
		}},
		{"a refused PSBT stops at the review", func(s *station, pay PSBTScanned) []step {
			return []step{
				{Begin{Flow: FlowSign}, `Scan sign problem=""`},
				{s.withdrawal(t, 100), `Review signable=false problem=""`}, // a dust payment
				{Confirm{}, `Review signable=false problem="this PSBT is refused; nothing can be signed: …`},
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A station of its own: a transaction signed in one flow is
			// "signed before" in the next.
			s := newStation(t)
			k := s.kiosk(t, false)
			run(t, k, tc.steps(s, s.withdrawal(t, 150_000)))
			if k.HoldsSecrets() {
				t.Fatal("the kiosk still holds shares after the flow")
			}
		})
	}
}

// The signed PSBT verifies and finalizes: the flow really signed.
func TestSignedPSBTFinalizes(t *testing.T) {
	s := newStation(t)
	k := s.kiosk(t, false)
	var last Screen
	for _, ev := range []Event{Begin{Flow: FlowSign}, s.withdrawal(t, 120_000), Confirm{}, s.share(2), s.share(3)} {
		var err error
		if last, err = k.Handle(ev); err != nil {
			t.Fatal(err)
		}
	}
	signed, ok := last.(Signed)
	if !ok {
		t.Fatalf("got %s, want Signed", describe(last))
	}
	p, err := psbt.Decode(signed.PSBT)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := psbt.VerifySignatures(p); err != nil || n != 2 {
		t.Fatalf("VerifySignatures = %d, %v; want 2 good signatures", n, err)
	}
	if _, err := psbt.Finalize(p); err != nil {
		t.Fatalf("Finalize: %v", err)
	}
}

func TestHealthCheckFlow(t *testing.T) {
	s := newStation(t)
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"healthy", []step{
			{Begin{Flow: FlowHealth, Wallet: "vault"}, `Shares share health check need=2 have=[] problem=""`},
			{s.share(3), `Shares share health check need=2 have=[3] problem=""`},
			{s.share(1), `Done share health check ok=true "The shares are healthy"`},
			{Confirm{}, `Start wallets=1 notice=""`},
		}},
		{"unknown wallet", []step{
			{Begin{Flow: FlowHealth, Wallet: "nope"}, `Start wallets=1 notice="no wallet \"nope\" to check"`},
		}},
		{"back", []step{
			{Begin{Flow: FlowHealth, Wallet: "vault"}, `Shares share health check need=2 have=[] problem=""`},
			{s.share(3), `Shares share health check need=2 have=[3] problem=""`},
			{Back{}, `Start wallets=1 notice=""`},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := s.kiosk(t, false)
			run(t, k, tc.steps)
			if k.HoldsSecrets() {
				t.Fatal("the kiosk still holds shares after the flow")
			}
		})
	}
}

// With a network interface up, no key is activated unless the station was
// started with the override.
func TestAirGap(t *testing.T) {
	s := newStation(t)
	s.up = []string{"eth0"}
	k := s.kiosk(t, false)
	st := k.Screen().(Start)
	if st.AirGap.Offline() || st.AirGap.MayActivate() {
		t.Fatalf("start screen air gap %+v with eth0 up", st.AirGap)
	}
	run(t, k, []step{
		{Begin{Flow: FlowHealth, Wallet: "vault"}, `Start wallets=1 notice="network interface eth0 is up: no key is activated while the station is connected; unplug it, or restart with --allow-network (logged)"`},
		{Begin{Flow: FlowSign}, `Scan sign problem=""`},
		{s.withdrawal(t, 150_000), `Review signable=true problem=""`},
		{Confirm{}, `Review signable=true problem="network interface eth0 is up: …`},
	})
	// Unplugged: the same review proceeds.
	s.up = nil
	run(t, k, []step{{Confirm{}, `Shares sign need=2 have=[] problem=""`}})

	s.up = []string{"wlan0"}
	k = s.kiosk(t, true)
	run(t, k, []step{
		{Begin{Flow: FlowHealth, Wallet: "vault"}, `Shares share health check need=2 have=[] problem=""`},
	})
}

// Idle for IdleAfter, the station wipes what it holds and returns to the
// start screen; before that, ticks change nothing.
func TestIdleLock(t *testing.T) {
	s := newStation(t)
	k := s.kiosk(t, false)
	run(t, k, []step{
		{Begin{Flow: FlowSign}, `Scan sign problem=""`},
		{s.withdrawal(t, 150_000), `Review signable=true problem=""`},
		{Confirm{}, `Shares sign need=2 have=[] problem=""`},
		{s.share(1), `Shares sign need=2 have=[1] problem=""`},
	})
	if !k.HoldsSecrets() {
		t.Fatal("no share held after one was accepted")
	}
	run(t, k, []step{{Tick{Now: s.now.Add(DefaultIdleAfter - time.Second)}, `Shares sign need=2 have=[1] problem=""`}})
	run(t, k, []step{{Tick{Now: s.now.Add(DefaultIdleAfter)}, `Start wallets=1 notice="locked after 5m0s without input; the shares entered were wiped from memory"`}})
	if k.HoldsSecrets() || k.loaded != nil || k.wallet != nil {
		t.Fatal("the lock left session state behind")
	}
	// On the start screen the clock does nothing.
	run(t, k, []step{{Tick{Now: s.now.Add(time.Hour)}, `Start wallets=1 notice="locked after 5m0s without input; the shares entered were wiped from memory"`}})
}

// LocksIn counts down to the idle lock, which the front end warns of;
// Active (the operator answering the warning) restarts the count and
// changes nothing else.
func TestActiveDelaysIdleLock(t *testing.T) {
	s := newStation(t)
	k := s.kiosk(t, false)
	if _, ok := k.LocksIn(s.now); ok {
		t.Fatal("the start screen counts down to a lock")
	}
	run(t, k, []step{{Begin{Flow: FlowSign}, `Scan sign problem=""`}})
	if left, ok := k.LocksIn(s.now.Add(4 * time.Minute)); !ok || left != time.Minute {
		t.Fatalf("LocksIn after 4 minutes: %v %v, want 1m0s true", left, ok)
	}
	s.now = s.now.Add(4 * time.Minute)
	run(t, k, []step{
		{Active{}, `Scan sign problem=""`},
		{Tick{Now: s.now.Add(DefaultIdleAfter - time.Second)}, `Scan sign problem=""`},
	})
	if left, _ := k.LocksIn(s.now); left != DefaultIdleAfter {
		t.Fatalf("LocksIn right after Active: %v, want %v", left, DefaultIdleAfter)
	}
}

// Handle wipes the share bytes it was given, accepted or not.
func TestShareBytesWiped(t *testing.T) {
	s := newStation(t)
	k := s.kiosk(t, false)
	run(t, k, []step{{Begin{Flow: FlowHealth, Wallet: "vault"}, `Shares share health check need=2 have=[] problem=""`}})
	for _, data := range [][]byte{bytes.Clone(s.shares[0]), bytes.Clone(s.other[1]), []byte("garbage words")} {
		if _, err := k.Handle(ShareScanned{Data: data}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, make([]byte, len(data))) {
			t.Fatalf("share input %q... was not wiped", data[:min(8, len(data))])
		}
	}
}

func TestUnexpectedEvent(t *testing.T) {
	s := newStation(t)
	k := s.kiosk(t, false)
	before := k.Screen()
	if _, err := k.Handle(Confirm{}); !errors.Is(err, ErrUnexpected) {
		t.Fatalf("Confirm on the start screen: got %v, want ErrUnexpected", err)
	}
	if !reflect.DeepEqual(k.Screen(), before) {
		t.Fatal("an unexpected event changed the screen")
	}
}

// Every step leaves a log entry, and the audit view shows them.
func TestAuditTrail(t *testing.T) {
	s := newStation(t)
	k := s.kiosk(t, false)
	run(t, k, []step{
		{Begin{Flow: FlowSign}, `Scan sign problem=""`},
		{s.withdrawal(t, 150_000), `Review signable=true problem=""`},
		{Confirm{}, `Shares sign need=2 have=[] problem=""`},
		{s.share(1), `Shares sign need=2 have=[1] problem=""`},
		{Lock{Reason: "operator locked"}, `Start wallets=1 notice="operator locked; the shares entered were wiped from memory"`},
		{Begin{Flow: FlowAudit}, `AuditView`},
	})
	v := k.Screen().(AuditView)
	var kinds []string
	for _, e := range v.Entries {
		kinds = append(kinds, e.Kind)
	}
	got := strings.Join(kinds, " ")
	if !strings.HasSuffix(got, "app-start inspect lock") {
		t.Fatalf("log kinds %q, want them to end with app-start inspect lock", got)
	}
	if v.Head == "" {
		t.Fatal("no log head")
	}
}

func TestInterfacesUp(t *testing.T) {
	dir := t.TempDir()
	for name, state := range map[string]string{"lo": "unknown", "eth0": "up", "eth1": "down", "wlan0": "dormant", "usb0": "unknown"} {
		mustWrite(t, dir+"/"+name+"/operstate", state+"\n")
	}
	mustMkdir(t, dir+"/odd") // no operstate: counted as up
	got, err := interfacesUp(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"eth0", "odd", "usb0", "wlan0"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func mustMkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func mustWrite(t *testing.T, path, data string) {
	t.Helper()
	mustMkdir(t, filepath.Dir(path))
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestAuditExport(t *testing.T) {
	s := newStation(t)
	k := s.kiosk(t, false)
	run(t, k, []step{{Begin{Flow: FlowAudit}, `AuditView`}})
	v, err := k.Handle(ExportAudit{Dir: filepath.Join(t.TempDir(), "missing")})
	if err != nil || v.(AuditView).Problem == "" {
		t.Fatalf("export to a missing folder: %v, %+v", err, v)
	}
	dir := t.TempDir()
	v, err = k.Handle(ExportAudit{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	av := v.(AuditView)
	if av.Problem != "" || av.Exported == "" {
		t.Fatalf("export: %+v", av)
	}
	got, err := os.ReadFile(av.Exported)
	if err != nil || !bytes.Equal(got, av.Raw) {
		t.Fatalf("exported file differs from the log (%v)", err)
	}
	if _, err := k.Handle(ExportAudit{Dir: dir}); err != nil {
		t.Fatal(err)
	}
}

// The policy is applied at review and again at signing: a second
// withdrawal that would break the 24-hour limit is refused with the
// numbers; a retired share set is refused on entry.
func TestPolicyInFlow(t *testing.T) {
	s := newStation(t)
	st := policy.NewStore(s.h.Dir(), s.h)
	s.setPolicy(t, policy.Policy{Max24h: 250_000})
	k := s.kiosk(t, false)
	run(t, k, []step{
		{Begin{Flow: FlowSign}, `Scan sign problem=""`},
		{s.withdrawal(t, 150_000), `Review signable=true problem=""`},
	})
	r := k.Screen().(Review)
	if len(r.Policy.Rules) != 1 || !r.Policy.Rules[0].OK || r.Policy.Rules[0].Detail != "would bring the last 24 h to 0.00151000 BTC; the limit is 0.00250000 BTC" {
		t.Fatalf("policy verdict %+v", r.Policy.Rules)
	}
	run(t, k, []step{
		{Confirm{}, `Shares sign need=2 have=[] problem=""`},
		{s.share(1), `Shares sign need=2 have=[1] problem=""`},
		{s.share(2), `Signed inputs=2`},
		{Confirm{}, `Start wallets=1 notice=""`},
		// An hour later, another 0.00151 BTC would make 0.00302.
		{Begin{Flow: FlowSign}, `Scan sign problem=""`},
		{s.withdrawal(t, 150_000), `Review signable=false problem=""`},
		{Confirm{}, `Review signable=false problem="this PSBT is refused; nothing can be signed: policy, 24-hour limit: would bring the last 24 h to 0.00302000 BTC; the limit is 0.00250000 BTC"`},
		{Cancel{}, `Start wallets=1 notice="sign cancelled; nothing was kept"`},
	})
	// A day later the first signing has left the window.
	s.now = s.now.Add(policy.Window + time.Second)
	run(t, k, []step{
		{Begin{Flow: FlowSign}, `Scan sign problem=""`},
		{s.withdrawal(t, 150_000), `Review signable=true problem=""`},
		{Cancel{}, `Start wallets=1 notice="sign cancelled; nothing was kept"`},
	})

	if err := st.Retire(s.wallet.ShareSet, "re-ceremony on 2026-11-25", s.now); err != nil {
		t.Fatal(err)
	}
	run(t, k, []step{
		{Begin{Flow: FlowHealth, Wallet: "vault"}, `Shares share health check need=2 have=[] problem=""`},
		{s.share(1), `Shares share health check need=2 have=[] problem="retired share set: share set …`},
	})
}

// A share activates a wallet only when both its set id and the wallet
// fingerprint it commits to are the wallet's: two kiosks' sets may share
// a 16-bit id.
func TestCheckShareSet(t *testing.T) {
	w := &home.Wallet{Name: "vault", ShareSet: "7f3a", Fingerprint: "01020304"}
	split := func(setID uint16, fp [4]byte) *shamir.Share {
		shares, err := shamir.Split(bytes.Repeat([]byte{5}, 16), 2, 2, fp, bytes.NewReader([]byte{byte(setID >> 8), byte(setID)}))
		if err != nil {
			t.Fatal(err)
		}
		return shares[0]
	}
	tests := []struct {
		name  string
		share *shamir.Share
		want  string // "" for accepted
	}{
		{"its own set", split(0x7f3a, [4]byte{1, 2, 3, 4}), ""},
		{"another set", split(0x1111, [4]byte{1, 2, 3, 4}), `share 1 is of set 1111; wallet "vault" is activated by set 7f3a`},
		{"same id, another wallet", split(0x7f3a, [4]byte{9, 9, 9, 9}),
			`share 1 is of set 7f3a of the wallet with fingerprint 09090909; wallet "vault" is activated by set 7f3a of fingerprint 01020304`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckShareSet(w, tc.share)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("got %v, want accepted", err)
				}
				return
			}
			if !errors.Is(err, ErrWrongSet) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrWrongSet saying %q", err, tc.want)
			}
		})
	}
}

// A home that already holds the same wallet twice (an older kiosk let a
// respelled descriptor through): a PSBT whose inputs both copies claim is
// refused, rather than checked against whichever sorts first, whose policy
// may be empty.
func TestLoadPSBTRefusesTwoClaimants(t *testing.T) {
	s := newStation(t)
	copyOf := s.wallet
	copyOf.Name = "a-copy"
	copyOf.Descriptor = copyOf.Descriptor[:strings.LastIndexByte(copyOf.Descriptor, '#')]
	data, err := json.Marshal(copyOf)
	if err != nil {
		t.Fatal(err)
	}
	// written as an older kiosk would have, past today's AddWallet check
	if err := os.WriteFile(filepath.Join(s.h.Dir(), "wallets", "a-copy.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	raw := s.withdrawal(t, 50_000).Data
	_, err = LoadPSBT(s.h, raw, "w.psbt", "", s.now)
	if err == nil || !strings.Contains(err.Error(), `its inputs belong to more than one registered wallet ("a-copy", "vault")`) {
		t.Fatalf("LoadPSBT = %v, want a refusal naming both wallets", err)
	}
	// naming one of them does not skip the check
	if _, err := LoadPSBT(s.h, raw, "w.psbt", "vault", s.now); err == nil || !strings.Contains(err.Error(), "more than one registered wallet") {
		t.Fatalf("LoadPSBT(vault) = %v, want the same refusal", err)
	}
}

// The app and the command line on one home: a command run while the app is
// open appends to the audit log, and the app's next action (here a
// signing, which logs its inspect and its signature) goes on after it. The
// app used to fail every action until restarted ("not the N bytes this
// kiosk last wrote").
func TestAppAndCommandLineShareTheLog(t *testing.T) {
	s := newStation(t)
	k := s.kiosk(t, false)
	cli, err := home.Open(s.h.Dir()) // as a second process opens the home
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.Log().Append("policy-set", map[string]any{"wallet": "vault", "result": "changed"}, s.now); err != nil {
		t.Fatal(err)
	}
	run(t, k, []step{
		{Begin{Flow: FlowSign}, `Scan sign problem=""`},
		{s.withdrawal(t, 150_000), `Review signable=true problem=""`},
		{Confirm{}, `Shares sign need=2 have=[] problem=""`},
		{s.share(1), `Shares sign need=2 have=[1] problem=""`},
		{s.share(3), `Signed inputs=2`},
	})
	reopened, err := home.Open(s.h.Dir())
	if err != nil {
		t.Fatalf("the home after both wrote: %v", err)
	}
	entries, err := reopened.Log().Entries()
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range entries {
		kinds = append(kinds, e.Kind)
	}
	if got := strings.Join(kinds, " "); !strings.Contains(got, "app-start policy-set inspect sign") {
		t.Fatalf("audit log kinds %q; want the app's entries after the command line's", got)
	}
}

// Approvers count only for the wallet whose quorum enrolled them. Whoever
// can run a ceremony made a throwaway wallet, enrolled two keys of their own
// with its shares, and satisfied the treasury's approval quorum with them.
func TestApproversArePerWallet(t *testing.T) {
	s := newStation(t)
	st := policy.NewStore(s.h.Dir(), s.h)
	s.setPolicy(t, policy.Policy{RequireApprovals: 2})
	// The throwaway wallet: registered on the kiosk, with its own quorum.
	throwaway := home.Wallet{Name: "throwaway", Network: "regtest", Created: t0}
	m, err := hd.MasterFromEntropy(bytes.Repeat([]byte{0x66}, 16), descriptor.Regtest)
	if err != nil {
		t.Fatal(err)
	}
	d, err := m.Account(descriptor.P2WPKH, 0)
	if err != nil {
		t.Fatal(err)
	}
	fp := m.Fingerprint()
	throwaway.Descriptor, throwaway.Fingerprint = d.String(), hex.EncodeToString(fp[:])
	if err := s.h.AddWallet(throwaway); err != nil {
		t.Fatal(err)
	}
	throwawayID, err := throwaway.IdentityDigest()
	if err != nil {
		t.Fatal(err)
	}
	var keys []ed25519.PrivateKey
	names := []string{"mallory1", "mallory2"}
	for i, name := range names {
		k := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{byte(0x70 + i)}, 32))
		keys = append(keys, k)
		if err := st.AddApprover(throwawayID, name, approval.StationKey(k.Public().(ed25519.PublicKey)), t0); err != nil {
			t.Fatal(err)
		}
	}
	s.logApprovers(t)
	// A treasury withdrawal carrying both their approvals.
	l, msg := s.approvedWithdrawal(t, names, keys)
	_, v, err := PolicyVerdict(s.h, l, s.now)
	if err != nil {
		t.Fatal(err)
	}
	if v.OK() {
		t.Fatalf("the treasury's approval rule passed with the throwaway wallet's approvers: %+v", v.Rules)
	}
	// Enrolled for the treasury, by its quorum, the same keys count.
	treasuryID, _ := s.wallet.IdentityDigest()
	for i, k := range keys {
		if err := st.AddApprover(treasuryID, fmt.Sprintf("mallory%d", i+1), approval.StationKey(k.Public().(ed25519.PublicKey)), t0); err != nil {
			t.Fatal(err)
		}
	}
	s.logApprovers(t)
	if _, v, err = PolicyVerdict(s.h, l, s.now); err != nil || !v.OK() {
		t.Fatalf("with the treasury's own approvers: %+v, %v", v.Rules, err)
	}
	// The review shows them: who, which kind of key, until when, and
	// the request id the PSBT carries.
	if err := approval.SetRequest(l.Packet, "wd-1"); err != nil {
		t.Fatal(err)
	}
	r, err := ReviewPSBT(s.h, l, s.now)
	if err != nil {
		t.Fatal(err)
	}
	if r.Request != "wd-1" || r.Network != "regtest" || !r.PolicySet {
		t.Fatalf("review request %q network %q policy set %v, want wd-1, regtest, true", r.Request, r.Network, r.PolicySet)
	}
	var got []string
	for _, a := range r.Approvals {
		got = append(got, fmt.Sprintf("%s %s %s %v", a.Approver, a.Key, a.Expires.Format(time.RFC3339), a.Checked))
	}
	until := msg.Expires.Format(time.RFC3339)
	if want := []string{"mallory1 approver station key " + until + " true", "mallory2 approver station key " + until + " true"}; !slices.Equal(got, want) {
		t.Fatalf("review approvals %q, want %q", got, want)
	}
}

// A policy file deleted behind the app's back is tampering, shown as the
// review's refusal, not "no policy set".
func TestReviewRefusesDeletedPolicy(t *testing.T) {
	s := newStation(t)
	st := policy.NewStore(s.h.Dir(), s.h)
	p := policy.Policy{MaxTx: 1}
	if err := st.SetPolicy(s.wallet.Name, p); err != nil {
		t.Fatal(err)
	}
	if err := s.h.Log().Append("policy-set", map[string]any{"wallet": s.wallet.Name, "result": "changed", "after_digest": policy.Digest(p)}, s.now); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(s.h.Dir(), "policy", "wallets", s.wallet.Name+".json")); err != nil {
		t.Fatal(err)
	}
	k := s.kiosk(t, false)
	run(t, k, []step{
		{Begin{Flow: FlowSign}, `Scan sign problem=""`},
		{s.withdrawal(t, 150_000), `Review signable=false problem=""`},
	})
	r := k.Screen().(Review)
	if len(r.Refusals) != 1 || !strings.Contains(r.Refusals[0], `the policy of "vault" has digest`) {
		t.Fatalf("refusals %q, want the tampered policy", r.Refusals)
	}
}

// Change far past what this kiosk signed for is a warning on either branch
// (a hostile coordinator may hide change on the receive branch), and a
// refusal under a policy bound.
func TestChangeFarAhead(t *testing.T) {
	s := newStation(t)
	for _, tc := range []struct {
		branch, index uint32
		warn          string
	}{
		{1, 3, ""},
		{1, 11, "output 1: returns change to address 1/11, 12 past the change this kiosk has signed for on that branch (none yet)"},
		{0, 19, ""},
		{0, 99, "output 1: returns change to address 0/99, 100 past the change this kiosk has signed for on that branch (none yet)"},
	} {
		l, err := LoadPSBT(s.h, s.withdrawalTo(t, 150_000, tc.branch, tc.index).Data, "w.psbt", "", s.now)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		for _, w := range l.Summary.Warnings {
			if w.Code == psbt.CodeChangeFarAhead {
				got = w.Message
			}
		}
		if !strings.HasPrefix(got, tc.warn) || (tc.warn == "") != (got == "") {
			t.Errorf("change at %d/%d: warning %q, want %q", tc.branch, tc.index, got, tc.warn)
		}
	}
	st := policy.NewStore(s.h.Dir(), s.h)
	p := policy.Policy{MaxChangeAhead: 20}
	if err := st.SetPolicy(s.wallet.Name, p); err != nil {
		t.Fatal(err)
	}
	if err := s.h.Log().Append("policy-set", map[string]any{"wallet": s.wallet.Name, "result": "changed", "after_digest": policy.Digest(p)}, s.now); err != nil {
		t.Fatal(err)
	}
	l, err := LoadPSBT(s.h, s.withdrawalTo(t, 150_000, 0, 99).Data, "w.psbt", "", s.now)
	if err != nil {
		t.Fatal(err)
	}
	_, v, err := PolicyVerdict(s.h, l, s.now)
	if err != nil {
		t.Fatal(err)
	}
	if v.OK() || !strings.Contains(fmt.Sprint(v.Failed()), "change goes to 0/99, 100 past") {
		t.Fatalf("verdict %+v, want the change index rule failing", v.Rules)
	}
}

// The app logs each key use under the network override, and each refusal,
// as the command line does: not only its start.
func TestAppLogsEachAirGapOverride(t *testing.T) {
	s := newStation(t)
	s.up = []string{"eth0"}
	for _, allow := range []bool{false, true} {
		k := s.kiosk(t, allow)
		if _, err := k.Handle(Begin{Flow: FlowCeremony}); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := s.h.Log().Entries()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		if e.Kind == "airgap" {
			got = append(got, string(e.Data))
		}
	}
	if len(got) != 2 || !strings.Contains(got[0], `"command":"app ceremony"`) || !strings.Contains(got[0], `"result":"refused"`) ||
		!strings.Contains(got[1], `"result":"overridden"`) {
		t.Fatalf("airgap entries %q, want a refusal then an override of app ceremony", got)
	}
}
