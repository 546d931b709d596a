package shamir_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"log"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/tyler-smith/go-bip39"

	"airsign/shamir"
)

// fingerprint is the wallet's BIP32 master key fingerprint; the kiosk
// provides it, as this package does not link secp256k1.
func fingerprint(entropy []byte) ([4]byte, error) {
	var fp [4]byte
	mnemonic, err := bip39.NewMnemonic(entropy)
	if err != nil {
		return fp, err
	}
	master, err := hdkeychain.NewMaster(bip39.NewSeed(mnemonic, ""), &chaincfg.MainNetParams)
	if err != nil {
		return fp, err
	}
	pub, err := master.ECPubKey()
	if err != nil {
		return fp, err
	}
	copy(fp[:], btcutil.Hash160(pub.SerializeCompressed()))
	return fp, nil
}

func Example() {
	entropy := make([]byte, 16) // "abandon abandon … about"
	fp, err := fingerprint(entropy)
	if err != nil {
		log.Fatal(err)
	}
	shares, err := shamir.Split(entropy, 2, 3, fp, rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d shares, wallet %x, each %d words\n", len(shares), shares[0].Fingerprint, len(bytes.Fields(shares[0].Words())))

	// Custodians 1 and 3 present their shares, as words and as QR text.
	a, err := shamir.Parse(shares[0].Words())
	if err != nil {
		log.Fatal(err)
	}
	b, err := shamir.Parse(shares[2].QRText())
	if err != nil {
		log.Fatal(err)
	}
	got, err := shamir.Combine([]*shamir.Share{a, b}, fingerprint)
	if err != nil {
		log.Fatal(err)
	}
	defer clear(got)
	fmt.Println("recovered:", bytes.Equal(got, entropy))

	// One share alone is refused.
	_, err = shamir.Combine([]*shamir.Share{a}, fingerprint)
	fmt.Println(err)
	// Output:
	// 3 shares, wallet 73c5da0a, each 22 words
	// recovered: true
	// 1 share given, 2 needed
}
