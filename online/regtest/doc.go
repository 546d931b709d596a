// Package regtest starts real btcd nodes in regression-test mode for tests.
//
// # How it works (no Makefile needed)
//
// The btcd binary comes from this module's own go.mod: it has a
// `tool github.com/btcsuite/btcd` line, so the version is pinned by go.sum and
// nothing has to be installed. On the first Start in a test process the
// harness runs `go tool -n btcd`, which builds btcd into Go's build cache (the
// first build takes ~20 s, later runs ~0.3 s) and prints the path of the
// cached binary. If that fails it falls back to `go build -o` into a stable
// directory under os.TempDir(). Set AIRSIGN_BTCD=/path/to/btcd to skip both
// and use a prebuilt binary. The `go` command is looked up on PATH, then in
// $GOROOT/bin.
//
// Each node runs as its own process with:
//
//   - --regtest, a fresh datadir and logdir under t.TempDir(), HOME pointed
//     there too (nothing touches ~/.btcd);
//   - RPC over plain HTTP (--notls) on 127.0.0.1 only, with a random
//     user/password; P2P on 127.0.0.1 only when Options.Listen is set,
//     otherwise --nolisten. Ports are chosen by binding 127.0.0.1:0 and
//     closing; if btcd then fails to bind (it exits), Start retries with new
//     ports, up to 5 attempts;
//   - --txindex, so getrawtransaction works for confirmed transactions;
//   - --rejectnonstd (unless Options.AcceptNonStandard): btcd's regtest
//     default is to accept non-standard transactions, which would hide
//     mainnet policy failures such as dust outputs;
//   - --utxocachemaxsize=8 (the default 250 MiB cache is preallocated and
//     makes every start ~0.5 s slower);
//   - --miningaddr set to Options.MiningAddr or, by default, to a P2PKH
//     address of a fixed test-only key the harness holds (HarnessKey(i) for
//     the i-th node of the process, so two nodes never mine identical
//     blocks). Because the harness holds that key it can spend matured
//     coinbases: that is how Fund pays arbitrary scripts. A P2PKH coinbase
//     is spendable before segwit activates; a P2WPKH one would not be.
//
// Start waits until RPC answers and registers a t.Cleanup that sends the
// `stop` RPC, waits up to 10 s and then kills the process, and checks it is
// gone. On Linux the child also gets PR_SET_PDEATHSIG=SIGKILL, so it dies if
// the test binary dies (for example on a test timeout panic). If the test
// failed, the tail of btcd's log is written to the test log.
//
// # btcd v0.24.2 regtest facts (measured by this package's tests)
//
//   - Blocks are mined with the `generate` RPC, which needs --miningaddr.
//     btcd has no generatetoaddress, estimatesmartfee or invalidateblock;
//     reorgs are therefore made with two nodes (Reorg, ReorgWith).
//   - Mining is cheap: ~100 blocks in 40 ms, 500 in 80 ms, so 431 blocks
//     to activation take well under a second. Start takes 0.15-0.9 s
//     (the first Start of a process includes `go tool -n btcd`), stop
//     ~20 ms.
//   - btcd does have testmempoolaccept (since v0.24.1; rpcclient's
//     TestMempoolAccept checks the version through getinfo first). Its
//     reject reasons are btcd's mempool errors, except an unknown input,
//     which it reports as "missing-inputs" (sendrawtransaction says
//     "orphan transaction ... references outputs of unknown or fully-spent
//     transaction").
//   - Segwit (bit 1), taproot (bit 2) and CSV (bit 0) are BIP9 deployments
//     with a 144-block window and a 108-block threshold, all signalled by
//     btcd's miner. getblockchaininfo reports the state for the next
//     block: "defined" up to tip 142, "started" from tip 143, "lockedin"
//     from tip 287, "active" from tip 431. So the rules are enforced from
//     block 432 (SegwitActivationHeight) and the mempool accepts witness
//     spends once the tip is 431; at tip 430 it refuses any transaction
//     with witness data ("has witness data, but segwit isn't active yet").
//     Outputs paying P2WPKH/P2TR scripts can be created before that.
//   - Coinbase maturity is 100 blocks; the subsidy halves every 150 blocks
//     (50 BTC, 25 at 150, 12.5 at 300, 6.25 at 450, ...).
package regtest
