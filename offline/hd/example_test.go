package hd_test

import (
	"fmt"

	"airsign/offline/hd"
	"airsign/psbt/descriptor"
)

// At the end of a ceremony the kiosk turns the recombined entropy into the
// watch-only descriptor the coordinator registers, and wipes the secrets.
func Example() {
	entropy := make([]byte, 16) // from the recombined shares; all zeros is "abandon … about"
	defer hd.Wipe(entropy)

	fp, err := hd.EntropyFingerprint(entropy)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("wallet %x\n", fp)

	m, err := hd.MasterFromEntropy(entropy, descriptor.Regtest)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Wipe()
	d, err := m.Account(descriptor.P2WPKH, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Origin)
	addr, err := d.Address(0, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(addr)
	// Output:
	// wallet 73c5da0a
	// 73c5da0a/84'/1'/0'
	// bcrt1q6rz28mcfaxtmd6v789l9rrlrusdprr9pz3cppk
}
