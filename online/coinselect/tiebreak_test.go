package coinselect

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/wire"
)

// equalCoins is a wallet of n P2WPKH coins of 1,000,000 sat each, as the
// two-coordinator benchmark funds.
func equalCoins(n int) []Coin {
	cs := make([]Coin, n)
	for i := range cs {
		cs[i] = Coin{OutPoint: op(i), Value: 1_000_000, InputWeight: inW, Height: 100}
	}
	return cs
}

// benchParams asks for 200,000 sat at 20 sat/vB, as the benchmark does: one
// coin with change.
func benchParams(key string) Params {
	p := params(200_000)
	p.FeeRate = 20_000
	p.TieBreak = key
	return p
}

func selectedOutPoints(t *testing.T, cs []Coin, p Params) []wire.OutPoint {
	t.Helper()
	r, err := Select(cs, p)
	if err != nil {
		t.Fatalf("Select with tie-break %q: %v", p.TieBreak, err)
	}
	return outpoints(r.Coins)
}

// Two requests with different keys over a wallet of equal coins choose
// different coins; the same key chooses the same coins whatever the order
// the coins are listed in; no key keeps the outpoint order.
func TestTieBreakSpreadsEqualCoins(t *testing.T) {
	cs := equalCoins(48)
	a := selectedOutPoints(t, cs, benchParams("wd-0000000000a1"))
	b := selectedOutPoints(t, cs, benchParams("wd-0000000000b2"))
	if slices.Equal(a, b) {
		t.Errorf("requests wd-0000000000a1 and wd-0000000000b2 both chose %v", a)
	}
	reversed := slices.Clone(cs)
	slices.Reverse(reversed)
	if again := selectedOutPoints(t, reversed, benchParams("wd-0000000000a1")); !slices.Equal(again, a) {
		t.Errorf("wd-0000000000a1 chose %v, then %v with the coins listed in reverse", a, again)
	}
	if got, want := selectedOutPoints(t, cs, benchParams("")), selectedOutPoints(t, cs, params(200_000)); !slices.Equal(got, want) {
		t.Errorf("no tie-break chose %v, want %v", got, want)
	}

	// Sixteen requests made at the same moment: with one coin order they
	// all chose one coin; with their own keys most choose a coin of their
	// own. The count is fixed for these keys and coins.
	chosen := map[wire.OutPoint]int{}
	for i := range 16 {
		for _, o := range selectedOutPoints(t, cs, benchParams(fmt.Sprintf("wd-%012x", i))) {
			chosen[o]++
		}
	}
	if len(chosen) < 12 {
		t.Errorf("16 requests chose %d distinct coins of 48 (%v), want at least 12", len(chosen), chosen)
	}
	t.Logf("16 requests chose %d distinct coins of 48", len(chosen))
}

// alikeCoins is genCoins with values and weights drawn from a few classes,
// so that many coins are alike, at mixed input weights.
func alikeCoins(n int, seed uint64) []Coin {
	cs := genCoins(n, seed)
	rng := rand.New(rand.NewPCG(seed, 0x616c696b65))
	classes := 1 + rng.IntN(6)
	for i := range cs {
		j := rng.IntN(min(classes, n))
		cs[i].Value = cs[j].Value
		if rng.IntN(3) > 0 {
			cs[i].InputWeight = cs[j].InputWeight
		}
	}
	return cs
}

// cost is what a selection costs and holds, without which coins it took.
type cost struct {
	Fee, Change, DroppedChange btcutil.Amount
	Weight                     int
	Waste, LockCost            int64
	Algorithm                  string
	Coins                      []string // value and input weight of each, in order
}

func costOf(r Result) cost {
	c := cost{Fee: r.Fee, Change: r.Change, DroppedChange: r.DroppedChange, Weight: r.Weight,
		Waste: r.Waste, LockCost: r.LockCost, Algorithm: r.Algorithm}
	for _, coin := range r.Coins {
		c.Coins = append(c.Coins, fmt.Sprintf("%d/%d", coin.Value, coin.InputWeight))
	}
	return c
}

// The tie-break never costs anything: for random wallets with many alike
// coins and random requests, Select with a key has the fee, change, waste,
// lock cost, weight and algorithm of Select without, and takes coins of
// the same values and weights; or fails the same way.
func TestTieBreakCostsNothing(t *testing.T) {
	n := 600
	if testing.Short() {
		n = 100
	}
	var spread, same int
	for seed := range uint64(n) {
		rng := rand.New(rand.NewPCG(seed, 0x746965))
		cs := alikeCoins(1+rng.IntN(120), seed)
		p := randomParams(rng, valueOf(cs))
		switch rng.IntN(3) {
		case 0: // so low that unlike input weights round to equal fees
			p.FeeRate = FeeRate(1 + rng.IntN(40))
		case 1:
			p.FeeRate = FeeRate(1_000 + rng.IntN(50_000))
		}
		if rng.IntN(3) == 0 {
			p.MinChange = btcutil.Amount(1 + rng.IntN(100_000))
		}
		plain, plainErr := Select(cs, p)
		p.TieBreak = fmt.Sprintf("wd-%012x", rng.Uint64()>>16)
		keyed, keyedErr := Select(cs, p)
		if (plainErr == nil) != (keyedErr == nil) || plainErr != nil && plainErr.Error() != keyedErr.Error() {
			t.Fatalf("seed %d: without a key: %v; with key %q: %v", seed, plainErr, p.TieBreak, keyedErr)
		}
		if plainErr != nil {
			continue
		}
		checkInvariants(t, cs, p, keyed)
		if got, want := costOf(keyed), costOf(plain); !equalCost(got, want) {
			t.Errorf("seed %d: with key %q the selection costs %+v, without %+v", seed, p.TieBreak, got, want)
		}
		if slices.Equal(outpoints(keyed.Coins), outpoints(plain.Coins)) {
			same++
		} else {
			spread++
		}
	}
	// The property is empty unless the keys moved some selections.
	if spread < n/4 {
		t.Errorf("the key changed the coins of %d selections (same %d), want at least %d", spread, same, n/4)
	}
	t.Logf("other coins of equal cost: %d; the same coins: %d", spread, same)
}

func equalCost(a, b cost) bool {
	return slices.Equal(a.Coins, b.Coins) && a.Fee == b.Fee && a.Change == b.Change && a.DroppedChange == b.DroppedChange &&
		a.Weight == b.Weight && a.Waste == b.Waste && a.LockCost == b.LockCost && a.Algorithm == b.Algorithm
}
