// Package coinselect chooses which coins fund a withdrawal from the
// coordinator's wallets. It is pure computation: the caller passes the
// spendable coins and the shape of the transaction (Params) and gets back
// the coins, the fee, the change and the estimated weight.
//
// # Effective values
//
// Every coin is judged by its effective value, its value minus the fee of
// spending it at the current fee rate. A coin whose effective value is not
// positive costs more to spend than it brings, and is never selected. The
// target all algorithms work towards is the payment plus the fee of the
// transaction without inputs (Params.BaseWeight); the inputs pay for
// themselves through their effective values. Fees round up per input and
// for the base, so the fee paid is never below FeeRate.Fee(Weight).
//
// # Branch and bound first
//
// Select first runs branch and bound, Bitcoin Core's SelectCoinsBnB after
// Mark Erhardt's thesis: an exhaustive, bounded search for a set of coins
// whose effective value lands within cost-of-change above the target, so
// that the transaction needs no change output. Such a transaction is
// smaller and cheaper now, creates no new UTXO that costs a fee to spend
// later, and has no change output for a chain observer to link back to our
// wallet. The window is cost of change: the fee of a change output now plus
// the fee of spending it later at the long-term rate. Overpaying the fee by
// less than that is cheaper than making change. The search is bounded by
// Params.BnBTries steps (100,000 by default, as in Core), so it stays fast
// on large wallets; it returns the best solution found in that budget.
//
// When no changeless solution exists, Select runs Core's knapsack solver
// (random subsets, which tends to find totals close to target plus a
// minimum change), largest-first (few inputs), smallest-coin (the smallest
// single coin that pays with MinChange) and below-target (the coins too
// small to pay alone, largest first), all with change, and keeps the one
// with the least waste plus lock cost (below). The knapsack's randomness comes from a
// generator seeded with a hash of the coins and the parameters: the same
// wallet state and request always give the same transaction, which makes
// the coordinator's proposals reproducible and reviewable, and the result
// does not depend on the order in which the caller lists the coins. Core's
// knapsack tries 1000 random subsets; for pools above 4,000 coins this
// package tries fewer (down to 100 at 40,000 coins) to keep a selection
// over 10,000 coins in the tens of milliseconds.
//
// Result.Coins come largest effective value first. The order of inputs in
// the transaction is the caller's choice.
//
// Among alike coins (same value and input weight) the outpoint decides,
// unless Params.TieBreak gives a key: then a hash of the key and the
// outpoint does, so that requests made at the same moment with keys of
// their own take different coins of equal cost rather than all the same
// one. Only alike coins change places, so the cost is that of the
// selection without a key (tiebreak.go).
//
// Change smaller than Params.DustLimit, or not worth more than spending it
// later at the long-term rate, is not created; it goes to the fee and
// Result.DroppedChange says how much.
//
// # Waste
//
// Solutions are compared by Core's waste metric:
//
//	waste = Σ (input fee at FeeRate − input fee at LongTermFeeRate)
//	      + cost of change          if there is a change output
//	      + excess over the target  otherwise
//
// The first term says whether spending an input now is dear or cheap
// compared with spending it some other time: above the long-term rate
// every input adds waste and fewer inputs win; below it, inputs have
// negative waste and the selection consolidates while fees are low. The
// second term counts what a change output costs over its lifetime, or what
// a changeless transaction gives away as extra fee. One number in satoshis
// thus trades fee now against fee later, which is what a treasury cares
// about.
//
// # Lock cost
//
// The coordinator holds a request's coins from its creation until its
// transaction confirms, and the change comes back unconfirmed: a 10 BTC
// coin spent on a 0.01 BTC payment keeps 9.99 BTC from every other
// request for the hours or days of approvals, a kiosk trip and a block.
// Core's waste does not see that; largest-first even prefers the largest
// coin. So Select adds to the waste of a selection with change its lock
// cost, Params.LockCost per BTC of change (10,000 sat per BTC, 0.01%, by
// default: about a day's interest at 3.65% a year), and Result.LockCost
// says how much that was. Holding 9.99 BTC then costs 99,900 sat, more
// than the waste of a few more inputs at any usual fee rate, while the
// change of an ordinary payment costs a few satoshis and changes nothing.
// Changeless selections hold no change and come first as before.
//
// # The long-term fee rate
//
// Params.LongTermFeeRate defaults to 10 sat/vB, Bitcoin Core's
// -consolidatefeerate default: a rough rate at which the wallet expects to
// be able to spend its coins over time. Set it from the wallet's own fee
// history if that is known; it only moves the balance between consolidating
// and saving fee now, never the correctness of the result.
//
// # Limits
//
// Params.MaxInputs (500 by default) and Params.MaxWeight (400,000 WU, the
// standardness limit, by default) keep every result relayable and
// signable in reasonable time. A payment that the coins cover but only
// beyond those limits gets ErrTooManyInputs; one they do not cover gets an
// ErrInsufficientFunds that says how much is available and how much is
// needed.
package coinselect
