package coordinator

import (
	"testing"

	"airsign/online/regtest"
	"airsign/online/store"
	"airsign/psbt/descriptor"
)

// For recoverywarn_test.go, an external test (package coordinator_test):
// it runs the webhook queue, whose package imports this one.

// TestFixture is newFixtureWith's node, chain client and SQLite store,
// for a test that makes its own coordinators over them.
type TestFixture struct {
	Node   *regtest.Node
	Chain  Node
	Store  *store.Store
	DBPath string
}

// NewTestFixture starts what newFixtureWith starts.
func NewTestFixture(t *testing.T, opts regtest.Options) *TestFixture {
	f := newFixtureWith(t, opts)
	return &TestFixture{Node: f.node, Chain: f.c.cfg.Node, Store: f.st, DBPath: f.dbPath}
}

// TemplatePolicy is templatePolicy's policy.
func TemplatePolicy(t *testing.T, lock uint32) string {
	_, policy := templatePolicy(t, descriptor.TemplateRecovery, lock)
	return policy
}
