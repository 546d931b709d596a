package bip322_test

import (
	"fmt"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"

	"airsign/psbt/bip322"
)

// BIP-322's own vector: the "Hello World" signature of a P2WPKH address,
// in the simple format.
func ExampleVerify() {
	addr, err := btcutil.DecodeAddress("bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l", &chaincfg.MainNetParams)
	if err != nil {
		panic(err)
	}
	script, err := txscript.PayToAddrScript(addr)
	if err != nil {
		panic(err)
	}
	sig := "AkcwRAIgZRfIY3p7/DoVTty6YZbWS71bc5Vct9p9Fia83eRmw2QCICK/ENGfwLtptFluMGs2KsqoNSk89pO7F29zJLUx9a/sASECx/EgAxlkQpQ9hYjgGu6EBCPMVPwVIVJqO4XCsMvViHI="
	v, err := bip322.Verify(script, []byte("Hello World"), sig)
	fmt.Println(v.Format, err)
	_, err = bip322.Verify(script, []byte("Hello World!"), sig)
	fmt.Println(err != nil)
	// Output:
	// simple <nil>
	// true
}
