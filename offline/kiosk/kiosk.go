// Package kiosk is the signing station's core: the operator's flows as a
// state machine. The GUI (ui/kioskapp) renders the Screen that Handle returns
// and feeds it Events; the command line runs the same steps (LoadPSBT,
// Loaded.Sign, Activate, PrepareMultisig). Every flow, refusal and cancel
// is therefore tested as a table of events and screens, in milliseconds
// and without a window.
//
// The flows are not free of I/O: the station's state is on disk, and each
// step reads it and records itself there. What this package reads and
// writes, and through what:
//
//   - the kiosk home (Config.Home): wallets, ceremony transcripts and the
//     audit log every step is appended to, through home.Home; the spending
//     policies, approvers, retired share sets and ledgers under
//     HOME/policy, through policy.Store;
//   - the host's network interfaces, read from /sys/class/net
//     (InterfacesUp) unless Config.Interfaces answers instead;
//   - the export medium, a folder the operator names: a ceremony's public
//     export (ceremony.Result.WriteExport) and the audit log's export (a
//     new file, through fileio.WriteNew).
//
// The clock (Config.Now) and a ceremony's entropy (Config.Rand) are passed
// in; the tests give the station a home in a temporary folder.
//
// Secrets live here only while a flow needs them: the shares collected for
// one signing, health check or registration, and a ceremony's dice rolls
// and new shares, wiped when the flow ends, is cancelled, fails, or the
// station locks after IdleAfter without input.
package kiosk

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"airsign/offline/ceremony"
	"airsign/offline/home"
	"airsign/offline/policy"
	"airsign/psbt/auditlog"
	"airsign/psbt/descriptor"
	"airsign/psbt/fileio"
	"airsign/shamir"
)

// Flow is what the operator is doing.
type Flow int

const (
	FlowNone Flow = iota
	FlowSign
	FlowHealth
	FlowRegister
	FlowAudit
	FlowCeremony
)

func (f Flow) String() string {
	return [...]string{"start", "sign", "share health check", "wallet registration", "audit log", "seed ceremony"}[f]
}

// Event is something the operator or the station did.
type Event interface{ isEvent() }

// Begin starts a flow from the start screen. Wallet names the wallet for a
// health check.
type Begin struct {
	Flow   Flow
	Wallet string
}

// PSBTScanned delivers a whole PSBT: reassembled from QR frames, read from a
// file, or typed by a keyboard-wedge scanner. Source says which, for the
// log.
type PSBTScanned struct {
	Data   []byte
	Source string
}

// ShareScanned delivers one share: its words typed, its QR text scanned, or
// its file. Handle wipes Data before it returns.
type ShareScanned struct{ Data []byte }

// WalletScanned delivers a multisig wallet to register: a descriptor or a
// BSMS record. Token is the BSMS session TOKEN the operator typed in, which
// opens an encrypted record; empty when the coordinator gave none.
type WalletScanned struct {
	Data  []byte
	Token string
}

// Confirm is the operator's go-ahead on a review screen.
type Confirm struct{}

// ConfirmAgain is the operator's explicit confirmation on a review that
// says the transaction, or a coin it spends, was signed here before.
type ConfirmAgain struct{}

// Back returns to the previous step, Cancel to the start; both drop what
// the flow collected.
type (
	Back   struct{}
	Cancel struct{}
)

// Tick is the clock: the station locks when it has had no other event for
// IdleAfter.
type Tick struct{ Now time.Time }

// Lock wipes the session and returns to the start screen at once.
type Lock struct{ Reason string }

// Active says the operator is at the station (typing, scrolling, or
// answering the idle warning) without changing the screen: it restarts
// the idle lock's count.
type Active struct{}

func (Begin) isEvent()         {}
func (PSBTScanned) isEvent()   {}
func (ShareScanned) isEvent()  {}
func (WalletScanned) isEvent() {}
func (Confirm) isEvent()       {}
func (ConfirmAgain) isEvent()  {}
func (Back) isEvent()          {}
func (Cancel) isEvent()        {}
func (Tick) isEvent()          {}
func (Lock) isEvent()          {}
func (Active) isEvent()        {}

// Screen is what the station shows.
type Screen interface{ isScreen() }

// WalletInfo is a registered wallet as the start screen lists it.
type WalletInfo struct {
	Name        string
	Script      string
	Network     string
	Fingerprint string
	ShareSet    string
	Threshold   int // shares needed
	Total       int
	Multisig    string // "2 of 3" for a multisig, empty otherwise
}

// Start is the home screen.
type Start struct {
	Wallets   []WalletInfo
	DeviceKey string
	AirGap    AirGap
	// Notice is a message from what just happened: a lock, a cancel, an
	// error that ended a flow.
	Notice string
}

// Scan asks for something to be scanned: the PSBT (FlowSign) or the
// multisig wallet (FlowRegister). Problem says why the last scan was not
// taken.
type Scan struct {
	Flow    Flow
	Problem string
}

// Review shows a PSBT before any share is asked for.
type Review struct {
	Loaded *Loaded
	// Network is the wallet's network, which the PSBT was checked against.
	Network string
	// Request is the withdrawal request id the PSBT carries
	// (approval.RequestOf), empty when it carries none.
	Request string
	// Approvals are the approvals the PSBT carries: who, with which kind
	// of key, until when, and whether each counts.
	Approvals []CarriedApproval
	// PolicySet is false when the wallet has no spending policy: no limit
	// and no approval is checked.
	PolicySet bool
	// Policy is the wallet's spending policy's verdict, rule by rule.
	Policy policy.Verdict
	// Refusals are the reasons it cannot be signed, in plain sentences;
	// empty when it can.
	Refusals []string
	Warnings []string
	// SignedBefore says when this kiosk already signed the transaction, or
	// another spending one of its coins; Confirm then does not proceed,
	// only ConfirmAgain.
	SignedBefore []string
	// Tampered is set when the kiosk's files do not match its audit log
	// (ErrTampered); it is also the first refusal.
	Tampered error
	// Problem is why Confirm did not proceed (the network is up).
	Problem string
}

// Signable says whether Confirm may proceed to collecting shares.
func (r Review) Signable() bool { return len(r.Refusals) == 0 }

// Derivations is DerivationsLine of the reviewed PSBT.
func (r Review) Derivations() string {
	if r.Loaded == nil {
		return ""
	}
	return DerivationsLine(r.Loaded.Summary)
}

// ShareInfo names an accepted share without any of its secret.
type ShareInfo struct {
	Set   string
	Index int
	Total int
}

// Shares collects k shares for a signing or a health check.
type Shares struct {
	Flow     Flow
	Wallet   WalletInfo
	Need     int
	Accepted []ShareInfo
	Problem  string // why the last share was not accepted
}

// Signed shows the signed PSBT, to be carried back as QR codes.
type Signed struct {
	PSBT   []byte
	TxID   string
	Inputs int // inputs this station signed
	Shares []ShareInfo
	Wallet string
}

// Done ends a flow with its result.
type Done struct {
	Flow    Flow
	OK      bool
	Title   string
	Message string
}

// RegisterReview shows a multisig wallet, or a wallet with spending paths
// (Registration.Script), before it is registered.
type RegisterReview struct {
	Registration *Registration
	Problem      string
}

// AuditView shows the audit log.
type AuditView struct {
	Entries []LogEntry
	Head    string
	// Raw is the log file as it is, for a QR export.
	Raw []byte
	// Exported names the file ExportAudit wrote; Problem why it could not.
	Exported string
	Problem  string
}

// ExportAudit copies the audit log into Dir (removable media) as a new
// file named for its head.
type ExportAudit struct{ Dir string }

func (ExportAudit) isEvent() {}

// LogEntry is one audit log entry as shown.
type LogEntry struct {
	Seq  uint64
	Time time.Time
	Kind string
	Data string
}

func (Start) isScreen()          {}
func (Scan) isScreen()           {}
func (Review) isScreen()         {}
func (Shares) isScreen()         {}
func (Signed) isScreen()         {}
func (Done) isScreen()           {}
func (RegisterReview) isScreen() {}
func (AuditView) isScreen()      {}

// AirGap is what the station knows of its network interfaces.
type AirGap struct {
	// Up are the interfaces other than loopback that are up.
	Up []string
	// Allowed is set when the station was started with --allow-network.
	Allowed bool
	// Err is set when the interfaces could not be read; the station then
	// treats itself as connected.
	Err string
}

// Offline says whether no interface but loopback is up.
func (a AirGap) Offline() bool { return len(a.Up) == 0 && a.Err == "" }

// MayActivate says whether keys may be rebuilt: offline, or the override.
func (a AirGap) MayActivate() bool { return a.Offline() || a.Allowed }

// Config wires a Kiosk.
type Config struct {
	Home *home.Home
	// Now is the clock for log entries and the idle lock; nil is time.Now.
	Now func() time.Time
	// Interfaces reports the non-loopback interfaces that are up; nil
	// reads /sys/class/net.
	Interfaces func() ([]string, error)
	// AllowNetwork lets keys be activated with a network interface up
	// (logged at start).
	AllowNetwork bool
	// IdleAfter locks the station after that long without an event; 0
	// means 5 minutes.
	IdleAfter time.Duration

	// For ceremonies: Rand is the entropy source (nil: crypto/rand),
	// Imager draws and reads the export's QR images, Extra adds public
	// export files (the UR watch-only export), Software names this
	// program in transcripts.
	Rand     io.Reader
	Imager   ceremony.Imager
	Extra    func(*descriptor.Descriptor) ([]ceremony.ExtraFile, error)
	Software string
}

// DefaultIdleAfter is how long the station waits without input before it
// wipes the session and returns to the start screen.
const DefaultIdleAfter = 5 * time.Minute

// Kiosk is the station's state. It is not safe for concurrent use: the
// GUI feeds it from one goroutine.
type Kiosk struct {
	cfg    Config
	st     Station // every operation and its audit entry
	screen Screen
	last   time.Time // last event other than Tick

	// The current flow's data.
	flow   Flow
	wallet *home.Wallet
	desc   *descriptor.Descriptor
	loaded *Loaded
	again  bool            // the operator confirmed signing what was signed here before
	export auditlog.Report // the checked export the audit view shows
	shares []*shamir.Share
	reg    *Registration
	cer    *ceremonyState
}

// New returns a kiosk on its start screen, and logs the start (with the
// network override, if any).
func New(cfg Config) (*Kiosk, error) {
	if cfg.Home == nil {
		return nil, errors.New("kiosk: no home")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Interfaces == nil {
		cfg.Interfaces = InterfacesUp
	}
	if cfg.IdleAfter == 0 {
		cfg.IdleAfter = DefaultIdleAfter
	}
	k := &Kiosk{cfg: cfg, last: cfg.Now(), st: Station{Home: cfg.Home, Via: ViaApp, Now: cfg.Now}}
	gap := k.airGap()
	if err := cfg.Home.Log().Append("app-start", map[string]any{
		"interfaces_up": gap.Up, "allow_network": cfg.AllowNetwork,
	}, cfg.Now()); err != nil {
		return nil, err
	}
	s, err := k.start("")
	if err != nil {
		return nil, err
	}
	k.screen = s
	return k, nil
}

// Screen is the current screen.
func (k *Kiosk) Screen() Screen { return k.screen }

// Flow is the current flow.
func (k *Kiosk) Flow() Flow { return k.flow }

// HoldsSecrets says whether the kiosk holds any share now (for tests and
// the GUI's lock indicator).
func (k *Kiosk) HoldsSecrets() bool {
	return len(k.shares) > 0 || (k.cer != nil && (k.cer.res != nil || len(k.cer.dice) > 0))
}

func (k *Kiosk) airGap() AirGap {
	up, err := k.cfg.Interfaces()
	g := AirGap{Up: up, Allowed: k.cfg.AllowNetwork}
	if err != nil {
		g.Err = err.Error()
	}
	return g
}

func (k *Kiosk) start(notice string) (Start, error) {
	ws, err := k.cfg.Home.Wallets()
	if err != nil {
		return Start{}, err
	}
	s := Start{DeviceKey: k.cfg.Home.KeyID(), AirGap: k.airGap(), Notice: notice}
	for _, w := range ws {
		s.Wallets = append(s.Wallets, walletInfo(&w))
	}
	return s, nil
}

func walletInfo(w *home.Wallet) WalletInfo {
	i := WalletInfo{Name: w.Name, Script: w.Script, Network: w.Network, Fingerprint: w.Fingerprint,
		ShareSet: w.ShareSet, Threshold: w.Threshold, Total: w.Total}
	if w.Multisig != nil {
		i.Multisig = fmt.Sprintf("%d of %d", w.Multisig.Threshold, w.Multisig.Keys)
	}
	return i
}

// LocksIn is how long the station waits at now before the idle lock wipes
// the flow in progress; ok is false when no flow is in progress (nothing
// to lock).
func (k *Kiosk) LocksIn(now time.Time) (left time.Duration, ok bool) {
	if k.flow == FlowNone {
		return 0, false
	}
	return max(0, k.cfg.IdleAfter-now.Sub(k.last)), true
}

// ErrUnexpected means an event that the current screen does not take (a
// GUI bug, not an operator's mistake); the screen stays as it was.
var ErrUnexpected = errors.New("event not expected on this screen")

// Handle applies one event and returns the screen to show. Operator
// mistakes (a wrong share, a refused PSBT) come back as screens that say
// what is wrong; an error means the event did not fit the screen
// (ErrUnexpected), or the station failed (a log it cannot write): then the
// session is wiped and the screen is the start screen with the error.
func (k *Kiosk) Handle(ev Event) (Screen, error) {
	if t, ok := ev.(Tick); ok {
		if k.flow != FlowNone && t.Now.Sub(k.last) >= k.cfg.IdleAfter {
			return k.lock(fmt.Sprintf("locked after %s without input", k.cfg.IdleAfter))
		}
		return k.screen, nil
	}
	switch e := ev.(type) {
	case ShareScanned:
		defer clear(e.Data)
	case DiceRolled:
		defer clear(e.Rolls)
	}
	k.last = k.cfg.Now()
	if _, ok := ev.(Active); ok {
		return k.screen, nil
	}
	if l, ok := ev.(Lock); ok {
		return k.lock(l.Reason)
	}
	if _, ok := ev.(Cancel); ok {
		if k.flow == FlowNone {
			return k.screen, nil
		}
		return k.home(fmt.Sprintf("%s cancelled; nothing was kept", k.flow))
	}
	s, err := k.handle(ev)
	if errors.Is(err, ErrUnexpected) {
		return k.screen, fmt.Errorf("%w: %T on %T", err, ev, k.screen)
	}
	if err != nil {
		k.wipe()
		st, serr := k.start(err.Error())
		if serr != nil {
			return k.screen, errors.Join(err, serr)
		}
		k.flow, k.screen = FlowNone, st
		return st, err
	}
	k.screen = s
	return s, nil
}

func (k *Kiosk) handle(ev Event) (Screen, error) {
	if k.flow == FlowCeremony {
		return k.onCeremony(ev)
	}
	switch scr := k.screen.(type) {
	case Start:
		return k.onStart(ev)
	case Scan:
		return k.onScan(scr, ev)
	case Review:
		return k.onReview(scr, ev)
	case Shares:
		return k.onShares(scr, ev)
	case RegisterReview:
		return k.onRegisterReview(scr, ev)
	case AuditView:
		switch e := ev.(type) {
		case Confirm, Back:
			return k.homeScreen("")
		case ExportAudit:
			return k.exportAudit(scr, e.Dir)
		}
	case Signed, Done:
		switch ev.(type) {
		case Confirm, Back:
			return k.homeScreen("")
		}
	}
	return nil, ErrUnexpected
}

// home ends the flow, wipes, and returns the start screen.
func (k *Kiosk) home(notice string) (Screen, error) {
	s, err := k.homeScreen(notice)
	if err != nil {
		return nil, err
	}
	k.screen = s
	return s, nil
}

func (k *Kiosk) homeScreen(notice string) (Screen, error) {
	k.wipe()
	k.flow = FlowNone
	return k.start(notice)
}

func (k *Kiosk) lock(reason string) (Screen, error) {
	held := k.HoldsSecrets()
	flow := k.flow
	k.wipe()
	if reason == "" {
		reason = "locked"
	}
	if err := k.cfg.Home.Log().Append("lock", map[string]any{"reason": reason, "flow": flow.String(), "wiped_shares": held}, k.cfg.Now()); err != nil {
		return k.home(err.Error())
	}
	msg := reason + "; the session was wiped"
	if held {
		msg = reason + "; the shares entered were wiped from memory"
	}
	return k.home(msg)
}

// wipe drops everything the flow held.
func (k *Kiosk) wipe() {
	for _, s := range k.shares {
		s.Wipe()
	}
	k.cer.wipe()
	k.shares, k.loaded, k.wallet, k.desc, k.reg, k.cer = nil, nil, nil, nil, nil, nil
}

func (k *Kiosk) onStart(ev Event) (Screen, error) {
	b, ok := ev.(Begin)
	if !ok {
		if _, back := ev.(Back); back {
			return k.screen, nil
		}
		return nil, ErrUnexpected
	}
	switch b.Flow {
	case FlowSign, FlowRegister:
		k.flow = b.Flow
		return Scan{Flow: b.Flow}, nil
	case FlowHealth:
		w, err := k.cfg.Home.Wallet(b.Wallet)
		if err != nil {
			return k.start(fmt.Sprintf("no wallet %q to check", b.Wallet))
		}
		if problem, err := k.activateGap("shares verify"); err != nil || problem != "" {
			if err != nil {
				return nil, err
			}
			return k.start(problem)
		}
		d, _, err := walletModel(w)
		if err != nil {
			return nil, err
		}
		k.flow, k.wallet, k.desc = FlowHealth, w, d
		return Shares{Flow: FlowHealth, Wallet: walletInfo(w), Need: w.Threshold}, nil
	case FlowAudit:
		k.flow = FlowAudit
		return k.auditView()
	case FlowCeremony:
		return k.beginCeremony()
	}
	return nil, ErrUnexpected
}

// activateGap is the air-gap check before the app makes or uses a key, the
// command line's own (CheckAirGap): "" when it may go on, else the sentence
// to show. Every refusal and every use of the override is logged.
func (k *Kiosk) activateGap(action string) (string, error) {
	err := CheckAirGap(k.cfg.Home, k.cfg.Interfaces, k.cfg.AllowNetwork, "app "+action, k.cfg.Now())
	if errors.Is(err, ErrConnected) {
		return refuseNetwork(k.airGap()), nil
	}
	return "", err
}

func refuseNetwork(g AirGap) string {
	if g.Err != "" {
		return "the network interfaces cannot be read (" + g.Err + "): no key is activated; restart the station offline"
	}
	return fmt.Sprintf("network interface %s is up: no key is activated while the station is connected; unplug it, or restart with --allow-network (logged)", joinNames(g.Up))
}

func joinNames(s []string) string {
	var b bytes.Buffer
	for i, n := range s {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(n)
	}
	return b.String()
}

func (k *Kiosk) onScan(scr Scan, ev Event) (Screen, error) {
	switch e := ev.(type) {
	case Back:
		return k.homeScreen("")
	case PSBTScanned:
		if scr.Flow != FlowSign {
			return Scan{Flow: scr.Flow, Problem: "that is a PSBT; scan the multisig wallet's descriptor or BSMS record"}, nil
		}
		l, err := LoadPSBT(k.cfg.Home, e.Data, e.Source, "", k.cfg.Now())
		if err != nil {
			return Scan{Flow: FlowSign, Problem: err.Error()}, nil
		}
		k.loaded = l
		return k.st.Inspect(l)
	case WalletScanned:
		if scr.Flow != FlowRegister {
			return Scan{Flow: scr.Flow, Problem: "that is a wallet descriptor; scan the withdrawal PSBT"}, nil
		}
		data := e.Data
		var err error
		if token := strings.TrimSpace(e.Token); token != "" || LooksEncryptedBSMS(data) {
			var tok []byte
			if token != "" {
				if tok, err = ParseBSMSToken(token); err != nil {
					return Scan{Flow: FlowRegister, Problem: err.Error()}, nil
				}
			}
			if data, err = OpenBSMSRecord(bytes.TrimSpace(data), tok); err != nil {
				return Scan{Flow: FlowRegister, Problem: err.Error()}, nil
			}
		}
		reg, err := PrepareWallet(k.cfg.Home, data, "", k.cfg.Now())
		if err != nil {
			return Scan{Flow: FlowRegister, Problem: err.Error()}, nil
		}
		k.reg = reg
		return RegisterReview{Registration: reg}, nil
	}
	return nil, ErrUnexpected
}

func verdict(r Review) string {
	if r.Signable() {
		return "signable"
	}
	return "refused"
}

// review is the review of the loaded PSBT now.
func (k *Kiosk) review(l *Loaded) (Review, error) {
	return ReviewPSBT(k.cfg.Home, l, k.cfg.Now())
}

func (k *Kiosk) onReview(scr Review, ev Event) (Screen, error) {
	switch ev.(type) {
	case Back:
		k.loaded = nil
		return Scan{Flow: FlowSign}, nil
	case Confirm, ConfirmAgain:
		if !scr.Signable() {
			scr.Problem = "this PSBT is refused; nothing can be signed: " + scr.Refusals[0]
			return scr, nil
		}
		_, again := ev.(ConfirmAgain)
		if len(scr.SignedBefore) > 0 && !again {
			scr.Problem = "signed here before: " + scr.SignedBefore[0] + "; confirm that it is to be signed again"
			return scr, nil
		}
		k.again = again
		if problem, err := k.activateGap("sign"); err != nil || problem != "" {
			if err != nil {
				return nil, err
			}
			scr.Problem = problem
			return scr, nil
		}
		l := k.loaded
		k.wallet, k.desc = l.Wallet, l.Desc
		return Shares{Flow: FlowSign, Wallet: walletInfo(l.Wallet), Need: l.Wallet.Threshold}, nil
	}
	return nil, ErrUnexpected
}

func (k *Kiosk) sharesScreen(problem string) Shares {
	s := Shares{Flow: k.flow, Wallet: walletInfo(k.wallet), Need: k.wallet.Threshold, Problem: problem}
	for _, sh := range k.shares {
		s.Accepted = append(s.Accepted, ShareInfo{Set: sh.SetName(), Index: sh.Index, Total: sh.Total})
	}
	return s
}

func (k *Kiosk) onShares(scr Shares, ev Event) (Screen, error) {
	switch e := ev.(type) {
	case Back:
		for _, s := range k.shares {
			s.Wipe()
		}
		k.shares = nil
		if k.flow == FlowSign && k.loaded != nil {
			return k.review(k.loaded)
		}
		if k.flow == FlowRegister && k.reg != nil {
			return RegisterReview{Registration: k.reg}, nil
		}
		return k.homeScreen("")
	case ShareScanned:
		s, err := shamir.Parse(e.Data)
		if err != nil {
			return k.sharesScreen("that share was not accepted: " + err.Error()), nil
		}
		if err := CheckShare(k.cfg.Home, k.wallet, s); err != nil {
			s.Wipe()
			return k.sharesScreen(err.Error()), nil
		}
		for _, have := range k.shares {
			if have.Index == s.Index {
				s.Wipe()
				return k.sharesScreen(fmt.Sprintf("share %d was already accepted; scan another custodian's share", s.Index)), nil
			}
		}
		k.shares = append(k.shares, s)
		if len(k.shares) < k.wallet.Threshold {
			return k.sharesScreen(""), nil
		}
		switch k.flow {
		case FlowHealth:
			return k.healthCheck()
		case FlowRegister:
			return k.register()
		}
		return k.sign()
	}
	return nil, ErrUnexpected
}

func (k *Kiosk) shareNames() []string {
	var names []string
	for _, s := range k.shares {
		names = append(names, s.Name())
	}
	return names
}

// healthCheck rebuilds the key from the collected shares, proves it is the
// wallet's, and wipes it.
func (k *Kiosk) healthCheck() (Screen, error) {
	names := k.shareNames()
	name := k.wallet.Name
	_, err := k.st.VerifyShares(SharesCheck{Wallet: name, Shares: k.shares})
	for _, s := range k.shares {
		s.Wipe()
	}
	k.shares = nil
	var failure *SharesFailure
	if err != nil && !errors.As(err, &failure) {
		return nil, err
	}
	if err != nil {
		return Done{Flow: FlowHealth, Title: "These shares do not rebuild the wallet",
			Message: fmt.Sprintf("Shares %s: %v. The shares were wiped from memory.", joinNames(names), failure.Err)}, nil
	}
	return Done{Flow: FlowHealth, OK: true, Title: "The shares are healthy",
		Message: fmt.Sprintf("Shares %s rebuild wallet %q. The key was rebuilt in memory, checked and wiped.", joinNames(names), name)}, nil
}

// sign signs the loaded PSBT with the collected shares (Station.Sign
// reviews it again first), and wipes them.
func (k *Kiosk) sign() (Screen, error) {
	l := k.loaded
	infos := k.sharesScreen("").Accepted
	signed, r, err := k.st.Sign(l, SignRequest{Shares: k.shares, Again: k.again})
	for _, s := range k.shares {
		s.Wipe()
	}
	k.shares = nil
	var refusal *Refusal
	var failure *SignFailure
	switch {
	case errors.As(err, &refusal):
		r.Problem = "nothing was signed, the shares were wiped: " + refusal.Reason
		return r, nil
	case errors.As(err, &failure):
		// The shares did not sign: say why and collect again.
		return k.sharesScreen("nothing was signed: " + failure.Err.Error() + "; the shares were wiped, enter them again"), nil
	case err != nil:
		return nil, err
	}
	inputs := 0
	for _, in := range l.Summary.Inputs {
		if in.Ours {
			inputs++
		}
	}
	return Signed{PSBT: signed, TxID: l.Summary.TxID.String(), Inputs: inputs, Shares: infos, Wallet: l.Wallet.Name}, nil
}

func (k *Kiosk) onRegisterReview(scr RegisterReview, ev Event) (Screen, error) {
	switch ev.(type) {
	case Back:
		k.reg = nil
		return Scan{Flow: FlowRegister}, nil
	case Confirm:
		// Registering puts the wallet under this station's signature: the
		// shares of its key here must make their quorum, as for a
		// signing.
		if problem, err := k.activateGap("register"); err != nil || problem != "" {
			if err != nil {
				return nil, err
			}
			scr.Problem = problem
			return scr, nil
		}
		d, _, err := walletModel(&scr.Registration.Wallet)
		if err != nil {
			return nil, err
		}
		k.wallet, k.desc = &scr.Registration.Wallet, d
		return k.sharesScreen(""), nil
	}
	return nil, ErrUnexpected
}

// register registers the reviewed multisig with the collected shares, and
// wipes them.
func (k *Kiosk) register() (Screen, error) {
	r := k.reg
	names := k.shareNames()
	err := k.st.Register(r, k.shares)
	for _, s := range k.shares {
		s.Wipe()
	}
	k.shares = nil
	var refused *ChangeRefused
	switch {
	case errors.As(err, &refused):
		return RegisterReview{Registration: r, Problem: "not registered, the shares were wiped: " + refused.Err.Error()}, nil
	case err != nil:
		return nil, err
	}
	k.reg = nil
	w := r.Wallet
	if p := w.Policy; p != nil {
		return Done{Flow: FlowRegister, OK: true, Title: "Wallet with spending paths registered",
			Message: fmt.Sprintf("%q: policy hash %s; shares %s proved this station's keys in it.", w.Name, p.Hash, joinNames(names))}, nil
	}
	return Done{Flow: FlowRegister, OK: true, Title: "Multisig wallet registered",
		Message: fmt.Sprintf("%q: %d of %d, this station's key is key %d; shares %s proved it.", w.Name, w.Multisig.Threshold, w.Multisig.Keys, w.Multisig.Us, joinNames(names))}, nil
}

// auditView verifies the log and its signed checkpoints again and shows
// them. Raw is the self-contained export of the whole log (auditlog.Export:
// signed checkpoint and every record), which an auditor checks with the
// device's verifier key alone.
func (k *Kiosk) auditView() (Screen, error) {
	log := k.cfg.Home.Log()
	var entries []auditlog.Entry
	entries, err := log.Entries()
	if err != nil {
		return nil, err
	}
	raw, rep, err := k.st.AuditExport(0)
	if err != nil {
		return nil, err
	}
	k.export = rep
	v := AuditView{Head: log.Head(), Raw: raw}
	for _, e := range entries {
		v.Entries = append(v.Entries, LogEntry{Seq: e.Seq, Time: e.Time, Kind: e.Kind, Data: string(e.Data)})
	}
	return v, nil
}

func (k *Kiosk) exportAudit(v AuditView, dir string) (Screen, error) {
	v.Exported, v.Problem = "", ""
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		v.Problem = fmt.Sprintf("%s is not a folder: insert the export medium", dir)
		return v, nil
	}
	head := v.Head
	if len(head) > 16 {
		head = head[:16]
	}
	path := filepath.Join(dir, fmt.Sprintf("airsign-audit-export-%s-%s.json", k.cfg.Home.KeyID(), head))
	if err := fileio.WriteNew(path, v.Raw, 0o644); err != nil {
		v.Problem = err.Error()
		return v, nil
	}
	if err := k.st.Exported(k.export, filepath.Base(path), 0); err != nil {
		return nil, err
	}
	v.Exported = path
	return v, nil
}
