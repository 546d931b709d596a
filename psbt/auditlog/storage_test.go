package auditlog_test

import (
	"os"
	"path/filepath"
	"testing"

	"airsign/psbt/auditlog"
	"airsign/psbt/auditlog/storagetest"
)

// TestFilesStorage runs the storage tests on the log in files, as the
// kiosk and a coordinator on SQLite keep it.
func TestFilesStorage(t *testing.T) {
	storagetest.Run(t, storagetest.Harness{
		New: func(t *testing.T) auditlog.Storage {
			return auditlog.Files(filepath.Join(t.TempDir(), "audit.log"))
		},
		Again: func(t *testing.T, s auditlog.Storage) auditlog.Storage { return auditlog.Files(s.String()) },
		Rewrite: func(t *testing.T, s auditlog.Storage, records, checkpoints [][]byte) {
			var log, cps []byte
			for _, r := range records {
				log = append(append(log, r...), '\n')
			}
			for _, c := range checkpoints {
				cps = append(append(cps, c...), '\n')
			}
			if err := os.WriteFile(s.String(), log, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(auditlog.CheckpointsPath(s.String()), cps, 0o600); err != nil {
				t.Fatal(err)
			}
		},
	})
}
