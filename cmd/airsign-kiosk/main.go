// Command airsign-kiosk is the offline signing station. Without a command,
// on a display, it runs the full-screen app (ui/kioskapp); its commands do the
// same operations from a terminal: seed ceremonies, registering wallets,
// reviewing and signing PSBTs, checking custodians' shares, spending
// policies and approvers, and exporting and verifying the audit log. Its
// approver command is the approver station (offline/approver). See
// `airsign-kiosk help`.
package main

import (
	"os"

	_ "airsign/cmd/internal/locale" // before fyne's init: see the package
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
