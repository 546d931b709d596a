package psbt

import "fmt"

// Code names a finding for machines and logs; the sentence is for people.
// Codes are stable: tests, policies and auditors refer to them.
type Code string

// Refusals: a PSBT with any of these is not signed.
const (
	CodeSighash             Code = "sighash-not-all"
	CodeSighashForkID       Code = "sighash-forkid"
	CodeAmountRange         Code = "amount-out-of-range"
	CodeDuplicateInput      Code = "duplicate-input"
	CodeNothingOurs         Code = "no-input-of-this-wallet"
	CodeMissingPrevTx       Code = "missing-non-witness-utxo"
	CodePrevTxMismatch      Code = "non-witness-utxo-mismatch"
	CodeWitnessUTXOMismatch Code = "witness-utxo-mismatch"
	CodeMissingUTXO         Code = "missing-utxo"
	CodePathOutsideWallet   Code = "path-outside-wallet"
	CodeInputNotOurs        Code = "input-script-mismatch"
	CodeChangeMismatch      Code = "change-pays-elsewhere"
	// CodeChangeMultisigMismatch: change that claims our key, but whose
	// witness script is a multisig of other cosigners or another threshold
	// than the registered wallet's.
	CodeChangeMultisigMismatch Code = "change-multisig-mismatch"
	// CodeWitnessScriptMismatch and CodeRedeemScriptMismatch: an input or
	// change output of ours whose witness or redeem script in the PSBT is
	// not the wallet's at its path.
	CodeWitnessScriptMismatch Code = "witness-script-mismatch"
	CodeRedeemScriptMismatch  Code = "redeem-script-mismatch"
	CodeOpReturnValue         Code = "op-return-with-value"
	CodeOutputsExceed         Code = "outputs-exceed-inputs"
	CodeFeeAboveCap           Code = "fee-above-cap"
	CodeFeeRateAboveCap       Code = "fee-rate-above-cap"
	CodeUnknownScript         Code = "unknown-output-script"
	CodeDust                  Code = "dust-output"
	CodeVersion               Code = "nonstandard-version"
	CodeRelativeLock          Code = "relative-lock"
	CodeLockTimeFuture        Code = "lock-time-in-future"
)

// Warnings: shown to the operator, not blocking.
const (
	CodeForeignInput     Code = "foreign-input"
	CodeChangeOnReceive  Code = "change-to-receive-address"
	CodeFeeRateEstimated Code = "fee-rate-estimated"
	CodeNoChange         Code = "no-change"
	CodeChangeFarAhead   Code = "change-far-ahead"
)

// Finding is one refusal or warning, tied to an input or output when it is
// about one.
type Finding struct {
	Code    Code
	Input   int // -1 when not about an input
	Output  int // -1 when not about an output
	Message string
}

func (f Finding) String() string { return fmt.Sprintf("%s: %s", f.Code, f.Message) }

func inputFinding(code Code, i int, format string, args ...any) Finding {
	return Finding{Code: code, Input: i, Output: -1, Message: fmt.Sprintf("input %d: ", i) + fmt.Sprintf(format, args...)}
}

func outputFinding(code Code, o int, format string, args ...any) Finding {
	return Finding{Code: code, Input: -1, Output: o, Message: fmt.Sprintf("output %d: ", o) + fmt.Sprintf(format, args...)}
}

func txFinding(code Code, format string, args ...any) Finding {
	return Finding{Code: code, Input: -1, Output: -1, Message: fmt.Sprintf(format, args...)}
}
