package bip322

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// The outcomes of BIP-322's verification besides "valid".
var (
	// ErrInvalid is wrapped by every error about a signature that some
	// required check refused: it proves nothing.
	ErrInvalid = errors.New("bip322: invalid signature")
	// ErrInconclusive is wrapped by every error about a signature that
	// passed the required checks but not the upgradeable ones (a to_sign
	// version other than 0 or 2, upgradeable NOPs, witness versions or
	// Taproot leaf versions, an annex) or that cannot be judged without a
	// UTXO set: it neither proves nor disproves.
	ErrInconclusive = errors.New("bip322: inconclusive signature")
)

// requiredFlags are BIP-322's required rules: consensus (P2SH, DERSIG,
// NULLDUMMY, CLTV, CSV, witness, Taproot) and LOW_S, STRICTENC, NULLFAIL,
// MINIMALDATA, CLEANSTACK, MINIMALIF and CONST_SCRIPTCODE. A failure under
// them is ErrInvalid.
const requiredFlags = txscript.ScriptBip16 | txscript.ScriptVerifyDERSignatures |
	txscript.ScriptStrictMultiSig | txscript.ScriptVerifyCheckLockTimeVerify |
	txscript.ScriptVerifyCheckSequenceVerify | txscript.ScriptVerifyWitness |
	txscript.ScriptVerifyTaproot | txscript.ScriptVerifyStrictEncoding |
	txscript.ScriptVerifyLowS | txscript.ScriptVerifyNullFail |
	txscript.ScriptVerifyMinimalData | txscript.ScriptVerifyCleanStack |
	txscript.ScriptVerifyMinimalIf | txscript.ScriptVerifyConstScriptCode

// upgradeableFlags add the upgradeable rules: reserved NOPs, witness
// versions above 1, unknown Taproot leaf versions, OP_SUCCESS and public key
// types, uncompressed keys in segwit scripts. A failure under them alone is
// ErrInconclusive.
const upgradeableFlags = txscript.StandardVerifyFlags

// Verified says when a valid signature is valid: BIP-322's "valid at time
// T and age S".
type Verified struct {
	Format Format
	// LockTime is to_sign's lock time (T) and Sequence its first input's
	// sequence (S); both are 0 unless the signer set a time lock.
	LockTime, Sequence uint32
}

// Verify checks signature, in any of BIP-322's formats, as the owner of
// pkScript signing message. It returns nil only for a valid signature; its
// errors wrap ErrMalformed, ErrInvalid or ErrInconclusive. A full signature
// with further inputs is a proof of funds, which needs a UTXO set: Verify
// calls it inconclusive, and VerifyReserves checks it.
func Verify(pkScript, message []byte, signature string) (Verified, error) {
	if len(pkScript) == 0 || len(pkScript) > txscript.MaxScriptSize {
		return Verified{}, fmt.Errorf("bip322: the address's script is %d bytes; give the scriptPubKey of the address being proven", len(pkScript))
	}
	b, err := decodeText(signature)
	if err != nil {
		return Verified{}, err
	}
	toSpend := ToSpend(message, pkScript)
	spent := wire.OutPoint{Hash: toSpend.TxHash(), Index: 0}
	full, fullErr := decodeFull(b)
	if fullErr == nil && full.TxIn[0].PreviousOutPoint == spent {
		return verifyFull(toSpend, full)
	}
	if txscript.IsPayToPubKeyHash(pkScript) && len(b) == compactSigSize {
		sig, err := decodeLegacy(b)
		if err != nil {
			return Verified{}, err
		}
		return Verified{Format: Legacy}, verifyLegacy(pkScript, message, sig)
	}
	w, simpleErr := decodeSimple(b)
	switch {
	case simpleErr == nil:
		return verifySimple(toSpend, w)
	case fullErr == nil:
		return Verified{}, fmt.Errorf("%w: the full signature's first input spends %v, not to_spend of this message and address (%v): it signs another message or another address", ErrInvalid, full.TxIn[0].PreviousOutPoint, spent)
	}
	if len(b) == compactSigSize && b[0] >= 27 && b[0] <= 34 {
		return Verified{}, fmt.Errorf("%w: this looks like a legacy (Bitcoin Signed Message) signature, which proves P2PKH addresses only, and this address is %s; ask for a BIP-322 signature", ErrInvalid, txscript.GetScriptClass(pkScript))
	}
	return Verified{}, fmt.Errorf("%w: the signature is neither a transaction (as a full signature: %s) nor a witness stack (as a simple one: %s)", ErrMalformed, detail(fullErr), detail(simpleErr))
}

// verifySimple rebuilds to_sign with its defaults around the witness
// stack. For P2SH-wrapped segwit, which a simple signature carries no
// scriptSig for, the redeem script is the one the witness implies.
func verifySimple(toSpend *wire.MsgTx, w wire.TxWitness) (Verified, error) {
	pkScript := toSpend.TxOut[0].PkScript
	toSign := ToSign(toSpend)
	toSign.TxIn[0].Witness = w
	switch {
	case txscript.IsWitnessProgram(pkScript):
	case txscript.IsPayToScriptHash(pkScript):
		redeem, ok := wrappedRedeemScript(pkScript, w)
		if !ok {
			return Verified{}, fmt.Errorf("%w: the witness is neither P2SH-P2WPKH nor P2SH-P2WSH for this P2SH address: another address signed", ErrInvalid)
		}
		sigScript, err := txscript.NewScriptBuilder().AddData(redeem).Script()
		if err != nil {
			return Verified{}, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		toSign.TxIn[0].SignatureScript = sigScript
	default:
		return Verified{}, fmt.Errorf("%w: a simple signature proves a segwit address only, and this one is %s; ask for a full signature (or, for P2PKH, a legacy one)", ErrInvalid, txscript.GetScriptClass(pkScript))
	}
	if err := verifyToSign(toSign, prevOuts(toSpend, nil)); err != nil {
		return Verified{}, signedWhat(err)
	}
	return Verified{Format: Simple}, nil
}

// detail is a decoding error without its ErrMalformed prefix, to be quoted
// inside another.
func detail(err error) string {
	return strings.TrimPrefix(err.Error(), ErrMalformed.Error()+": ")
}

// wrappedRedeemScript returns the P2SH-P2WPKH or P2SH-P2WSH redeem script
// the witness implies, if it hashes to the P2SH script's hash.
func wrappedRedeemScript(pkScript []byte, w wire.TxWitness) ([]byte, bool) {
	if len(w) == 0 {
		return nil, false
	}
	var candidates [][]byte
	if len(w) == 2 && len(w[1]) == 33 {
		candidates = append(candidates, append([]byte{txscript.OP_0, txscript.OP_DATA_20}, btcutil.Hash160(w[1])...))
	}
	ws := sha256.Sum256(w[len(w)-1])
	candidates = append(candidates, append([]byte{txscript.OP_0, txscript.OP_DATA_32}, ws[:]...))
	for _, c := range candidates {
		if bytes.Equal(btcutil.Hash160(c), pkScript[2:22]) {
			return c, true
		}
	}
	return nil, false
}

// verifyFull checks a full signature of one address: to_sign's shape, then
// its scripts.
func verifyFull(toSpend, toSign *wire.MsgTx) (Verified, error) {
	if err := checkShape(toSign); err != nil {
		return Verified{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if len(toSign.TxIn) > 1 {
		return Verified{}, fmt.Errorf("%w: the signature is a proof of funds (%d inputs after the message's): it can be judged only against a UTXO set, as a proof of reserves", ErrInconclusive, len(toSign.TxIn)-1)
	}
	if err := verifyToSign(toSign, prevOuts(toSpend, nil)); err != nil {
		return Verified{}, signedWhat(err)
	}
	return Verified{Format: Full, LockTime: toSign.LockTime, Sequence: toSign.TxIn[0].Sequence}, nil
}

// signedWhat adds to a script failure of input 0 the likely cause.
func signedWhat(err error) error {
	var fail *inputFailure
	if errors.Is(err, ErrInvalid) && errors.As(err, &fail) && fail.input == 0 {
		return fmt.Errorf("%w; check that the message is byte for byte the one signed (line endings, spaces at the end) and that the address is the one that signed", err)
	}
	return err
}

// checkShape checks to_sign's fixed fields: exactly one output, of value
// 0, paying a bare OP_RETURN.
func checkShape(toSign *wire.MsgTx) error {
	if len(toSign.TxOut) != 1 {
		return fmt.Errorf("to_sign has %d outputs; BIP-322 gives it exactly one, a 0-value OP_RETURN", len(toSign.TxOut))
	}
	if out := toSign.TxOut[0]; out.Value != 0 || !bytes.Equal(out.PkScript, opReturn) {
		return fmt.Errorf("to_sign's output pays %d sat to script %x; BIP-322 gives it 0 sat to a bare OP_RETURN (6a)", out.Value, out.PkScript)
	}
	return nil
}

// prevOuts is the output each input of to_sign spends: to_spend's, then the
// coins of a proof of funds.
func prevOuts(toSpend *wire.MsgTx, coins map[wire.OutPoint]*wire.TxOut) *txscript.MultiPrevOutFetcher {
	f := txscript.NewMultiPrevOutFetcher(nil)
	f.AddPrevOut(wire.OutPoint{Hash: toSpend.TxHash(), Index: 0}, toSpend.TxOut[0])
	for op, out := range coins {
		f.AddPrevOut(op, out)
	}
	return f
}

// verifyToSign runs BIP-322's checks on a to_sign whose every spent output
// is in prev: no input twice, SIGHASH_ALL only, the required rules, then
// the upgradeable ones.
func verifyToSign(toSign *wire.MsgTx, prev *txscript.MultiPrevOutFetcher) error {
	seen := make(map[wire.OutPoint]int, len(toSign.TxIn))
	for i, in := range toSign.TxIn {
		if j, dup := seen[in.PreviousOutPoint]; dup {
			return fmt.Errorf("%w: inputs %d and %d both spend %v", ErrInvalid, j, i, in.PreviousOutPoint)
		}
		seen[in.PreviousOutPoint] = i
		out := prev.FetchPrevOutput(in.PreviousOutPoint)
		if out == nil {
			return fmt.Errorf("%w: input %d spends %v, whose script and amount are not known", ErrInconclusive, i, in.PreviousOutPoint)
		}
		if err := checkSighashAll(i, in, out.PkScript); err != nil {
			return err
		}
	}
	hashes := txscript.NewTxSigHashes(toSign, prev)
	if err := runScripts(toSign, prev, hashes, requiredFlags); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if toSign.Version != 0 && toSign.Version != 2 {
		return fmt.Errorf("%w: to_sign's version is %d; BIP-322 knows versions 0 and 2", ErrInconclusive, toSign.Version)
	}
	if err := runScripts(toSign, prev, hashes, upgradeableFlags); err != nil {
		return fmt.Errorf("%w: %v (a rule reserved for upgrades)", ErrInconclusive, err)
	}
	return nil
}

func runScripts(tx *wire.MsgTx, prev *txscript.MultiPrevOutFetcher, hashes *txscript.TxSigHashes, flags txscript.ScriptFlags) error {
	for i, in := range tx.TxIn {
		out := prev.FetchPrevOutput(in.PreviousOutPoint)
		vm, err := txscript.NewEngine(out.PkScript, tx, i, flags, nil, hashes, out.Value, prev)
		if err == nil {
			err = vm.Execute()
		}
		if err != nil {
			return &inputFailure{input: i, err: scriptError(err)}
		}
	}
	return nil
}

// inputFailure is an input whose script does not verify.
type inputFailure struct {
	input int
	err   error
}

func (e *inputFailure) Error() string {
	return fmt.Sprintf("input %d does not verify: %v", e.input, e.err)
}

func (e *inputFailure) Unwrap() error { return e.err }

// scriptError names a script engine error that has no description (its
// Taproot signature errors have none) by its code.
func scriptError(err error) error {
	var se txscript.Error
	if errors.As(err, &se) && se.Description == "" {
		return txscript.Error{ErrorCode: se.ErrorCode, Description: se.ErrorCode.String()}
	}
	return err
}

// checkSighashAll refuses a signature with a sighash type other than
// SIGHASH_ALL (or Taproot's default), which BIP-322 requires and the
// script engine does not check. ECDSA signatures are recognized as strict
// DER plus a type byte among the scriptSig's pushes and the witness items;
// Schnorr signatures as the key path's item or a script path's 65-byte
// arguments.
func checkSighashAll(i int, in *wire.TxIn, pkScript []byte) error {
	if txscript.IsPayToTaproot(pkScript) {
		w := in.Witness
		if n := len(w); n >= 2 && len(w[n-1]) > 0 && w[n-1][0] == txscript.TaprootAnnexTag {
			return fmt.Errorf("%w: input %d's witness carries an annex, which no standard spend uses yet", ErrInconclusive, i)
		}
		var sigs [][]byte
		switch {
		case len(w) == 1:
			sigs = w
		case len(w) > 2:
			sigs = w[:len(w)-2]
		}
		for _, s := range sigs {
			if len(s) == 65 && txscript.SigHashType(s[64]) != txscript.SigHashAll {
				return fmt.Errorf("%w: input %d has a Schnorr signature of sighash type 0x%02x; BIP-322 requires SIGHASH_ALL (or the default)", ErrInvalid, i, s[64])
			}
		}
		return nil
	}
	items, _ := txscript.PushedData(in.SignatureScript)
	items = append(items, in.Witness...)
	for _, s := range items {
		if len(s) < 9 || s[0] != 0x30 {
			continue
		}
		if _, err := ecdsa.ParseDERSignature(s[:len(s)-1]); err != nil {
			continue
		}
		if txscript.SigHashType(s[len(s)-1]) != txscript.SigHashAll {
			return fmt.Errorf("%w: input %d has an ECDSA signature of sighash type 0x%02x; BIP-322 requires SIGHASH_ALL", ErrInvalid, i, s[len(s)-1])
		}
	}
	return nil
}
