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

// A signer imports a BSMS descriptor record (BIP129 Round 2), finds its own
// key in the multisig, and shows what the cosigners must compare.
func ExampleParseBSMS() {
	record := `BSMS 1.0
wsh(sortedmulti(2,[1cf0bf7e/48'/0'/0'/2']xpub6FL8FhxNNUVnG64YurPd16AfGyvFLhh7S2uSsDqR3Qfcm6o9jtcMYwh6DvmcBF9qozxNQmTCVvWtxLpKTnhVLN3Pgnu2D3pAoXYFgVyd8Yz/**,[4fc1dd4a/48'/0'/0'/2']xpub6EebMbEps7ZcV3FYEnddRsvrFWDrt2tiPmCeM7pPXQEmphvq9ZfJ1LWFUDjf3vxCeBuPrfyGrMazWUsYsetrnHatQZVLJH7LsgCjtMqdzgj/**))
/0/*,/1/*
bc1qrgc6p3kylfztu06ysl752gwwuekhvtfh9vr7zg43jvu60mutamcsv948ej`
	r, err := descriptor.ParseBSMS([]byte(record))
	if err != nil {
		fmt.Println(err)
		return
	}
	d := r.Descriptor
	own := [4]byte{0x4f, 0xc1, 0xdd, 0x4a}
	i, ok := d.KeyFor(own)
	if !ok {
		fmt.Println("our key is not in this wallet")
		return
	}
	fmt.Printf("%v %d-of-%d, our key is number %d at %s\n", d.Script, d.Threshold, len(d.Keys), i+1, descriptor.FormatPath(d.Keys[i].Origin.Path))
	fmt.Println("first address:", r.FirstAddress)
	ws, err := d.WitnessScript(0, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("witness script: %d bytes\n", len(ws))
	// Output:
	// p2wsh-sortedmulti 2-of-2, our key is number 2 at m/48'/0'/0'/2'
	// first address: bc1qrgc6p3kylfztu06ysl752gwwuekhvtfh9vr7zg43jvu60mutamcsv948ej
	// witness script: 71 bytes
}
