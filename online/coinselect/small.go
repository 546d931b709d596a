package coinselect

// The coordinator reserves a request's coins from its creation until its
// transaction confirms: hours or days of approvals and trips to the kiosk,
// and then its change is unconfirmed. A 10 BTC coin spent on a 0.01 BTC
// payment holds 9.99 BTC out of every other request that long. Knapsack
// and largest-first do not see that cost (largest-first reaches for the
// largest coin by design, and knapsack falls back to the smallest coin
// above target + MinChange, however large, when the small ones cannot
// leave MinChange), so two more candidates keep to small coins and
// Params.LockCost prices the change each candidate holds.

// smallestCoin is the smallest single coin that pays the target and
// leaves MinChange: the least value one input can hold.
func (s *selector) smallestCoin() []int {
	best := -1
	for i, c := range s.pool {
		if c.eff < s.payMinChange {
			break // the pool is sorted largest first
		}
		if best < 0 || c.eff < s.pool[best].eff {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	return []int{best}
}

// belowTarget takes the coins smaller than the payment with MinChange,
// largest first, until they pay it with MinChange, or, when they all
// together fall short of that, the fewest that pay it with change worth
// an output, or without change. It never touches a coin that could pay
// with MinChange alone, so no coin many times the payment is held.
func (s *selector) belowTarget() []int {
	var sel []int
	var sum int64
	viable, paid := 0, 0 // lengths of the shortest prefixes that pay
	for i, c := range s.pool {
		if c.eff >= s.payMinChange {
			continue
		}
		if len(sel) == s.p.MaxInputs {
			break
		}
		sel = append(sel, i)
		sum += c.eff
		if sum >= s.payMinChange {
			return sel
		}
		if viable == 0 && sum >= s.payViable {
			viable = len(sel)
		}
		if paid == 0 && sum >= s.need {
			paid = len(sel)
		}
	}
	switch {
	case viable > 0:
		return sel[:viable]
	case paid > 0:
		return sel[:paid]
	}
	return nil
}
