// Package regtest is the test harness for real btcd regtest nodes: it wraps
// the launcher, airsign/online/regtest/daemon, for tests. Programs use the
// launcher directly; this package imports package testing.
//
// Start(t, Options) launches a node (daemon.Launch with an Ephemeral Dir
// under t.TempDir() and a fresh harness key), registers t.Cleanup to Stop
// it (logging the tail of btcd's log if the test failed, and failing the
// test if btcd had exited by itself), and returns a *Node whose methods
// take t and call t.Fatal on error. Node.Daemon returns the *daemon.Daemon
// underneath, for its error-returning methods.
//
// Two nodes started with Options.Listen can be connected and made to
// disagree: Reorg and ReorgWith build a real reorg over P2P, since btcd
// v0.24.2 has no invalidateblock.
//
// Params, SegwitActivationHeight, CoinbaseMaturity, BtcdPath, HarnessKey
// and HarnessAddress are the launcher's, repeated here so that tests need
// one import. How btcd is found, started and stopped, and the facts about
// btcd's regtest that this package's tests measure, are in the launcher's
// documentation.
package regtest
