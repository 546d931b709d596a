// Package daemon launches real btcd nodes in regression-test mode and
// attaches to them, for programs such as the coordinator's `regtest start`,
// `regtest fund` and `regtest mine` and `make demo`. It does not import
// package testing, so a program that launches a node does not link it; the
// test harness airsign/online/regtest wraps it for tests.
//
// Launch(Config) starts a btcd process and returns a *Daemon whose methods
// (Generate, Fund, Send, Height, ActivateSegwitTaproot, ...) return errors;
// the caller must call Stop, which is idempotent. Attach(dir) connects a
// second process to a Daemon another process launched on a persistent Dir.
//
// # How it works (no Makefile needed)
//
// The btcd binary comes from this module's own go.mod: it has a
// `tool github.com/btcsuite/btcd` line, so the version is pinned by go.sum and
// nothing has to be installed. On the first Launch in a process the
// package runs `go tool -n btcd`, which builds btcd into Go's build cache (the
// first build takes ~20 s, later runs ~0.3 s) and prints the path of the
// cached binary. If that fails it falls back to `go build -o` into a stable
// directory under os.TempDir(). Set AIRSIGN_BTCD=/path/to/btcd to skip both
// and use a prebuilt binary; a btcd beside the running program (`make
// build` puts one in bin/ next to airsign-coordinator) is used before
// asking go, so installed binaries work outside the source tree. The `go`
// command is looked up on PATH, then in $GOROOT/bin.
//
// Each node runs as its own process with:
//
//   - --regtest, datadir Dir/data, logdir Dir/logs, HOME=Dir (nothing
//     touches ~/.btcd); stdout and stderr are appended to Dir/btcd.out and
//     copied to Config.Log if set;
//   - RPC over plain HTTP (--notls) on 127.0.0.1, with a random
//     user/password unless configured; P2P on 127.0.0.1 only when Listen is
//     set, otherwise --nolisten. Ports Launch chooses are found by binding
//     127.0.0.1:0 and closing; if btcd then fails to bind (it exits),
//     Launch retries with new ports, up to 5 attempts. An explicit
//     Config.RPCListen is never replaced: if it is taken, Launch
//     fails with an error wrapping ErrRPCPortInUse (checked by binding it
//     first) and does not retry;
//   - --txindex, so getrawtransaction works for confirmed transactions;
//   - --rejectnonstd (unless Config.AcceptNonStandard): btcd's regtest
//     default is to accept non-standard transactions, which would hide
//     mainnet policy failures such as dust outputs;
//   - --utxocachemaxsize=8 (the default 250 MiB cache is preallocated and
//     makes every start ~0.5 s slower);
//   - --miningaddr set to the configured address or, by default, to a
//     P2PKH address of a fixed test-only key the package holds: for a
//     temporary or Ephemeral Dir, HarnessKey(i) for the i-th node of the
//     process, so two nodes never mine identical blocks; for a persistent Dir,
//     HarnessKey(0) (HarnessAddress(0)), so that the chain's coinbases stay
//     spendable across restarts and processes. Because the package holds
//     that key it can spend matured coinbases: that is how Fund pays
//     arbitrary scripts. A P2PKH coinbase is spendable before segwit
//     activates; a P2WPKH one would not be.
//
// Launch waits until RPC answers. Stop sends the `stop` RPC (SIGINT if RPC
// does not answer), waits up to 10 s, then kills the process, and waits
// until it is reaped. On Linux btcd also gets PR_SET_PDEATHSIG=SIGKILL, so
// it dies if the process that launched it dies, test binary or not (for
// example on a test timeout panic or a SIGKILL of the coordinator). The
// signal fires when the forking *thread* exits, so every btcd is forked
// from one goroutine locked to a thread that lives as long as the process.
// btcd stays in its parent's process group: a Ctrl-C in a terminal reaches
// both, and btcd shuts down by itself (Stop then returns nil, since it
// exited cleanly). Outside Linux there is no parent-death signal.
//
// # Persistent Dir
//
// btcd v0.24.2 deletes its block database on every start in --regtest mode
// (removeRegressionDB in btcd.go: "Removing regression test database"), so
// a regtest chain cannot be resumed from btcd's own datadir, and a second
// btcd on the same datadir would wipe the first one's chain under it. The
// package therefore keeps the chain itself. For a Config.Dir (not for a
// temporary or Ephemeral Dir):
//
//   - Dir/chain.dat holds the main chain's blocks (length-prefixed, wire
//     encoding, fsynced). Generate and Fund append what they mined before
//     returning, a poller appends blocks from elsewhere (RPC, P2P) every
//     second, and Stop appends the rest (if btcd is still running: blocks
//     mined by others in the last second before btcd died are lost); a
//     reorg truncates to the fork point.
//     Launch replays the file into the fresh btcd with submitblock (431
//     blocks in about a second) and checks the tip. The mempool is not kept:
//     unconfirmed transactions are lost on restart.
//   - Dir/regtest.json remembers the RPC address, user, password and mining
//     address; empty Config fields take those values on the next
//     Launch, so RPC clients configured against the daemon keep working. If
//     the remembered port is taken by then, Launch quietly picks a free one
//     (read RPCURL back); only an explicit RPCListen is an error.
//   - Dir/lock is flocked for the daemon's lifetime: a second Launch on the
//     same Dir fails ("another daemon is running on this Dir"). The lock
//     dies with the process.
//
// Fund keeps no state that matters across restarts: it scans coinbases from
// height 1 after each Launch (then from the lowest height not known to be
// spent) and asks the node whether each harness output is unspent, in the
// chain (gettxout) and in the mempool (gettxspendingprevout, which btcd
// v0.24.2 has), so it never double-spends a coinbase.
//
// # btcd v0.24.2 regtest facts (measured by the tests of this package and
// of airsign/online/regtest)
//
//   - Blocks are mined with the `generate` RPC, which needs --miningaddr.
//     btcd has no generatetoaddress, estimatesmartfee or invalidateblock;
//     reorgs are therefore made with two nodes (the harness's Reorg and
//     ReorgWith).
//   - Mining is cheap: ~100 blocks in 40 ms, 500 in 80 ms, so 431 blocks
//     to activation take well under a second. Launch takes 0.15-0.9 s
//     (the first Launch of a process includes `go tool -n btcd`), stop
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
package daemon
