package coordinator

import (
	"context"

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
