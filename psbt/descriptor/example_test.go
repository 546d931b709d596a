package descriptor_test

import (
	"fmt"

	"airsign/psbt/descriptor"
)

// A coordinator registers a wallet from the descriptor the kiosk exported,
// then derives the addresses it watches.
func Example() {
	d, err := descriptor.Parse("tr([73c5da0a/86h/0h/0h]xpub6BgBgsespWvERF3LHQu6CnqdvfEvtMcQjYrcRzx53QJjSxarj2afYWcLteoGVky7D3UKDP9QyrLprQ3VCECoY49yfdDEHGCtMMj92pReUsQ/<0;1>/*)")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Script, d.Network, d.Origin)
	fmt.Println(d)
	for _, branch := range []uint32{0, 1} {
		addr, err := d.Address(branch, 0)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(descriptor.FormatPath(d.Path(branch, 0)), addr)
	}
	// Output:
	// p2tr mainnet 73c5da0a/86'/0'/0'
	// tr([73c5da0a/86'/0'/0']xpub6BgBgsespWvERF3LHQu6CnqdvfEvtMcQjYrcRzx53QJjSxarj2afYWcLteoGVky7D3UKDP9QyrLprQ3VCECoY49yfdDEHGCtMMj92pReUsQ/<0;1>/*)#kjk9q86c
	// m/86'/0'/0'/0/0 bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr
	// m/86'/0'/0'/1/0 bc1p3qkhfews2uk44qtvauqyr2ttdsw7svhkl9nkm9s9c3x4ax5h60wqwruhk7
}
