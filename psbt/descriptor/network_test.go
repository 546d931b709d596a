package descriptor

import (
	"strings"
	"testing"
)

// Every network by name, value and parameters; a name or value that is not
// a network is refused. Testnet4 is the value after Regtest: a loop or
// range check that stops at Regtest misses it.
func TestNetworkNames(t *testing.T) {
	for _, tt := range []struct {
		name       string
		want       Network
		paramsName string // btcd's (and for testnet4 Bitcoin Core's) chain name
		coinType   uint32
	}{
		{"mainnet", Mainnet, "mainnet", 0},
		{"testnet", Testnet, "testnet3", 1},
		{"signet", Signet, "signet", 1},
		{"regtest", Regtest, "regtest", 1},
		{"testnet4", Testnet4, "testnet4", 1},
	} {
		got, err := ParseNetwork(tt.name)
		if err != nil || got != tt.want {
			t.Errorf("ParseNetwork(%q) = %v, %v; want %v, nil", tt.name, got, err, tt.want)
			continue
		}
		if s := got.String(); s != tt.name {
			t.Errorf("%v.String() = %q; want %q", got, s, tt.name)
		}
		if p := got.Params(); p == nil || p.Name != tt.paramsName {
			t.Errorf("%v.Params() = %v; want the parameters named %q", got, p, tt.paramsName)
		}
		if c := got.CoinType(); c != tt.coinType {
			t.Errorf("%v.CoinType() = %d; want %d", got, c, tt.coinType)
		}
		if !got.valid() {
			t.Errorf("%v.valid() = false", got)
		}
	}
	for _, s := range []string{"testnet3", "Testnet4", "main", "test", "", "testnet4 "} {
		_, err := ParseNetwork(s)
		if err == nil || !strings.Contains(err.Error(), "mainnet, testnet, testnet4, signet or regtest") {
			t.Errorf("ParseNetwork(%q) error = %v; want one listing the valid names", s, err)
		}
	}
	var names []string
	for _, n := range Networks() {
		names = append(names, n.String())
	}
	if got := strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]; got != NetworkChoices || len(names) != int(lastNetwork) {
		t.Errorf("Networks() = %v; want every network, as NetworkChoices lists them (%s)", names, NetworkChoices)
	}
	for _, n := range []Network{0, -1, lastNetwork + 1} {
		if n.valid() || n.Params() != nil {
			t.Errorf("Network(%d): valid %v, Params %v; want not a network", int(n), n.valid(), n.Params())
		}
		if got, want := n.String(), "Network("; !strings.HasPrefix(got, want) {
			t.Errorf("Network(%d).String() = %q; want %s…)", int(n), got, want)
		}
	}
}
