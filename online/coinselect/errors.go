package coinselect

import (
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcutil"
)

// ErrNoCoins means Select was given no coins at all.
var ErrNoCoins = errors.New("coinselect: no coins to spend; check that the wallet is synced and has confirmed UTXOs")

// ErrTooManyInputs means the coins can pay the target only with more inputs,
// or more weight, than one transaction may carry. The wrapped message says
// how far the allowed inputs get and what to do.
var ErrTooManyInputs = errors.New("coinselect: too many inputs")

// ErrBadParams means the coins or Params passed to Select are inconsistent
// (a negative amount, a weight given in vbytes, an outpoint listed twice...).
// The wrapped message names the field and the value.
var ErrBadParams = errors.New("coinselect: bad parameters")

// ErrInsufficientFunds means the coins, after paying for their own inputs at
// the fee rate, are worth less than the payment plus the fee of the rest of
// the transaction. Match it with errors.As to read the amounts, or with
// errors.Is(err, ErrInsufficientFunds{}).
type ErrInsufficientFunds struct {
	// Available is the sum of the effective values (value minus the fee of
	// spending it at FeeRate) of the coins that are worth spending.
	Available btcutil.Amount
	// Needed is Target plus the fee of BaseWeight at FeeRate.
	Needed btcutil.Amount
	// Total is the plain sum of the values of all coins offered.
	Total btcutil.Amount
	// Coins is how many coins were offered; Uneconomic how many of them
	// were left out because spending them costs at least what they hold.
	Coins, Uneconomic int
	// FeeRate is the rate the effective values were computed at.
	FeeRate FeeRate
}

// Error says how much is missing and what an operator can do about it.
func (e ErrInsufficientFunds) Error() string {
	s := fmt.Sprintf("coinselect: insufficient funds: %d coins hold %v, %v after the fees to spend them at %v, but the payment and its fee need %v (%v short)",
		e.Coins, e.Total, e.Available, e.FeeRate, e.Needed, e.Needed-e.Available)
	if e.Uneconomic > 0 {
		s += fmt.Sprintf("; %d coins were left out because spending them costs more than they hold", e.Uneconomic)
	}
	return s + "; add funds, lower the amount, or wait for a lower fee rate"
}

// Is makes errors.Is(err, ErrInsufficientFunds{}) true for any
// ErrInsufficientFunds, whatever its amounts.
func (e ErrInsufficientFunds) Is(target error) bool {
	_, ok := target.(ErrInsufficientFunds)
	return ok
}
