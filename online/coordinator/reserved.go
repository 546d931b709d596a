package coordinator

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/btcsuite/btcd/btcutil"

	"airsign/online/store"
)

// ReservedBy is the wallet's Balance.Reserved broken down by the request
// holding the coins, so people can see which request to finish or cancel.
func (c *Coordinator) ReservedBy(ctx context.Context, wallet string) ([]store.Reservation, error) {
	if _, err := c.st.Wallet(ctx, wallet); err != nil {
		return nil, err
	}
	return c.st.ReservedBy(ctx, wallet)
}

// maxHoldersNamed bounds the requests one refusal names, so that a wallet
// with hundreds of pending requests does not give a page of text; the
// wallet page lists them all.
const maxHoldersNamed = 5

// Holder is a request holding coins of a wallet, as a refusal for want of
// free coins names it.
type Holder struct {
	Request   string
	State     string // pending or broadcast (not yet seen spending)
	Requester string
	Amount    btcutil.Amount // what the request pays
	Held      btcutil.Amount // the value of the coins it holds
	Coins     int
}

// HeldError is the refusal of a request that the wallet's free coins do
// not fund while other requests hold some of its coins. It wraps the
// refusal (an ErrInsufficient) and names the holders, those holding most
// first, with what to do.
type HeldError struct {
	Err     error
	Holders []Holder // at most maxHoldersNamed
	// Others and OthersHeld are the holders not named and what they hold.
	Others     int
	OthersHeld btcutil.Amount
}

func (e *HeldError) Error() string {
	var held btcutil.Amount
	for _, h := range e.Holders {
		held += h.Held
	}
	held += e.OthersHeld
	n := len(e.Holders) + e.Others
	var b strings.Builder
	fmt.Fprintf(&b, "%v; %v more is held by %d %s: ", e.Err, held, n, plural(n, "request", "requests"))
	for i, h := range e.Holders {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s (%v in %d %s, %s, paying %v, by %s)", h.Request, h.Held, h.Coins, plural(h.Coins, "coin", "coins"), h.State, h.Amount, h.Requester)
	}
	if e.Others > 0 {
		fmt.Fprintf(&b, " and %d more holding %v (see the wallet's page)", e.Others, e.OthersHeld)
	}
	b.WriteString("; cancel one of them, or wait until it is broadcast and its change confirms")
	return b.String()
}

func (e *HeldError) Unwrap() error { return e.Err }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// namingHolders returns refusal, which wraps ErrInsufficient, as a
// HeldError when other requests hold coins of wallet, else as it is.
func (c *Coordinator) namingHolders(ctx context.Context, wallet string, refusal error) error {
	rs, err := c.st.ReservedBy(ctx, wallet)
	if err != nil {
		return fmt.Errorf("%w (and listing the requests that hold its coins failed: %v)", refusal, err)
	}
	if len(rs) == 0 {
		return refusal
	}
	// Those holding most first: the one whose cancelling frees most.
	slices.SortStableFunc(rs, func(a, b store.Reservation) int { return cmp.Compare(b.Value, a.Value) })
	e := &HeldError{Err: refusal}
	for _, r := range rs {
		if len(e.Holders) == maxHoldersNamed {
			e.Others++
			e.OthersHeld += r.Value
			continue
		}
		wd, err := c.st.Withdrawal(ctx, r.Withdrawal)
		if err != nil {
			return fmt.Errorf("%w (and reading request %s, which holds its coins, failed: %v)", refusal, r.Withdrawal, err)
		}
		e.Holders = append(e.Holders, Holder{Request: wd.ID, State: string(wd.Status), Requester: wd.Requester,
			Amount: wd.Amount, Held: r.Value, Coins: r.Coins})
	}
	return e
}
