package psbt

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/psbt/descriptor"
)

// Policy holds the limits Analyze enforces on its own. The kiosk's spending
// policy (amounts, velocity, approvals) is applied on top of the Summary.
type Policy struct {
	// MaxFee refuses a transaction whose fee is above it; 0 means no cap.
	MaxFee btcutil.Amount
	// MaxFeeRate refuses a fee rate above it, in sat/vB; 0 means no cap.
	MaxFeeRate float64
	// MaxIndex is the highest address index accepted in a derivation
	// path; 0 means DefaultMaxIndex. A path far beyond any address the
	// coordinator could have watched is a sign of a malicious PSBT that
	// wants us to pay to an address nobody will ever look at.
	MaxIndex uint32
	// Cosigner is the master fingerprint of the seed this kiosk holds. In a
	// multisig wallet it names which of the cosigners' keys is ours
	// (descriptor.KeyFor), and Analyze needs it: the descriptor alone does
	// not say. A single-sig wallet names its one key in the descriptor;
	// there Cosigner may stay zero, and when set it must be that key's
	// fingerprint.
	Cosigner [4]byte
	// Now is the kiosk's clock, for lock times given as dates and for the
	// chain height a lock time given as a block may not be far beyond. Zero
	// skips those two checks.
	Now time.Time
	// AllowForeignInputs lets a transaction also spend coins that are not
	// the wallet's (a payjoin, a batch with another wallet). Without it
	// such inputs are refused: their amounts cannot be checked against
	// the wallet, and whoever built the PSBT could have made them up.
	AllowForeignInputs bool
	// BIP322 accepts version 0, which BIP-322's to_sign (a message
	// signature or proof of reserves) has on purpose: it is never to be
	// mined. The caller has checked it is one (bip322.Describe).
	BIP322 bool
}

// DefaultMaxIndex is the highest address index accepted by default.
const DefaultMaxIndex = 100_000

// DefaultPolicy is a conservative starting point: fees above 0.01 BTC or
// 1,000 sat/vB are refused.
var DefaultPolicy = Policy{MaxFee: 1_000_000, MaxFeeRate: 1000}

// OutputKind says what an output is to the wallet.
type OutputKind int

// Output kinds.
const (
	Payment  OutputKind = iota // to someone else: shown with its full address
	Change                     // proven to pay back to this wallet
	OpReturn                   // data, no value
)

func (k OutputKind) String() string {
	switch k {
	case Change:
		return "change"
	case OpReturn:
		return "op_return"
	}
	return "payment"
}

// Input is what Analyze proved about one input.
type Input struct {
	Index    int
	OutPoint wire.OutPoint
	// Sequence is the input's nSequence: below 0xfffffffe it lets the
	// transaction be replaced (BIP125) and enables its lock time; with bit
	// 31 clear in a version 2 transaction it is a relative lock (BIP68).
	Sequence uint32
	// Amount is verified: from the full previous transaction, or from the
	// witness UTXO in an all-taproot transaction, where BIP341 signatures
	// commit to every spent amount.
	Amount btcutil.Amount
	Ours   bool
	// OtherPath says the input spends a coin of a wallet with spending
	// paths, proved at Branch and AddrIndex, by no path this kiosk's keys
	// sign now (another's, or one whose lock the transaction does not
	// meet): the wallet's coin, not signed here. Ours is false.
	OtherPath bool
	// sighash is the signature hash type the input asks for, and Sign
	// signs with: ALL, or DEFAULT (0, also when none is given), which a
	// taproot signature names by being 64 bytes long.
	sighash txscript.SigHashType
	// Branch and AddrIndex locate an input of ours in the wallet.
	Branch, AddrIndex uint32
	Address           string
	pkScript          []byte
	// For an input of ours: our key's public key and full derivation path,
	// and the scripts the wallet says it spends through (the redeem script
	// of P2SH-wrapped types, the multisig witness script).
	pub                   *btcec.PublicKey
	output                *btcec.PublicKey // P2TR: the output key the spent script pays to
	path                  []uint32
	redeemScript, witness []byte
	// Path and Recovery: an input of a script wallet's spending path (see
	// Summary.Path); script is what Sign signs in it.
	Path     string
	Recovery bool
	script   *scriptInput
	// A foreign input's scripts as the PSBT gives them, for the size
	// estimate only.
	claimedRedeem, claimedWitness []byte
}

// Output is what Analyze proved about one output.
type Output struct {
	Index   int
	Amount  btcutil.Amount
	Kind    OutputKind
	Address string // empty for OP_RETURN and unknown scripts
	Script  []byte
	// Branch and AddrIndex locate a change output in the wallet.
	Branch, AddrIndex uint32
	// Data is an OP_RETURN output's pushed data.
	Data []byte
}

// Summary is Analyze's account of a PSBT: every amount recomputed from the
// PSBT's own data and the wallet's descriptor, nothing taken on trust.
type Summary struct {
	Network descriptor.Network
	TxID    chainhash.Hash // of the unsigned transaction
	// Version and LockTime are the transaction's; LockTimeActive says
	// whether the lock time binds (some input's sequence is not final).
	Version        int32
	LockTime       uint32
	LockTimeActive bool
	Inputs         []Input
	Outputs        []Output
	TotalIn        btcutil.Amount
	TotalOut       btcutil.Amount
	// Fee is TotalIn - TotalOut, valid when FeeKnown.
	Fee      btcutil.Amount
	FeeKnown bool
	// VSize is the estimated virtual size once signed, and FeeRate the
	// fee over it in sat/vB.
	VSize   int64
	FeeRate float64
	// Payments is what the outputs pay to others: every output that is
	// not proven change.
	Payments btcutil.Amount
	// Spent is what the transaction takes from the wallet, the amount its
	// spending policy counts: every payment plus the fee (the fee only when
	// known). It is never negative and never less than what leaves the
	// wallet, whatever the other inputs claim: with foreign inputs it may
	// count more than the wallet's own share, never less. (Our inputs
	// minus change would let a made-up foreign input and a large "change"
	// make it negative.)
	Spent btcutil.Amount
	// AccountRooted says that derivations of this wallet's key in the PSBT
	// are rooted at the account key (its own fingerprint, path branch/index
	// below it), as wallets that imported only the account xpub write them
	// (Electrum); the scripts are re-derived and proven all the same.
	AccountRooted bool
	// NamesKey says that some BIP32 derivation in the PSBT names this
	// wallet's key, by its master fingerprint or its account key's, whether
	// or not the claim holds: the PSBT was meant for this wallet.
	NamesKey bool
	Refusals []Finding
	Warnings []Finding
	// Path says, for a wallet with spending paths (AnalyzeScriptWallet),
	// which path the kiosk's signature serves, in plain words; Recovery
	// is set when that is a timelocked recovery path.
	Path     string
	Recovery bool
}

// Signable reports whether nothing refuses the PSBT and at least one input
// is ours to sign.
func (s *Summary) Signable() bool {
	if len(s.Refusals) > 0 {
		return false
	}
	for _, in := range s.Inputs {
		if in.Ours {
			return true
		}
	}
	return false
}

const maxSatoshi = btcutil.Amount(btcutil.MaxSatoshi)

// Analyze checks a PSBT against the wallet that is asked to sign it. It
// trusts nothing the coordinator claims: an input is ours only when it
// carries a BIP32 derivation of our key that fits the wallet's template and
// re-deriving the wallet's script there reproduces the script it spends, an
// output is change only when the same holds for it, and every amount comes
// from data the signature will commit to. What it cannot prove it refuses,
// with a reason. An error means the PSBT could not be examined at all.
//
// For a multisig wallet (wsh(sortedmulti) or sh(wsh(sortedmulti))),
// pol.Cosigner says which cosigner this kiosk is. "Our key" is then that
// cosigner's, and the script that must be reproduced is the whole multisig:
// every cosigner's key at the claimed branch and index, with the wallet's
// threshold. A witness or redeem script in the PSBT must be exactly the
// wallet's, since other signers show and sign what it says.
func Analyze(p *btcpsbt.Packet, w *descriptor.Descriptor, pol Policy) (*Summary, error) {
	if p == nil || p.UnsignedTx == nil {
		return nil, errors.New("no PSBT to analyze")
	}
	if w == nil || (w.Script.Multisig() && len(w.Keys) == 0) || (!w.Script.Multisig() && w.Key == nil) {
		return nil, errors.New("no wallet to analyze the PSBT against")
	}
	origin, us := w.Origin, -1
	if w.Script.Multisig() {
		if pol.Cosigner == ([4]byte{}) {
			return nil, errors.New("the wallet is a multisig: set Policy.Cosigner to the master fingerprint of this kiosk's seed, so that its key among the cosigners' is known")
		}
		i, ok := w.KeyFor(pol.Cosigner)
		if !ok {
			return nil, fmt.Errorf("the multisig wallet has no key of master fingerprint %x: this kiosk's seed is not one of its cosigners", pol.Cosigner)
		}
		origin, us = w.Keys[i].Origin, i
	} else if pol.Cosigner != ([4]byte{}) && pol.Cosigner != w.Origin.Fingerprint {
		return nil, fmt.Errorf("the wallet's key is of master fingerprint %x, but this kiosk's seed is %x", w.Origin.Fingerprint, pol.Cosigner)
	}
	tx := p.UnsignedTx
	if len(p.Inputs) != len(tx.TxIn) || len(p.Outputs) != len(tx.TxOut) {
		return nil, fmt.Errorf("the PSBT has %d input and %d output maps for a transaction of %d inputs and %d outputs", len(p.Inputs), len(p.Outputs), len(tx.TxIn), len(tx.TxOut))
	}
	if pol.MaxIndex == 0 {
		pol.MaxIndex = DefaultMaxIndex
	}
	accountKey := w.Key
	if us >= 0 {
		accountKey = w.Keys[us].Key
	}
	accountFP, err := keyFingerprint(accountKey)
	if err != nil {
		return nil, fmt.Errorf("the wallet's account key: %w", err)
	}
	a := &analysis{p: p, w: w, net: w.Network, pol: pol, origin: origin, us: us, fp: fingerprintUint32(origin.Fingerprint), accountFP: accountFP,
		s: &Summary{Network: w.Network, TxID: tx.TxHash(), Version: tx.Version, LockTime: tx.LockTime}}
	a.timing()
	a.inputs()
	a.outputs()
	a.fee()
	return a.s, nil
}

type analysis struct {
	p      *btcpsbt.Packet
	w      *descriptor.Descriptor // nil for a script wallet (sw)
	sw     *scriptWallet
	net    descriptor.Network
	pol    Policy
	origin descriptor.KeyOrigin // of our key: the single-sig key, or our cosigner's
	us     int                  // our index in a multisig's Keys; -1 for single-sig
	fp     uint32
	// accountFP is our account key's own fingerprint, which wallets that
	// know only the account xpub (Electrum imports a zpub) write as the
	// root of their derivations, with paths relative to it.
	accountFP uint32
	s         *Summary
	derivers  [2]*descriptor.Deriver
}

func (a *analysis) refuse(f Finding) { a.s.Refusals = append(a.s.Refusals, f) }
func (a *analysis) warn(f Finding)   { a.s.Warnings = append(a.s.Warnings, f) }

// fingerprintUint32 is a fingerprint as btcd's psbt package stores it: the
// four bytes read little-endian.
func fingerprintUint32(fp [4]byte) uint32 { return binary.LittleEndian.Uint32(fp[:]) }

func (a *analysis) inputs() {
	tx := a.p.UnsignedTx
	seen := map[wire.OutPoint]int{}
	allTaproot := a.allTaproot()
	amountsKnown := true
	for i, txIn := range tx.TxIn {
		pin := &a.p.Inputs[i]
		in := Input{Index: i, OutPoint: txIn.PreviousOutPoint, Sequence: txIn.Sequence}
		if j, dup := seen[txIn.PreviousOutPoint]; dup {
			a.refuse(inputFinding(CodeDuplicateInput, i, "spends %s, which input %d spends too", txIn.PreviousOutPoint, j))
		}
		seen[txIn.PreviousOutPoint] = i
		in.sighash = a.checkSighash(i, pin)

		utxo, ok := a.spentOutput(i, pin, txIn, allTaproot)
		if !ok {
			amountsKnown = false
		} else {
			in.pkScript = utxo.PkScript
			if utxo.Value < 0 || btcutil.Amount(utxo.Value) > maxSatoshi {
				a.refuse(inputFinding(CodeAmountRange, i, "spends %d satoshis, outside 0 to 21 million BTC", utxo.Value))
				amountsKnown = false
			} else {
				in.Amount = btcutil.Amount(utxo.Value)
				in.Address = a.address(utxo.PkScript)
			}
		}
		in.claimedRedeem, in.claimedWitness = pin.RedeemScript, pin.WitnessScript
		if branch, index, claimed := a.claimedPath(i, -1, pin.Bip32Derivation, pin.TaprootBip32Derivation); claimed && in.pkScript != nil {
			// (an input without a known UTXO is already refused)
			a.ourInput(i, pin, &in, branch, index)
		}
		a.s.Inputs = append(a.s.Inputs, in)
	}
	if !amountsKnown {
		return
	}
	var total btcutil.Amount
	for _, in := range a.s.Inputs {
		total += in.Amount
		if total > maxSatoshi {
			a.refuse(txFinding(CodeAmountRange, "the inputs add up to more than 21 million BTC"))
			return
		}
	}
	a.s.TotalIn = total
	a.s.FeeKnown = true

	ours, foreign := 0, 0
	for _, in := range a.s.Inputs {
		if in.Ours {
			ours++
		} else {
			foreign++
		}
	}
	if ours == 0 {
		a.refuse(txFinding(CodeNothingOurs, "no input spends a coin of wallet %x: there is nothing for this wallet to sign", a.origin.Fingerprint))
	} else if foreign > 0 {
		for _, in := range a.s.Inputs {
			switch {
			case in.Ours:
			case a.pol.AllowForeignInputs:
				a.warn(inputFinding(CodeForeignInput, in.Index, "is not this wallet's; it will not be signed here, and the whole payment counts against the wallet's limits"))
			default:
				a.refuse(inputFinding(CodeForeignInput, in.Index, "is not this wallet's: a transaction that also spends other coins is signed only when the wallet's policy allows foreign inputs, since whoever built it could have made that input up to make the amounts look smaller; ask the coordinator for a transaction of this wallet's coins only"))
			}
		}
	}
}

// allTaproot reports whether every input spends a taproot output according
// to its witness UTXO. Only then may amounts come from witness UTXOs: a
// BIP341 signature commits to every input's amount and script, so a lie
// about any of them makes every signature invalid.
func (a *analysis) allTaproot() bool {
	for _, pin := range a.p.Inputs {
		if pin.WitnessUtxo == nil || !txscript.IsPayToTaproot(pin.WitnessUtxo.PkScript) {
			return false
		}
	}
	return true
}

// spentOutput returns the output input i spends, from data it can verify.
func (a *analysis) spentOutput(i int, pin *btcpsbt.PInput, txIn *wire.TxIn, allTaproot bool) (*wire.TxOut, bool) {
	op := txIn.PreviousOutPoint
	if pin.NonWitnessUtxo != nil {
		if h := pin.NonWitnessUtxo.TxHash(); h != op.Hash {
			a.refuse(inputFinding(CodePrevTxMismatch, i, "its previous transaction is %s, but the input spends %s", h, op.Hash))
			return nil, false
		}
		if int(op.Index) >= len(pin.NonWitnessUtxo.TxOut) {
			a.refuse(inputFinding(CodePrevTxMismatch, i, "spends output %d of a previous transaction that has %d outputs", op.Index, len(pin.NonWitnessUtxo.TxOut)))
			return nil, false
		}
		out := pin.NonWitnessUtxo.TxOut[op.Index]
		if w := pin.WitnessUtxo; w != nil && (w.Value != out.Value || !bytes.Equal(w.PkScript, out.PkScript)) {
			a.refuse(inputFinding(CodeWitnessUTXOMismatch, i, "its witness UTXO says %d satoshis, its previous transaction %d: the PSBT contradicts itself", w.Value, out.Value))
			return nil, false
		}
		return out, true
	}
	if pin.WitnessUtxo == nil {
		a.refuse(inputFinding(CodeMissingUTXO, i, "carries neither the previous transaction nor the spent output: its amount cannot be known"))
		return nil, false
	}
	if !allTaproot {
		a.refuse(inputFinding(CodeMissingPrevTx, i, "carries only a witness UTXO; outside all-taproot transactions the full previous transaction is needed to prove the amount (the segwit fee attack): have the coordinator add non_witness_utxo"))
		return nil, false
	}
	return pin.WitnessUtxo, true
}

// checkSighash returns the sighash type input i asks for when the kiosk
// signs with it (ALL, or DEFAULT: none given), and refuses any other. BIP174
// forbids a signer to sign with another type than the one requested, and
// the other types let a signature be reused in a transaction the review
// never showed: NONE lets anyone redirect the outputs, SINGLE all but one,
// ANYONECANPAY lets inputs be added.
func (a *analysis) checkSighash(i int, pin *btcpsbt.PInput) txscript.SigHashType {
	sh := pin.SighashType
	switch {
	case sh == txscript.SigHashDefault || sh == txscript.SigHashAll:
		return sh
	case sh&0x40 != 0:
		a.refuse(inputFinding(CodeSighashForkID, i, "asks for sighash type %#x with SIGHASH_FORKID, which is for other chains than Bitcoin", uint32(sh)))
	default:
		a.refuse(inputFinding(CodeSighash, i, "asks for sighash type %s; this kiosk signs only with ALL (and DEFAULT for taproot), so that a signature cannot be reused in a transaction other than the one reviewed, and never with another type than the one requested: ask the coordinator for a PSBT without PSBT_IN_SIGHASH_TYPE or with ALL (1)", sighashName(sh)))
	}
	return sh
}

// sighashName names a sighash type for people, with its number.
func sighashName(sh txscript.SigHashType) string {
	base := map[txscript.SigHashType]string{
		txscript.SigHashDefault: "DEFAULT", txscript.SigHashAll: "ALL",
		txscript.SigHashNone: "NONE", txscript.SigHashSingle: "SINGLE",
	}[sh&^txscript.SigHashAnyOneCanPay]
	if base == "" {
		return fmt.Sprintf("%#x (undefined)", uint32(sh))
	}
	if sh&txscript.SigHashAnyOneCanPay != 0 {
		base += "|ANYONECANPAY"
	}
	return fmt.Sprintf("%s (%#x)", base, uint32(sh))
}

// claimedPath finds this wallet's derivation among an input's or output's
// BIP32 fields and checks it fits the wallet's template: account path, then
// branch 0 or 1, then an unhardened index up to MaxIndex. A derivation is
// this wallet's when it names our master fingerprint with the full path,
// or our account key's own fingerprint with the path below it (branch and
// index only), as a wallet that knows only the account xpub writes it. A
// claim that does not fit is refused; claimed is true only for one that
// fits.
func (a *analysis) claimedPath(in, out int, ds []*btcpsbt.Bip32Derivation, tds []*btcpsbt.TaprootBip32Derivation) (branch, index uint32, claimed bool) {
	if a.sw != nil {
		return a.scriptClaimedPath(in, out, ds, tds)
	}
	claims := collectClaims(ds, tds, false)
	finding := pathFinding(in, out)
	account := a.origin.Path
	for _, c := range claims {
		path := c.path
		if c.fp == a.fp || c.fp == a.accountFP {
			a.s.NamesKey = true
		}
		switch {
		case c.fp == a.fp && len(path) == len(account)+2 && equalPath(path[:len(account)], account):
		case c.fp == a.accountFP && len(path) == 2:
			// Relative to the account key: the same key as the full
			// path from the master, which the signer uses.
			path = append(slices.Clone(account), path...)
			if c.fp != a.fp {
				a.s.AccountRooted = true
			}
		case c.fp == a.fp:
			a.refuse(finding("claims path %s, which is not under this wallet's account %s%s", descriptor.FormatPath(path), descriptor.FormatPath(account), a.otherCosigner(path)))
			return 0, 0, false
		case c.fp == a.accountFP:
			a.refuse(finding("claims path %s below this wallet's account key (fingerprint %x); below the account key, this wallet's addresses are at 0/index (receive) and 1/index (change)", relativePath(path), fingerprintBytes(c.fp)))
			return 0, 0, false
		default:
			continue // another key's
		}
		b, idx := path[len(account)], path[len(account)+1]
		switch {
		case b != 0 && b != 1:
			a.refuse(finding("claims path %s; branch %s is neither receive (0) nor change (1)", descriptor.FormatPath(path), descriptor.FormatPath([]uint32{b})))
			return 0, 0, false
		case idx >= descriptor.Hardened:
			a.refuse(finding("claims path %s, whose address index is hardened; this wallet's addresses are not", descriptor.FormatPath(path)))
			return 0, 0, false
		case idx > a.pol.MaxIndex:
			a.refuse(finding("claims address index %d, beyond the %d this kiosk accepts: no coordinator watches that far", idx, a.pol.MaxIndex))
			return 0, 0, false
		}
		if claimed && (b != branch || idx != index) {
			a.refuse(finding("claims two different paths of this wallet"))
			return 0, 0, false
		}
		branch, index, claimed = b, idx, true
	}
	return branch, index, claimed
}

// claim is a BIP-32 derivation a PSBT gives for a key.
type claim struct {
	fp   uint32
	path []uint32
}

// collectClaims lists the derivations of an input or output; taproot ones
// of script leaves only when leaves is set.
func collectClaims(ds []*btcpsbt.Bip32Derivation, tds []*btcpsbt.TaprootBip32Derivation, leaves bool) []claim {
	var claims []claim
	for _, d := range ds {
		claims = append(claims, claim{d.MasterKeyFingerprint, d.Bip32Path})
	}
	for _, d := range tds {
		if leaves || len(d.LeafHashes) == 0 {
			claims = append(claims, claim{d.MasterKeyFingerprint, d.Bip32Path})
		}
	}
	return claims
}

// pathFinding makes the refusals of a derivation outside the wallet, for
// input in or, when in is negative, output out.
func pathFinding(in, out int) func(format string, args ...any) Finding {
	return func(format string, args ...any) Finding {
		if in >= 0 {
			return inputFinding(CodePathOutsideWallet, in, format, args...)
		}
		return outputFinding(CodePathOutsideWallet, out, format, args...)
	}
}

// relativePath writes a path below some key, without the "m/" of a path
// from the master.
func relativePath(path []uint32) string {
	return strings.TrimPrefix(descriptor.FormatPath(path), "m/")
}

// keyFingerprint is BIP32's fingerprint of key: the first four bytes of the
// HASH160 of its public key, as btcd's psbt package stores fingerprints.
func keyFingerprint(key *hdkeychain.ExtendedKey) (uint32, error) {
	if key == nil {
		return 0, errors.New("no key")
	}
	pub, err := key.ECPubKey()
	if err != nil {
		return 0, err
	}
	return fingerprintUint32([4]byte(hash160(pub.SerializeCompressed()))), nil
}

// fingerprintBytes undoes fingerprintUint32, for messages.
func fingerprintBytes(fp uint32) [4]byte {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], fp)
	return b
}

// otherCosigner names the cosigner whose account a path of ours is under,
// if it is another cosigner's: a PSBT that gives our fingerprint to another
// cosigner's key.
func (a *analysis) otherCosigner(path []uint32) string {
	for j, k := range a.w.Keys {
		if j != a.us && len(path) > len(k.Origin.Path) && equalPath(path[:len(k.Origin.Path)], k.Origin.Path) {
			return fmt.Sprintf(" (it is under the account of cosigner %x, not this kiosk's)", k.Origin.Fingerprint)
		}
	}
	return ""
}

func equalPath(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// deriverFor returns the cached Deriver of branch 0 or 1, making it on first
// use.
func deriverFor(w *descriptor.Descriptor, cache *[2]*descriptor.Deriver, branch uint32) (*descriptor.Deriver, error) {
	if branch > 1 {
		return nil, fmt.Errorf("branch %d does not exist", branch)
	}
	if cache[branch] == nil {
		d, err := w.Deriver(branch)
		if err != nil {
			return nil, err
		}
		cache[branch] = d
	}
	return cache[branch], nil
}

// address is the address of a standard script: P2PKH, P2SH, P2WPKH, P2WSH
// or P2TR. Anything else has none, however btcd would name it: a
// pay-to-pubkey or bare 1-of-1 multisig output would otherwise show as the
// P2PKH address of its key, which is another script.
func (a *analysis) address(script []byte) string {
	switch txscript.GetScriptClass(script) {
	case txscript.PubKeyHashTy, txscript.ScriptHashTy, txscript.WitnessV0PubKeyHashTy,
		txscript.WitnessV0ScriptHashTy, txscript.WitnessV1TaprootTy:
	default:
		return ""
	}
	_, addrs, _, err := txscript.ExtractPkScriptAddrs(script, a.net.Params())
	if err != nil || len(addrs) != 1 {
		return ""
	}
	return addrs[0].EncodeAddress()
}

func (a *analysis) outputs() {
	var total btcutil.Amount
	overflow := false
	for o, txOut := range a.p.UnsignedTx.TxOut {
		pout := &a.p.Outputs[o]
		out := Output{Index: o, Script: txOut.PkScript}
		if txOut.Value < 0 || btcutil.Amount(txOut.Value) > maxSatoshi {
			a.refuse(outputFinding(CodeAmountRange, o, "pays %d satoshis, outside 0 to 21 million BTC", txOut.Value))
			overflow = true
		} else {
			out.Amount = btcutil.Amount(txOut.Value)
			total += out.Amount
			if total > maxSatoshi {
				overflow = true
			}
		}
		switch {
		case len(txOut.PkScript) > 0 && txOut.PkScript[0] == txscript.OP_RETURN:
			out.Kind = OpReturn
			out.Data = opReturnData(txOut.PkScript)
			if txOut.Value != 0 {
				a.refuse(outputFinding(CodeOpReturnValue, o, "is an OP_RETURN carrying %d satoshis, which would be burned", txOut.Value))
			}
		default:
			out.Address = a.address(txOut.PkScript)
			if branch, index, claimed := a.claimedPath(-1, o, pout.Bip32Derivation, pout.TaprootBip32Derivation); claimed {
				if a.ourChange(o, pout, txOut.PkScript, out.Address, branch, index) {
					out.Kind, out.Branch, out.AddrIndex = Change, branch, index
					if branch == 0 {
						a.warn(outputFinding(CodeChangeOnReceive, o, "returns to this wallet's receive address %d, not a change address", index))
					}
				}
			}
			if out.Kind == Payment && out.Address == "" {
				a.refuse(outputFinding(CodeUnknownScript, o, "pays script %x, which is no standard address type", txOut.PkScript))
			}
			if out.Kind == Payment && out.Address != "" && txOut.Value < dustLimit(txOut.PkScript) {
				a.refuse(outputFinding(CodeDust, o, "pays %d satoshis, below the dust limit of %d for its script type: nodes would not relay it", txOut.Value, dustLimit(txOut.PkScript)))
			}
		}
		a.s.Outputs = append(a.s.Outputs, out)
	}
	if overflow {
		a.refuse(txFinding(CodeAmountRange, "the outputs add up to more than 21 million BTC"))
		a.s.FeeKnown = false
		return
	}
	a.s.TotalOut = total
	for _, out := range a.s.Outputs {
		if out.Kind != Change {
			a.s.Payments += out.Amount
		}
	}
	a.s.Spent = a.s.Payments
}

func orHex(addr string, script []byte) string {
	if addr != "" {
		return addr
	}
	return "script " + hex.EncodeToString(script)
}

func opReturnData(script []byte) []byte {
	pushes, err := txscript.PushedData(script[1:])
	if err != nil {
		return nil
	}
	return bytes.Join(pushes, nil)
}

func (a *analysis) fee() {
	s := a.s
	if !s.FeeKnown {
		return
	}
	if s.TotalOut > s.TotalIn {
		a.refuse(txFinding(CodeOutputsExceed, "the outputs (%d sat) add up to more than the inputs (%d sat)", int64(s.TotalOut), int64(s.TotalIn)))
		s.FeeKnown = false
		return
	}
	s.Fee = s.TotalIn - s.TotalOut
	s.Spent = s.Payments + s.Fee
	spent := make([]spentScripts, len(s.Inputs))
	for i, in := range s.Inputs {
		spent[i] = spentScripts{pkScript: in.pkScript, redeem: in.claimedRedeem, witness: in.claimedWitness}
		if in.Ours {
			spent[i].redeem, spent[i].witness = in.redeemScript, in.witness
		}
	}
	weight, exact := estimateWeight(a.p.UnsignedTx, spent)
	s.VSize = (weight + 3) / 4
	if s.VSize > 0 {
		s.FeeRate = float64(s.Fee) / float64(s.VSize)
	}
	if !exact {
		a.warn(txFinding(CodeFeeRateEstimated, "the fee rate is estimated: some inputs are of a type whose signed size is not known in advance"))
	}
	if a.pol.MaxFee > 0 && s.Fee > a.pol.MaxFee {
		a.refuse(txFinding(CodeFeeAboveCap, "the fee is %s, above the cap of %s", s.Fee, a.pol.MaxFee))
	}
	if a.pol.MaxFeeRate > 0 && s.FeeRate > a.pol.MaxFeeRate {
		a.refuse(txFinding(CodeFeeRateAboveCap, "the fee rate is %.1f sat/vB, above the cap of %.1f sat/vB", s.FeeRate, a.pol.MaxFeeRate))
	}
}

// maxStandardVersion is the highest transaction version nodes relay
// (Bitcoin Core 28, TRUC transactions are version 3).
const maxStandardVersion = 3

// timing checks what the transaction's version, lock time and sequences
// ask for: a version nodes relay, no relative lock (BIP68; no wallet type
// this kiosk signs for needs one), and an absolute lock time that is not
// far in the future.
func (a *analysis) timing() {
	tx := a.p.UnsignedTx
	if (tx.Version < 1 || tx.Version > maxStandardVersion) && !(a.pol.BIP322 && tx.Version == 0) {
		a.refuse(txFinding(CodeVersion, "has version %d; nodes relay versions 1 to %d only, so it could never be mined: ask the coordinator for a version 2 transaction", tx.Version, maxStandardVersion))
	}
	for i, in := range tx.TxIn {
		if in.Sequence != wire.MaxTxInSequenceNum {
			a.s.LockTimeActive = tx.LockTime != 0
		}
		if tx.Version >= 2 && in.Sequence&wire.SequenceLockTimeDisabled == 0 && a.sw == nil {
			// (a script wallet's recovery paths wait for relative
			// locks; its spending path check judges them)
			if v := in.Sequence & wire.SequenceLockTimeMask; v != 0 {
				what := fmt.Sprintf("%d blocks", v)
				if in.Sequence&wire.SequenceLockTimeIsSeconds != 0 {
					what = fmt.Sprintf("%d × 512 seconds (%s)", v, time.Duration(v)*512*time.Second)
				}
				a.refuse(inputFinding(CodeRelativeLock, i, "has sequence %#08x, a relative lock of %s after its coin confirms; no coin of this wallet needs one: ask the coordinator for sequence 0xfffffffd", in.Sequence, what))
			}
		}
	}
	if !a.s.LockTimeActive || a.pol.Now.IsZero() {
		return
	}
	lt := tx.LockTime
	if lt >= lockTimeThreshold {
		if until := time.Unix(int64(lt), 0).UTC(); until.After(a.pol.Now.Add(MaxLockAhead)) {
			a.refuse(txFinding(CodeLockTimeFuture, "is locked until %s, more than %s after this kiosk's clock (%s): it could not be mined before then; ask the coordinator for a lock time of the current block", until.Format(time.RFC3339), MaxLockAhead, a.pol.Now.UTC().Format(time.RFC3339)))
		}
		return
	}
	if bound := maxPlausibleHeight(a.net, a.pol.Now); bound > 0 && lt > bound {
		a.refuse(txFinding(CodeLockTimeFuture, "is locked until block %d; by this kiosk's clock (%s) the chain is below block %d, so it could not be mined for years: ask the coordinator for a lock time of the current block", lt, a.pol.Now.UTC().Format("2006-01-02"), bound))
	}
}

// MaxLockAhead is how far past the kiosk's clock a lock time given as a date
// may be: a withdrawal is mined now, not later.
const MaxLockAhead = 24 * time.Hour

// maxPlausibleHeight is a height the chain cannot have reached by now: one
// block every ten minutes since the genesis block, 10% faster, and a year
// more. 0 means no bound: testnet3's difficulty resets let it run far ahead
// of the clock, and regtest mines at will.
func maxPlausibleHeight(n descriptor.Network, now time.Time) uint32 {
	var genesis time.Time
	switch n {
	case descriptor.Mainnet:
		genesis = time.Unix(1231006505, 0)
	case descriptor.Signet:
		genesis = time.Unix(1598918400, 0)
	default:
		return 0
	}
	if now.Before(genesis) {
		return 0
	}
	blocks := now.Sub(genesis) / (10 * time.Minute)
	return uint32(float64(blocks)*1.1) + 52_560
}
