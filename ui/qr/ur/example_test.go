package ur_test

import (
	"fmt"

	"airsign/ui/qr/ur"
)

// An animated transfer: the sender shows NextPart in a loop, one QR frame
// each; the receiver adds whatever its camera reads until done.
func Example() {
	psbt := make([]byte, 600)
	copy(psbt, "psbt\xff")

	enc, err := ur.NewEncoder(ur.PSBT(psbt), ur.FragmentLenKeystone, ur.MinFragmentLen)
	if err != nil {
		panic(err)
	}
	fmt.Println("fragments:", enc.SeqLen())

	dec := ur.NewDecoder()
	for frame := 1; ; frame++ {
		part := enc.NextPart()
		if frame == 2 {
			continue // the camera missed this frame
		}
		done, err := dec.Add(part)
		if err != nil {
			fmt.Println("skipped:", err)
			continue
		}
		fmt.Printf("frame %d: %s... %.0f%%\n", frame, part[:18], 100*dec.Progress())
		if done {
			break
		}
	}
	u, err := dec.Result()
	if err != nil {
		panic(err)
	}
	got, err := ur.DecodePSBT(u)
	fmt.Println(len(got), err)
	// Output:
	// fragments: 4
	// frame 1: UR:CRYPTO-PSBT/1-4... 25%
	// frame 3: UR:CRYPTO-PSBT/3-4... 50%
	// frame 4: UR:CRYPTO-PSBT/4-4... 75%
	// frame 5: UR:CRYPTO-PSBT/5-4... 100%
	// 600 <nil>
}

// A single-part UR, as a watch-only export small enough for one QR code.
func ExampleEncode() {
	s := ur.Encode(ur.UR{Type: "bytes", CBOR: []byte{0x50, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}})
	fmt.Println(s)
	u, err := ur.Decode(s)
	fmt.Printf("%s %x %v\n", u.Type, u.CBOR, err)
	// Output:
	// UR:BYTES/GDAEBYCPEOFYGOIYKTLONLPKRKSFUTWYZMWMFYEOZS
	// bytes 5000112233445566778899aabbccddeeff <nil>
}
