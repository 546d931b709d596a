package kiosk

import (
	"fmt"
	"io"
	"time"

	"airsign/offline/home"
)

// InitHome is a station's first start, whether the command line's init or
// the app's setup screen drives it: it creates the device identity key in
// dir and the audit log, whose first entry ("init") records the key
// (home.InitWith writes it). A non-empty passphrase seals the key; it must
// have at least home.MinPassphrase bytes, and a shorter one is refused
// before anything is written. kdf is argon2id's cost (zero: the default).
// The caller wipes the passphrase.
func InitHome(dir string, passphrase []byte, rand io.Reader, now time.Time, kdf home.KDFParams) (*home.Home, error) {
	if n := len(passphrase); n > 0 && n < home.MinPassphrase {
		return nil, fmt.Errorf("a passphrase of %d characters is too short to seal the device key: use at least %d", n, home.MinPassphrase)
	}
	return home.InitWith(dir, rand, now, home.Options{Passphrase: passphrase, KDF: kdf})
}
