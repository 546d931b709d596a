package webhook

import (
	"os"
	"testing"

	"airsign/online/store/pgtest"
)

// TestMain stops the PostgreSQL server the tests started, if they did.
func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.StopShared()
	os.Exit(code)
}
