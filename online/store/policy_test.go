package store

import (
	"context"
	"testing"
)

// A wallet with spending paths keeps its BIP-388 policy beside its
// descriptor; other wallets have none.
func TestWalletPolicy(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := newStore(t)
		plain := addWallet(t, s, "plain")
		policy := `{"name":"vault","descriptor_template":"wsh(or_d(multi(2,@0/**,@1/**,@2/**),and_v(v:pkh(@3/**),older(52560))))","keys_info":["[d34db33f/48'/1'/0'/2']tpub..."]}`
		w := Wallet{Name: "vault", Network: "regtest", Descriptor: "wsh(or_d(multi(2,...)))#abcdefgh", Birthday: 1, Created: t0, Policy: policy}
		if err := s.AddWallet(ctx, w); err != nil {
			t.Fatal(err)
		}
		for _, want := range []Wallet{plain, w} {
			got, err := s.Wallet(ctx, want.Name)
			if err != nil {
				t.Fatal(err)
			}
			if got.Policy != want.Policy || got.Descriptor != want.Descriptor {
				t.Errorf("Wallet(%s): policy %q, descriptor %q; want %q, %q", want.Name, got.Policy, got.Descriptor, want.Policy, want.Descriptor)
			}
		}
	})
}
