// Command airsign-coordinator is the online, watch-only half of airsign: it
// watches the wallets the kiosk created, hands out receive addresses, turns
// withdrawal requests into unsigned PSBTs (files or QR frames) for the
// kiosk, and finalizes and broadcasts what the kiosk signed. It never holds
// a private key. See `airsign-coordinator help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signalContext()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// signalContext is cancelled by Ctrl-C or SIGTERM: `regtest start` stops its
// node then, and other commands stop between steps.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}
