package coinselect

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/wire"
)

// Coin is an unspent output the wallet may spend.
type Coin struct {
	OutPoint wire.OutPoint
	Value    btcutil.Amount
	// InputWeight is the weight units this coin adds when spent: outpoint,
	// sequence, scriptSig and witness. The segwit marker and flag are not
	// included; they belong to Params.BaseWeight.
	InputWeight int
	// Height is the block the coin confirmed in, 0 when unconfirmed.
	// Select does not look at it: callers decide whether to offer
	// unconfirmed coins.
	Height int32
}

// Params describes the transaction to fund.
type Params struct {
	// Target is the sum of the payment outputs.
	Target btcutil.Amount
	// FeeRate is the rate the transaction pays.
	FeeRate FeeRate
	// LongTermFeeRate is the rate the wallet expects to pay on average;
	// it prices the waste metric. 0 means 10 sat/vB (10000).
	LongTermFeeRate FeeRate
	// BaseWeight is the weight of the transaction without inputs: version,
	// locktime, counts, payment outputs, and the segwit marker and flag if
	// any input is segwit.
	BaseWeight int
	// ChangeWeight is the weight of the change output.
	ChangeWeight int
	// ChangeSpendWeight is the weight of later spending the change, the
	// input weight of the wallet's script type.
	ChangeSpendWeight int
	// DustLimit is the smallest change output Select creates; less is
	// added to the fee. Select also drops change that is not worth more
	// than spending it later at LongTermFeeRate.
	DustLimit btcutil.Amount
	// MinChange is the change the knapsack fallback aims to leave, so that
	// it does not create tiny outputs; 0 means 50,000 sat (Bitcoin Core's
	// CHANGE_LOWER). Select still creates smaller change, down to the dust
	// limit, when nothing better exists.
	MinChange btcutil.Amount
	// MaxInputs caps the number of inputs; 0 means 500.
	MaxInputs int
	// MaxWeight caps the weight of the whole transaction, change included;
	// 0 means 400,000, the standardness limit above which nodes do not
	// relay a transaction.
	MaxWeight int
	// BnBTries bounds the branch-and-bound search; 0 means 100,000.
	BnBTries int
	// LockCost prices change held until the transaction confirms, in
	// satoshis per BTC of change; 0 means 10,000 (0.01%). Select adds it
	// to the waste when it compares selections with change, so that a
	// coin many times the payment is not held by a request while smaller
	// ones would pay it; see the package documentation.
	LockCost btcutil.Amount
	// TieBreak, when set, orders alike coins (same value and input
	// weight) by a hash of it and their outpoint instead of by outpoint.
	// Give each request a value of its own, such as its id: requests made
	// at the same moment then mostly choose different coins of a wallet
	// with many alike ones, instead of all the same one. The fee, change,
	// waste and lock cost are those of the selection without it; only
	// which of the alike coins are taken differs (tiebreak.go).
	TieBreak string
}

// Result is a funded transaction.
type Result struct {
	// Coins are the selected coins, largest effective value first.
	Coins []Coin
	// Fee is the transaction fee: sum of Coins values − Target − Change.
	Fee btcutil.Amount
	// Change is the change output's value, 0 when there is none.
	Change btcutil.Amount
	// DroppedChange is change that was too small to be worth an output
	// (below DustLimit or the cost of spending it) and was added to Fee
	// instead; 0 otherwise.
	DroppedChange btcutil.Amount
	// Weight is the estimated transaction weight, change output included
	// if there is one.
	Weight int
	// Waste is the waste metric in satoshis as Bitcoin Core defines it;
	// see the package documentation.
	Waste int64
	// LockCost is what holding Change until the transaction confirms
	// costs at Params.LockCost, in satoshis; 0 without change. Select
	// keeps the selection with the least Waste + LockCost.
	LockCost int64
	// Algorithm is the algorithm that found the selection: "bnb",
	// "knapsack", "largest-first", "smallest-coin" or "below-target".
	Algorithm string
}

// Algorithm names in Result.Algorithm.
const (
	AlgorithmBnB          = "bnb"
	AlgorithmKnapsack     = "knapsack"
	AlgorithmLargestFirst = "largest-first"
	AlgorithmSmallestCoin = "smallest-coin"
	AlgorithmBelowTarget  = "below-target"
)

const (
	defaultMaxInputs = 500
	defaultMaxWeight = 400_000
	defaultBnBTries  = 100_000
	defaultMinChange = 50_000
	defaultLockCost  = 10_000 // sat per BTC

	// minInputWeight is the weight of an input with an empty scriptSig and
	// no witness: 36 bytes outpoint, 1 byte script length, 4 bytes
	// sequence. Anything smaller is a weight given in vbytes.
	minInputWeight = 41 * 4
	// minBaseWeight is version, input count, output count and locktime.
	minBaseWeight = 10 * 4
)

// candidate is a coin with its fees precomputed.
type candidate struct {
	coin  *Coin // in the caller's slice; small candidates sort fast
	eff   int64 // effective value: value − fee
	fee   int64 // fee of the input at FeeRate
	ltFee int64 // fee of the input at LongTermFeeRate
}

func (c candidate) waste() int64 { return c.fee - c.ltFee }

// selector holds one call's derived values.
type selector struct {
	p            Params
	pool         []candidate // positive effective value, sorted
	need         int64       // Target + fee of BaseWeight
	changeFee    int64       // fee of the change output at FeeRate
	costOfChange int64       // changeFee + spending it at LongTermFeeRate
	minViable    int64       // smallest change worth an output
	// payViable and payMinChange are what coins must bring to pay need
	// and leave change worth an output, or MinChange.
	payViable, payMinChange int64
	// seed0 and seed1 are the knapsack's seed when seeded: taken before
	// spreadAlike reorders the pool.
	seeded       bool
	seed0, seed1 uint64
}

// Select chooses coins to pay p.Target at p.FeeRate.
//
// It first runs branch and bound for a selection that needs no change
// output; if there is none it runs knapsack, largest-first, smallest-coin
// and below-target, all with change, and returns the one with the least
// Waste + LockCost. The result depends only on the set of coins and on p,
// not on the order of coins.
func Select(coins []Coin, p Params) (Result, error) {
	s, err := newSelector(coins, p)
	if err != nil {
		return Result{}, err
	}
	if sel := s.bnb(); sel != nil {
		return s.result(sel, AlgorithmBnB, false), nil
	}
	return s.withChange(better, []withChangeAlgorithm{
		{AlgorithmKnapsack, s.knapsack},
		{AlgorithmLargestFirst, s.largestFirst},
		{AlgorithmSmallestCoin, s.smallestCoin},
		{AlgorithmBelowTarget, s.belowTarget},
	})
}

// newSelector checks coins and p and derives what the algorithms share.
func newSelector(coins []Coin, p Params) (*selector, error) {
	p, err := withDefaults(p)
	if err != nil {
		return nil, err
	}
	if len(coins) == 0 {
		return nil, ErrNoCoins
	}
	s := &selector{
		p:         p,
		need:      int64(p.Target + p.FeeRate.Fee(p.BaseWeight)),
		changeFee: int64(p.FeeRate.Fee(p.ChangeWeight)),
	}
	s.costOfChange = s.changeFee + int64(p.LongTermFeeRate.Fee(p.ChangeSpendWeight))
	s.minViable = max(int64(p.DustLimit), int64(p.LongTermFeeRate.Fee(p.ChangeSpendWeight))+1)
	s.payViable = s.need + s.changeFee + s.minViable
	s.payMinChange = s.need + s.changeFee + max(int64(p.MinChange), s.minViable)

	if err := s.load(coins); err != nil {
		return nil, err
	}
	if len(p.TieBreak) > 0 {
		s.spreadAlike(p.TieBreak)
	}
	if p.BaseWeight > p.MaxWeight {
		return nil, fmt.Errorf("%w: the transaction without inputs weighs %d WU, over the %d WU limit; split the payments over several transactions",
			ErrTooManyInputs, p.BaseWeight, p.MaxWeight)
	}
	return s, nil
}

// withChangeAlgorithm is one way of selecting coins with change.
type withChangeAlgorithm struct {
	name string
	run  func() []int
}

// withChange runs algs in order and keeps the result within the limits
// that no other is better than; on a tie the earlier one.
func (s *selector) withChange(better func(a, b Result) bool, algs []withChangeAlgorithm) (Result, error) {
	var best *Result
	for _, a := range algs {
		sel := a.run()
		if sel == nil {
			continue
		}
		if r := s.result(sel, a.name, true); s.fits(r) && (best == nil || better(r, *best)) {
			best = &r
		}
	}
	if best == nil {
		return Result{}, s.tooManyInputs()
	}
	return *best, nil
}

// better reports whether a is preferable to b: less waste and lock cost;
// on a tie less change held, then more inputs (consolidating while fees
// allow, as Bitcoin Core does).
func better(a, b Result) bool {
	if ca, cb := a.Waste+a.LockCost, b.Waste+b.LockCost; ca != cb {
		return ca < cb
	}
	if a.Change != b.Change {
		return a.Change < b.Change
	}
	return len(a.Coins) > len(b.Coins)
}

func withDefaults(p Params) (Params, error) {
	if p.LongTermFeeRate == 0 {
		p.LongTermFeeRate = defaultLongTermFeeRate
	}
	if p.MaxInputs == 0 {
		p.MaxInputs = defaultMaxInputs
	}
	if p.MaxWeight == 0 {
		p.MaxWeight = defaultMaxWeight
	}
	if p.BnBTries == 0 {
		p.BnBTries = defaultBnBTries
	}
	if p.MinChange == 0 {
		p.MinChange = defaultMinChange
	}
	if p.LockCost == 0 {
		p.LockCost = defaultLockCost
	}
	bad := func(format string, a ...any) (Params, error) {
		return p, fmt.Errorf("%w: "+format, append([]any{ErrBadParams}, a...)...)
	}
	switch {
	case p.Target <= 0 || p.Target > btcutil.MaxSatoshi:
		return bad("target %d sat is out of range; it must be between 1 sat and 21 million BTC", int64(p.Target))
	case p.FeeRate <= 0 || p.FeeRate > maxFeeRate:
		return bad("fee rate %d sat/kvB is out of range; give 1 to %d sat/kvB (1 sat/vB is 1000)", int64(p.FeeRate), int64(maxFeeRate))
	case p.LongTermFeeRate < 0 || p.LongTermFeeRate > maxFeeRate:
		return bad("long-term fee rate %d sat/kvB is out of range; give 1 to %d sat/kvB, or 0 for the 10 sat/vB default", int64(p.LongTermFeeRate), int64(maxFeeRate))
	case p.BaseWeight < minBaseWeight || p.BaseWeight > 4_000_000:
		return bad("base weight %d WU is out of range; it must be at least %d WU (weights are in weight units, 4 per non-witness byte)", p.BaseWeight, minBaseWeight)
	case p.ChangeWeight <= 0 || p.ChangeWeight > 4_000_000:
		return bad("change output weight %d WU is out of range; a P2WSH or P2TR change output is 172 WU", p.ChangeWeight)
	case p.ChangeSpendWeight < minInputWeight || p.ChangeSpendWeight > 4_000_000:
		return bad("change spend weight %d WU is out of range; an input weighs at least %d WU (weights are in weight units, not vbytes)", p.ChangeSpendWeight, minInputWeight)
	case p.DustLimit < 0 || p.DustLimit > btcutil.MaxSatoshi:
		return bad("dust limit %d sat is out of range", int64(p.DustLimit))
	case p.MinChange < 0 || p.MinChange > btcutil.MaxSatoshi:
		return bad("minimum change %d sat is out of range", int64(p.MinChange))
	case p.MaxInputs < 0:
		return bad("max inputs %d is negative; use 0 for the default of %d", p.MaxInputs, defaultMaxInputs)
	case p.MaxWeight < 0 || p.MaxWeight > 4_000_000:
		return bad("max weight %d WU is out of range; a block holds 4,000,000 WU, use 0 for the %d WU standardness limit", p.MaxWeight, defaultMaxWeight)
	case p.BnBTries < 0:
		return bad("BnB tries %d is negative; use 0 for the default of %d", p.BnBTries, defaultBnBTries)
	case p.LockCost < 0 || p.LockCost > btcutil.SatoshiPerBitcoin:
		return bad("lock cost %d sat per BTC is out of range; give 1 to %d, or 0 for the default of %d", int64(p.LockCost), int64(btcutil.SatoshiPerBitcoin), int64(defaultLockCost))
	}
	return p, nil
}

// load checks the coins, computes their fees and keeps those worth
// spending, sorted by effective value, largest first, then by outpoint so
// that the order of the caller's slice does not matter.
func (s *selector) load(coins []Coin) error {
	seen := make(map[wire.OutPoint]struct{}, len(coins))
	var total btcutil.Amount
	s.pool = make([]candidate, 0, len(coins))
	for i := range coins {
		c := &coins[i]
		if c.Value < 0 || c.Value > btcutil.MaxSatoshi {
			return fmt.Errorf("%w: coin %d (%v) has value %d sat, out of range", ErrBadParams, i, c.OutPoint, int64(c.Value))
		}
		if c.InputWeight < minInputWeight || c.InputWeight > 4_000_000 {
			return fmt.Errorf("%w: coin %d (%v) has input weight %d WU; an input weighs at least %d WU (weights are in weight units, not vbytes)",
				ErrBadParams, i, c.OutPoint, c.InputWeight, minInputWeight)
		}
		if _, dup := seen[c.OutPoint]; dup {
			return fmt.Errorf("%w: coin %v is listed twice; the UTXO list is inconsistent, resync the wallet", ErrBadParams, c.OutPoint)
		}
		seen[c.OutPoint] = struct{}{}
		total += c.Value
		if total > btcutil.MaxSatoshi {
			return fmt.Errorf("%w: the coins add up to more than 21 million BTC; the UTXO list is corrupt, resync the wallet", ErrBadParams)
		}
		fee := int64(s.p.FeeRate.Fee(c.InputWeight))
		if int64(c.Value)-fee <= 0 {
			continue
		}
		s.pool = append(s.pool, candidate{
			coin:  c,
			eff:   int64(c.Value) - fee,
			fee:   fee,
			ltFee: int64(s.p.LongTermFeeRate.Fee(c.InputWeight)),
		})
	}
	slices.SortFunc(s.pool, compareCandidates)

	var avail int64
	for _, c := range s.pool {
		avail += c.eff
	}
	if avail < s.need {
		return ErrInsufficientFunds{
			Available:  btcutil.Amount(avail),
			Needed:     btcutil.Amount(s.need),
			Total:      total,
			Coins:      len(coins),
			Uneconomic: len(coins) - len(s.pool),
			FeeRate:    s.p.FeeRate,
		}
	}
	return nil
}

// compareCandidates orders by effective value descending, then by input
// fee ascending (cheaper to spend first among equals), then by outpoint.
func compareCandidates(a, b candidate) int {
	if c := cmp.Compare(b.eff, a.eff); c != 0 {
		return c
	}
	if c := cmp.Compare(a.fee, b.fee); c != 0 {
		return c
	}
	return compareOutPoints(a, b)
}

// result turns indexes into s.pool (ascending) into a Result. Without
// allowChange the excess always goes to the fee.
func (s *selector) result(sel []int, alg string, allowChange bool) Result {
	r := Result{Algorithm: alg, Weight: s.p.BaseWeight, Coins: make([]Coin, 0, len(sel))}
	var sumValue, sumEff int64
	for _, i := range sel {
		c := s.pool[i]
		r.Coins = append(r.Coins, *c.coin)
		r.Weight += c.coin.InputWeight
		r.Waste += c.waste()
		sumValue += int64(c.coin.Value)
		sumEff += c.eff
	}
	excess := sumEff - s.need
	if change := excess - s.changeFee; allowChange && change >= s.minViable {
		r.Change = btcutil.Amount(change)
		r.Weight += s.p.ChangeWeight
		r.Waste += s.costOfChange
		r.LockCost = lockCost(r.Change, s.p.LockCost)
	} else {
		if allowChange && change > 0 {
			r.DroppedChange = btcutil.Amount(change)
		}
		r.Waste += excess
	}
	r.Fee = btcutil.Amount(sumValue) - s.p.Target - r.Change
	return r
}

// lockCost is change × perBTC / 1 BTC, rounded up, without overflow: both
// may be as large as 21 million BTC and 1 BTC.
func lockCost(change, perBTC btcutil.Amount) int64 {
	const coin = btcutil.SatoshiPerBitcoin
	whole, part := int64(change)/coin, int64(change)%coin
	return whole*int64(perBTC) + (part*int64(perBTC)+coin-1)/coin
}

// fits reports whether r respects MaxInputs and MaxWeight.
func (s *selector) fits(r Result) bool {
	return len(r.Coins) <= s.p.MaxInputs && r.Weight <= s.p.MaxWeight
}

// tooManyInputs explains why no selection fits the limits.
func (s *selector) tooManyInputs() error {
	// Count against the weight limit less a change output: largest-first
	// failed only if the coins that reach the target leave no room for one.
	var sum int64
	weight := s.p.BaseWeight + s.p.ChangeWeight
	n := 0
	for _, c := range s.pool {
		if n == s.p.MaxInputs || weight+c.coin.InputWeight > s.p.MaxWeight {
			break
		}
		sum += c.eff
		weight += c.coin.InputWeight
		n++
	}
	return fmt.Errorf("%w: the %d largest coins that fit in one transaction (%d inputs max, %d WU max with change) give %v after fees, but the payment and its fee need %v; consolidate small coins first, or split the payment",
		ErrTooManyInputs, n, s.p.MaxInputs, s.p.MaxWeight, btcutil.Amount(sum), btcutil.Amount(s.need))
}

// seed derives the knapsack's random seed from the sorted pool and the
// parameters, so that equal inputs give equal results. TieBreak is not
// part of it: the seed is that of the pool in outpoint order.
func (s *selector) seed() (uint64, uint64) {
	if s.seeded {
		return s.seed0, s.seed1
	}
	return s.poolSeed()
}

// poolSeed hashes the parameters and s.pool as it is now.
func (s *selector) poolSeed() (uint64, uint64) {
	h := sha256.New()
	var b [8]byte
	put := func(v int64) {
		binary.LittleEndian.PutUint64(b[:], uint64(v))
		h.Write(b[:])
	}
	put(int64(s.p.Target))
	put(int64(s.p.FeeRate))
	put(int64(s.p.LongTermFeeRate))
	put(int64(s.p.BaseWeight))
	put(int64(s.p.ChangeWeight))
	put(int64(s.p.ChangeSpendWeight))
	for _, c := range s.pool {
		h.Write(c.coin.OutPoint.Hash[:])
		put(int64(c.coin.OutPoint.Index))
		put(int64(c.coin.Value))
		put(int64(c.coin.InputWeight))
	}
	sum := h.Sum(nil)
	return binary.LittleEndian.Uint64(sum[:8]), binary.LittleEndian.Uint64(sum[8:16])
}
