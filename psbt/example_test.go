package psbt_test

import (
	"errors"
	"fmt"

	"airsign/psbt"
)

func ExampleDecode() {
	// BIP174's valid test vector "PSBT with 0 inputs", as base64 text
	// scanned from a QR code (surrounding whitespace is ignored).
	text := "cHNidP8BAEwCAAAAAALT3/UFAAAAABl2qRTQxZkDxbrChodg6Q/VIaRmWqdlIIisAOH1BQAAAAAXqRQ1RebjO4MsRwUPJNPuuTycA5SLx4ezLhMAAAAA\n"
	p, err := psbt.Decode([]byte(text))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("inputs:", len(p.UnsignedTx.TxIn), "outputs:", len(p.UnsignedTx.TxOut))
	for i, out := range p.UnsignedTx.TxOut {
		fmt.Printf("output %d: %d sat\n", i, out.Value)
	}

	// The same PSBT with two bytes appended is refused, and says where.
	_, err = psbt.Decode(append(mustBinary(text), 0x01, 0x02))
	fmt.Println(errors.Is(err, psbt.ErrTrailingData))
	// Output:
	// inputs: 0 outputs: 2
	// output 0: 99999699 sat
	// output 1: 100000000 sat
	// true
}

func mustBinary(text string) []byte {
	p, err := psbt.Decode([]byte(text))
	if err != nil {
		panic(err)
	}
	b, err := psbt.Encode(p)
	if err != nil {
		panic(err)
	}
	return b
}
