// Command airsign-kiosk is the offline signing station: it runs seed
// ceremonies, keeps the registered wallets and checks custodians' shares.
// See `airsign-kiosk help`.
package main

import (
	"os"

	_ "airsign/cmd/internal/locale" // before fyne's init: see the package
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
