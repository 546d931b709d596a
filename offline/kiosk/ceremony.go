package kiosk

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"airsign/offline/ceremony"
	"airsign/offline/home"
	"airsign/psbt/descriptor"
	"airsign/shamir"
)

// CeremonyParams are what the operator chooses on the setup screen.
type CeremonyParams struct {
	Network    string // mainnet, testnet, testnet4, signet, regtest
	Script     string // p2wpkh, p2tr, p2sh-p2wpkh, p2pkh
	Threshold  int
	Total      int
	Words      int // 12 or 24
	Custodians []string
	Name       string
	Dice       bool
	// ExportDir is a new folder (on removable media) for the transcript
	// and the watch-only export; it must not exist.
	ExportDir string
}

// SetupCeremony submits the setup screen.
type SetupCeremony struct{ Params CeremonyParams }

// DiceRolled adds die rolls (digits 1 to 6; spaces ignored). Handle wipes
// Rolls.
type DiceRolled struct{ Rolls []byte }

func (SetupCeremony) isEvent() {}
func (DiceRolled) isEvent()    {}

// CeremonySetup asks for the ceremony's parameters.
type CeremonySetup struct {
	Params  CeremonyParams
	Problem string
}

// DiceEntry collects die rolls with a live count.
type DiceEntry struct {
	Rolls   int
	Need    int
	Problem string
}

// ShowShare shows one share to its custodian. Words and QRText are secret:
// the GUI must drop every widget holding them when this screen goes.
type ShowShare struct {
	Index, Total, Threshold int
	Custodian               string
	// Set is the share set's id and Fingerprint the wallet's master key
	// fingerprint the set commits to, both in hex: what the custodian
	// writes on the share card beside the words, so that a wrong or mixed
	// card is recognised. Wallet is the wallet's name on this kiosk.
	Set, Fingerprint, Wallet string
	Words                    []byte // space-separated
	QRText                   []byte
	// SeedWords is how many words the seed has, to explain why the
	// share has more.
	SeedWords int
}

// EnterShare asks the custodian to enter the share just shown, in full.
type EnterShare struct {
	Index, Total int
	Custodian    string
	Problem      string
	// Words is how many words the share has, and SeedWords how many the
	// seed has: what the entry counts to ("word 7 of 22") and explains.
	Words, SeedWords int
	// Differs are the 1-based positions of the words that differ from
	// the share shown (only the first when a word is missing or doubled),
	// for the entry to mark; the words themselves are never in the screen.
	Differs []int
}

// CeremonyDone is the end of a ceremony: the wallet is registered and the
// public export written.
type CeremonyDone struct {
	Wallet     WalletInfo
	CeremonyID string
	Descriptor string
	// Desc is Descriptor parsed, for the watch-only QR code.
	Desc      *descriptor.Descriptor
	ExportDir string
	WatchOnly []byte
}

func (CeremonySetup) isScreen() {}
func (DiceEntry) isScreen()     {}
func (ShowShare) isScreen()     {}
func (EnterShare) isScreen()    {}
func (CeremonyDone) isScreen()  {}

// ceremonyState is a ceremony in progress.
type ceremonyState struct {
	params CeremonyParams
	p      ceremony.Params
	dice   []byte
	res    *ceremony.Result
	at     int // share being shown or entered
}

func (c *ceremonyState) wipe() {
	if c == nil {
		return
	}
	clear(c.dice)
	if c.res != nil {
		c.res.Wipe()
	}
}

func (k *Kiosk) beginCeremony() (Screen, error) {
	if problem, err := k.activateGap("ceremony"); err != nil || problem != "" {
		if err != nil {
			return nil, err
		}
		return k.start(problem)
	}
	k.flow = FlowCeremony
	k.cer = &ceremonyState{}
	return CeremonySetup{Params: CeremonyParams{Network: "mainnet", Script: "p2wpkh", Threshold: 2, Total: 3, Words: 24}}, nil
}

func (k *Kiosk) onCeremony(ev Event) (Screen, error) {
	c := k.cer
	switch scr := k.screen.(type) {
	case CeremonySetup:
		switch e := ev.(type) {
		case Back:
			return k.homeScreen("")
		case SetupCeremony:
			p, err := k.ceremonyParams(e.Params)
			if err != nil {
				return CeremonySetup{Params: e.Params, Problem: err.Error()}, nil
			}
			c.params, c.p = e.Params, p
			if e.Params.Dice {
				clear(c.dice)
				c.dice = nil
				return DiceEntry{Need: ceremony.MinRolls(seedEntropyBits(p.Words))}, nil
			}
			return k.runCeremony()
		}
	case DiceEntry:
		switch e := ev.(type) {
		case Back:
			clear(c.dice)
			c.dice = nil
			return CeremonySetup{Params: c.params}, nil
		case DiceRolled:
			defer clear(e.Rolls)
			rolls, err := ceremony.ParseDice(e.Rolls)
			if err != nil {
				scr.Problem = err.Error()
				return scr, nil
			}
			c.dice = append(c.dice, rolls...)
			clear(rolls)
			return DiceEntry{Rolls: len(c.dice), Need: scr.Need}, nil
		case Confirm:
			if err := ceremony.CheckDice(c.dice, seedEntropyBits(c.p.Words)); err != nil {
				clear(c.dice)
				c.dice = nil
				return DiceEntry{Need: scr.Need, Problem: err.Error() + "; the rolls were discarded, roll again"}, nil
			}
			c.p.Dice = c.dice
			return k.runCeremony()
		}
	case ShowShare:
		switch ev.(type) {
		case Confirm:
			return k.enterShare(""), nil
		case Back:
			if c.at == 0 {
				c.res.Wipe()
				c.res = nil
				return CeremonySetup{Params: c.params, Problem: "the ceremony was abandoned and its shares wiped; start it again"}, nil
			}
			c.at--
			return k.showShare(), nil
		}
	case EnterShare:
		switch e := ev.(type) {
		case Back:
			return k.showShare(), nil
		case ShareScanned:
			if refused, ok := k.checkCopy(e.Data); !ok {
				return refused, nil
			}
			c.at++
			if c.at < len(c.res.Shares) {
				return k.showShare(), nil
			}
			return k.finishCeremony()
		}
	case CeremonyDone:
		switch ev.(type) {
		case Confirm, Back:
			return k.homeScreen("")
		}
	}
	return nil, ErrUnexpected
}

// checkCopy compares what the custodian entered with the share just
// shown; when they differ it returns the screen that says how.
func (k *Kiosk) checkCopy(data []byte) (EnterShare, bool) {
	want := k.cer.res.Shares[k.cer.at]
	s, err := shamir.Parse(data)
	if err == nil {
		defer s.Wipe()
		if s.Equal(want) {
			return EnterShare{}, true
		}
		if s.SetID == want.SetID && s.Index != want.Index {
			return k.enterShare(fmt.Sprintf("that is share %d; enter share %d, the one just shown", s.Index, want.Index)), false
		}
	}
	// Typed words are compared with the share shown word by word, which
	// names the words to correct more exactly than the checksum can.
	if differ, got, ok := copyDiffers(data, want); ok && len(differ) > 0 {
		scr := k.enterShare(differsProblem(differ, got, want.WordCount()))
		scr.Differs = differ
		return scr, false
	}
	if err != nil {
		return k.enterShare("not accepted: " + err.Error()), false
	}
	return k.enterShare("that is not the share just shown; look at it again (Back) and enter every word"), false
}

func (k *Kiosk) ceremonyParams(cp CeremonyParams) (ceremony.Params, error) {
	net, err := descriptor.ParseNetwork(cp.Network)
	if err != nil {
		return ceremony.Params{}, err
	}
	st, err := descriptor.ParseScriptType(cp.Script)
	if err != nil {
		return ceremony.Params{}, err
	}
	if cp.Words != 12 && cp.Words != 24 {
		return ceremony.Params{}, fmt.Errorf("a seed of %d words: choose 12 or 24", cp.Words)
	}
	if cp.Threshold < 2 || cp.Total < cp.Threshold || cp.Total > 16 {
		return ceremony.Params{}, fmt.Errorf("%d of %d shares: choose 2 to 16 shares and a threshold of at least 2, at most the number of shares", cp.Threshold, cp.Total)
	}
	if len(cp.Custodians) != 0 && len(cp.Custodians) != cp.Total {
		return ceremony.Params{}, fmt.Errorf("%d custodians named for %d shares: name one per share, or none", len(cp.Custodians), cp.Total)
	}
	if cp.ExportDir == "" {
		return ceremony.Params{}, errors.New("choose a new folder for the export (on removable media)")
	}
	if _, err := os.Lstat(cp.ExportDir); err == nil {
		return ceremony.Params{}, fmt.Errorf("%s already exists: choose a new folder", cp.ExportDir)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return ceremony.Params{}, err
	}
	if st, err := os.Stat(filepath.Dir(cp.ExportDir)); err != nil || !st.IsDir() {
		return ceremony.Params{}, fmt.Errorf("the folder %s does not exist: insert the export medium", filepath.Dir(cp.ExportDir))
	}
	if cp.Name != "" {
		if err := home.CheckWalletName(cp.Name); err != nil {
			return ceremony.Params{}, err
		}
	}
	return ceremony.Params{Network: net, Script: st, Threshold: cp.Threshold, Total: cp.Total, Words: cp.Words,
		Custodians: cp.Custodians, Name: cp.Name, Software: k.cfg.Software}, nil
}

func (k *Kiosk) runCeremony() (Screen, error) {
	c := k.cer
	r := k.cfg.Rand
	if r == nil {
		r = rand.Reader
	}
	inUse, err := k.cfg.Home.ShareSetsInUse()
	var res *ceremony.Result
	if err == nil {
		c.p.InUse = inUse
		res, err = ceremony.Run(c.p, r, k.cfg.Now(), k.cfg.Home)
	}
	clear(c.dice)
	c.dice, c.p.Dice = nil, nil
	if err != nil {
		return CeremonySetup{Params: c.params, Problem: err.Error()}, nil
	}
	if err := k.cfg.Home.CheckNewWallet(res.Wallet()); err != nil {
		res.Wipe()
		return CeremonySetup{Params: c.params, Problem: err.Error()}, nil
	}
	c.res, c.at = res, 0
	return k.showShare(), nil
}

func (k *Kiosk) showShare() ShowShare {
	c := k.cer
	s := c.res.Shares[c.at]
	return ShowShare{Index: s.Index, Total: s.Total, Threshold: s.Threshold, Custodian: k.custodian(c.at),
		Set: s.SetName(), Fingerprint: hex.EncodeToString(s.Fingerprint[:]), Wallet: c.params.Name,
		Words: s.Words(), QRText: s.QRText(), SeedWords: c.params.Words}
}

func (k *Kiosk) enterShare(problem string) EnterShare {
	c := k.cer
	s := c.res.Shares[c.at]
	return EnterShare{Index: s.Index, Total: s.Total, Custodian: k.custodian(c.at), Problem: problem,
		Words: s.WordCount(), SeedWords: c.params.Words}
}

func (k *Kiosk) custodian(i int) string {
	if i < len(k.cer.params.Custodians) {
		return k.cer.params.Custodians[i]
	}
	return ""
}

func (k *Kiosk) finishCeremony() (Screen, error) {
	c := k.cer
	res := c.res
	if k.cfg.Imager == nil {
		return nil, errors.New("kiosk: no QR imager configured for the ceremony export")
	}
	if k.cfg.Extra != nil {
		extra, err := k.cfg.Extra(res.Descriptor)
		if err != nil {
			return nil, err
		}
		res.Extra = extra
	}
	if err := res.WriteExport(c.params.ExportDir, k.cfg.Imager); err != nil {
		return CeremonySetup{Params: c.params, Problem: err.Error() + "; nothing was registered, start the ceremony again"}, nil
	}
	if err := k.st.RecordCeremony(res); err != nil {
		return nil, err
	}
	w := res.Wallet()
	done := CeremonyDone{Wallet: walletInfo(&w), CeremonyID: res.Transcript.CeremonyID, Descriptor: res.Transcript.Descriptor,
		Desc: res.Descriptor, ExportDir: c.params.ExportDir, WatchOnly: res.WatchOnly}
	res.Wipe()
	c.res = nil
	return done, nil
}

// RecordCeremony registers the wallet of a finished ceremony whose files are
// written, keeps its transcript and logs it.
func (s Station) RecordCeremony(res *ceremony.Result) error {
	h := s.Home
	w := res.Wallet()
	if err := h.SaveTranscript(w.CeremonyID, res.TranscriptFile); err != nil {
		return err
	}
	if err := h.AddWallet(w); err != nil {
		return err
	}
	t := res.Transcript
	return s.append("ceremony", map[string]any{
		"ceremony_id": t.CeremonyID, "kind": t.Kind, "wallet": t.WalletName, "network": t.Network,
		"script": t.Script, "master_fingerprint": t.MasterFingerprint, "share_set": t.ShareSet,
		"threshold": t.Threshold, "total": t.Total, "shares": t.Shares, "entropy_source": t.EntropySource,
		"descriptor": t.Descriptor, "transcript_sha256": w.TranscriptSHA256,
	})
}
