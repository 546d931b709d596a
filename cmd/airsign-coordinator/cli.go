package main

import (
	"airsign/cmd/internal/cmdline"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"airsign/online/chain"
	"airsign/online/coordinator"
	"airsign/online/store"
	"airsign/online/webhook"
	"airsign/psbt/auditlog"
	"airsign/psbt/descriptor"
)

const version = "0.1.0-dev"

const usage = `Usage:
    airsign-coordinator [global flags] COMMAND [flags]

Global flags (also read from DATADIR/config.json; flags win):
    --datadir DIR        the database, the embedded regtest node, the
                         configuration (default $AIRSIGN_COORDINATOR_DIR or
                         ~/.airsign-coordinator)
    --network NET        mainnet, testnet, testnet4, signet or regtest
                         (default regtest)
    --store URL|FILE     the database: a postgres:// URL, which several
                         coordinators may share (docs/operations.md), or a
                         SQLite file, a relative one in DATADIR (default
                         DATADIR/coordinator.db)
    --rpc-url URL        the node's JSON-RPC endpoint (btcd or Bitcoin Core);
                         on regtest the node of 'regtest start' by default
    --rpc-user USER, --rpc-pass PASS
    --fallback-feerate R sat/vB when the node cannot estimate (default 2 on
                         regtest, none elsewhere)
    --token-file FILE    your API token (or AIRSIGN_TOKEN): who you are, for
                         the commands that act for a person (withdraw,
                         bump-fee, bsms, user, audit export)
    --user NAME          the user the token must be (approve: whose key)
    --as-admin           act as this machine's administrator instead,
                         recorded as local-admin:$USER
    --json               print results as JSON

Commands:
    regtest start                      run a btcd regtest node in DATADIR/regtest
                                       until interrupted (segwit and taproot active)
    regtest fund (ADDRESS | --wallet NAME) AMOUNT
                                       pay AMOUNT to ADDRESS (or the wallet's next
                                       receive address) from the node's own coins
                                       and mine it
    regtest mine N                     mine N blocks
    wallet add --name NAME (--descriptor D | --qr IMAGE...) [--birthday HEIGHT]
    wallet add --policy FILE [--name NAME] [--birthday HEIGHT]
                                       a wallet with spending paths: a BIP-388 policy
                                       (JSON, or a QR image of it) or a wsh/tr descriptor
    wallet template recovery|decaying|taproot|taproot-recovery --name NAME
             --key KEY... --threshold K [--after BLOCKS] [--recovery KEY... [--recovery-threshold M]]
             (--out FILE | --qr-out FILE.png)
                                       write a template's policy for the kiosks and
                                       this coordinator, and say what it does; a KEY
                                       is [fingerprint/path]xpub or a kiosk's
                                       watch-only.txt
    wallet suspend NAME --recovery ADDRESS | wallet unsuspend NAME
                                       as on the kiosks: only a sweep to ADDRESS
    wallet remove NAME                 (admin) a wallet that never had a request,
                                       e.g. a copy registered by mistake; rescans
    bsms start --threshold M --signers N [--no-encryption]
                                       a BIP129 multisig setup: prints the session TOKEN
    bsms add-key (FILE | --qr IMAGE...)
                                       a kiosk's signed key record (bsms key-record)
    bsms status | bsms abort
    bsms finish --name NAME (--out FILE | --qr-out FILE.png) [--birthday HEIGHT]
                                       register the wsh sortedmulti wallet and write the
                                       descriptor record each kiosk registers (wallet add)
    wallets
    sync                               catch up with the node: blocks, reorgs, mempool
    receive --wallet NAME              the next unused receive address and its derivation
    balance [--wallet NAME]
    utxos --wallet NAME
    coins --wallet NAME                the wallet's coins, with when each one's
                                       recovery path opens
    history --wallet NAME
    withdraw --wallet NAME (--to ADDRESS | --payee NAME) (--amount AMOUNT | --sweep)
             [--fee-preset economy|normal|priority | --feerate R] [--memo TEXT]
             [--out FILE] [--qr-out DIR [--qr-format ur|bbqr|base64] [--max-fragment N] [--fps N]]
             [--psbt-version 0|2]      2 writes BIP-370 (also on show, bump-fee, cancel --revoke)
             [--path primary|recovery [--early]]
                                       a wallet's recovery path spends the coins whose
                                       lock has passed (--early: all, signed ahead; the
                                       node refuses it until the lock passes)
    withdraw --wallet NAME --refresh [--within BLOCKS] [--feerate R] [--out FILE] [--qr-out DIR ...]
                                       spend the coins whose recovery path opens within
                                       BLOCKS (all with 0) back to the wallet by its
                                       primary path: their locks start again
                                       the presets are the node's estimates for 24, 6 and 2
                                       blocks (normal by default); the memo is one line
    requests [--wallet NAME]
    payee add NAME ADDRESS [--note TEXT] | payee remove NAME | payees
                                       the address book: named destinations
                                       (withdraw --payee NAME pays one)
    labels set --wallet NAME (ADDRESS | TXID | TXID:VOUT) TEXT
                                       name one of the wallet's own addresses,
                                       transactions or coins ("" removes it)
    labels export [--wallet NAME] [--out FILE]
                                       BIP-329 JSON Lines: request memos, labels,
                                       payees
    labels import --wallet NAME FILE   take a BIP-329 file's labels of the
                                       wallet's own records (never payees)
    show REQUEST [--out FILE] [--qr-out DIR ...]
    cancel REQUEST [--revoke [--feerate R] (--out FILE | --qr-out DIR)]
                                       free the request's coins; with --revoke (its PSBT
                                       has left), a revocation for the kiosk to sign that
                                       pays every coin back, so no signed copy can pay
    approve REQUEST --user NAME [--expires 8h]
                                       sign NAME's approval into the request's PSBT with
                                       their approval key; the password is read from
                                       standard input (one line, echoed on a terminal)
    approve REQUEST --station-approval FILE
                                       file the approval an approver station made (its
                                       text, or a QR image of it) under its key's owner
    finalize [--broadcast] FILE...     signed PSBTs (files, QR frames or a GIF;
                                       several for multisig partials), or the
                                       signed raw transaction (hex or binary file,
                                       or its QR code) of a wallet that finalizes
                                       itself
    prove-reserves --wallet W --challenge TEXT --snapshot FILE --out FILE
                                       a proof-of-reserves PSBT over the wallet's
                                       confirmed coins for the kiosk (BIP-322), and
                                       the UTXO snapshot the auditor checks it against
    sign-message --wallet W --address A --message M --out FILE
                                       a BIP-322 message-signing PSBT for the kiosk;
                                       finalize of either prints the signature or
                                       proof and never broadcasts
    bump-fee REQUEST [--feerate R] [--out FILE] [--qr-out DIR ...]
    serve [--listen ADDR] [--addr-file FILE] [--sync-interval 10s] [--audit-check-interval 10m]
          [--tls-cert FILE --tls-key FILE] [--secure-cookies]
                                       the JSON API under /api/v1/ (see online/jsonapi), the
                                       treasury web pages at / (docs/web-ui.md), a
                                       watcher that syncs every interval, and a check
                                       of the whole audit log every audit interval
    user add NAME --role viewer|requester|approver|admin
                                       prints the user's API token, once
    user rotate NAME | user disable NAME | users
    user role NAME ROLE | user enable NAME
                                       (admin) change NAME's role or give access back;
                                       a role change or disable ends their web sessions,
                                       and the last enabled admin stays one
    user reset NAME                    (admin) a temporary web password, printed once: it
                                       signs in for 24 hours, only to set their own
    user password NAME [--password-file FILE]
                                       set NAME's web sign-in password (argon2id), read from
                                       FILE or standard input; ends their sessions, lifts a
                                       lockout
    user approval-key NAME [--rotate]  create NAME's ed25519 approval key, sealed under a
                                       password read twice from standard input; prints
                                       the public key for airsign-kiosk approvers add
                                       (coordinator-sealed: the kiosk counts it only
                                       where the wallet's policy names that kind)
    user station-key NAME KEY [--label TEXT]
                                       (admin) register NAME's approver station key (the
                                       text or QR image airsign-kiosk approver init made)
    user approver-keys NAME            NAME's station keys and security keys, as the
                                       text airsign-kiosk approvers add reads
    audit key | audit verify | audit export --out FILE [--since N]
                                       the coordinator's audit log (requests, approvals,
                                       broadcasts, refusals), checkpoints signed by
                                       DATADIR/identity.key; the export also holds the
                                       registered wallets; verify and cross-check it with
                                       airsign-audit
    store copy --to postgres://USER:PASSWORD@HOST/DATABASE?sslmode=...
                                       (admin) copy this coordinator's SQLite store, all of
                                       it (wallets, users, requests, approvals, labels...),
                                       into an empty PostgreSQL database that coordinators
                                       then share; stop the coordinator first; the audit log
                                       moves in with it, and commands on the SQLite store
                                       are refused after (docs/operations.md)
    version

AMOUNT is in BTC (0.015) or in satoshis with a suffix (1500000sat). A
withdrawal spends confirmed coins only, reserves them until it is cancelled,
broadcast or replaced, and pays change to the wallet's next change address.
`

const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

type cli struct {
	ctx      context.Context
	stdout   io.Writer
	stderr   io.Writer
	datadir  string
	network  descriptor.Network
	rpc      chain.Config
	fallback float64
	// recoveryWarn is config.json's recovery_warn_blocks (0: the
	// coordinator's default).
	recoveryWarn uint32
	// storeFlag is --store: where the database is, if given (storeWhere).
	storeFlag string
	// hooks is the webhook queue of DATADIR/webhooks.json, or nil: the
	// coordinator notifies it, and serve runs its deliveries (the one
	// queue, so a new event wakes the delivery loop).
	hooks *webhook.Queue
	// user, tokenFile and asAdmin say who acts (see actor).
	user      string
	tokenFile string
	asAdmin   bool
	who       string // the proven actor, once act ran
	json      bool

	st       *store.Store
	coord    *coordinator.Coordinator
	node     chainBackend
	auditLog *auditlog.Log
	// closeCheck releases the cross-check's backend and store.
	closeCheck func()
}

type usageError string

func (e usageError) Error() string { return string(e) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := &cli{ctx: ctx, stdout: stdout, stderr: stderr}
	err := c.run(args)
	if c.st != nil {
		c.st.Close()
	}
	if c.node != nil {
		c.node.Close()
	}
	if c.closeCheck != nil {
		c.closeCheck()
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "airsign-coordinator: error: %s\n\n%s", ue, usage)
		return exitUsage
	}
	if err != nil {
		fmt.Fprintf(stderr, "airsign-coordinator: error: %v\n", err)
		return exitError
	}
	return exitOK
}

func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses a command's flags and arguments in any order
// (cmdline.Parse); a bad flag is a usage error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := cmdline.Parse(fs, args); err != nil {
		return usageError(err.Error())
	}
	return nil
}

// argument is the one argument a command takes (a request id, a user's
// name), or "" when it was not given exactly once.
func argument(fs *flag.FlagSet) string {
	if fs.NArg() != 1 {
		return ""
	}
	return fs.Arg(0)
}

// commandsOwn names, per command, its own flags that share a global flag's
// name: after the command they are the command's.
var commandsOwn = map[string][]string{"approve": {"user"}}

func (c *cli) run(args []string) error {
	fs := newFlags("airsign-coordinator")
	datadir := fs.String("datadir", defaultDatadir(), "")
	network := fs.String("network", "", "")
	fs.StringVar(&c.storeFlag, "store", "", "")
	rpcURL := fs.String("rpc-url", "", "")
	rpcUser := fs.String("rpc-user", "", "")
	rpcPass := fs.String("rpc-pass", "", "")
	fallback := fs.Float64("fallback-feerate", 0, "")
	fs.StringVar(&c.user, "user", "", "")
	fs.StringVar(&c.tokenFile, "token-file", "", "")
	fs.BoolVar(&c.asAdmin, "as-admin", false, "")
	fs.BoolVar(&c.json, "json", false, "")
	// Up to the command only: its flags are its own.
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(c.stdout, usage)
		return nil
	}
	if err != nil {
		return usageError(err.Error())
	}
	args = fs.Args()
	if len(args) == 0 {
		return usageError("no command given")
	}
	// People put global flags after the command too (`withdraw … --json`,
	// `requests --datadir D`); approve's --user is its own.
	args, err = cmdline.TakeFlags(fs, args, commandsOwn[args[0]]...)
	if err != nil {
		return usageError(err.Error())
	}
	switch {
	case args[0] == "help" && len(args) > 1:
		return c.help(args[1:])
	case args[0] == "help":
		fmt.Fprint(c.stdout, usage)
		return nil
	case args[0] == "version":
		fmt.Fprintf(c.stdout, "airsign-coordinator %s (%s)\n", version, runtime.Version())
		return nil
	case cmdline.HelpAsked(args[1:]):
		// Before the data folder or the node: asking is harmless.
		return c.help(args)
	}

	c.datadir = *datadir
	var cfg fileConfig
	if _, err := readJSONFile(filepath.Join(c.datadir, "config.json"), &cfg); err != nil {
		return err
	}
	netName := first(*network, cfg.Network, "regtest")
	net, err := descriptor.ParseNetwork(netName)
	if err != nil {
		return usageError(fmt.Sprintf("--network %q: %v", netName, err))
	}
	c.network = net
	c.rpc = chain.Config{URL: first(*rpcURL, cfg.RPCURL), User: first(*rpcUser, cfg.RPCUser), Pass: first(*rpcPass, cfg.RPCPass),
		Params: net.Params()}
	c.fallback = *fallback
	if c.fallback == 0 {
		c.fallback = cfg.FallbackFeeRate
	}
	if c.fallback == 0 && net == descriptor.Regtest {
		c.fallback = 2 // btcd never estimates on regtest
	}
	if cfg.RecoveryWarnBlocks > descriptor.MaxTemplateLock {
		return fmt.Errorf("config.json: recovery_warn_blocks %d: give a number of blocks up to %d (0 or none means %d)",
			cfg.RecoveryWarnBlocks, descriptor.MaxTemplateLock, coordinator.DefaultRecoveryWarn)
	}
	c.recoveryWarn = cfg.RecoveryWarnBlocks

	cmd, rest := args[0], args[1:]
	if cmd == "regtest" {
		return c.regtest(rest)
	}
	if cmd == "store" {
		return c.storeCmd(rest) // needs no node
	}
	if cmd == "wallet" && len(rest) > 0 && rest[0] == "template" {
		return c.walletTemplate(rest[1:]) // needs no node and no store
	}
	if err := c.open(); err != nil {
		return err
	}
	switch cmd {
	case "wallet":
		switch {
		case len(rest) > 0 && rest[0] == "add" && hasFlag(rest[1:], "policy"):
			return c.walletAddPolicy(rest[1:])
		case len(rest) > 0 && rest[0] == "add":
			return c.walletAdd(rest[1:])
		case len(rest) > 0 && (rest[0] == "suspend" || rest[0] == "unsuspend"):
			return c.walletSuspend(rest[0], rest[1:])
		case len(rest) > 0 && rest[0] == "remove":
			return c.walletRemove(rest[1:])
		}
		if len(rest) > 0 {
			return unknownSubcommand("wallet", rest[0], []string{"add", "template", "suspend", "unsuspend", "remove"})
		}
		return usageError("wallet takes a subcommand: add, template KIND, suspend NAME --recovery ADDRESS, unsuspend NAME, remove NAME")
	case "bsms":
		return c.bsms(rest)
	case "wallets":
		return c.wallets(rest)
	case "sync":
		return c.sync(rest)
	case "receive":
		return c.receive(rest)
	case "balance":
		return c.balance(rest)
	case "utxos":
		return c.utxos(rest)
	case "coins":
		return c.coins(rest)
	case "history":
		return c.history(rest)
	case "withdraw":
		return c.withdraw(rest)
	case "requests":
		return c.requests(rest)
	case "payee", "payees", "labels":
		return c.labelsCmd(cmd, rest)
	case "show":
		return c.show(rest)
	case "cancel":
		return c.cancel(rest)
	case "approve":
		return c.approve(rest)
	case "finalize":
		return c.finalize(rest)
	case "prove-reserves":
		return c.proveReserves(rest)
	case "sign-message":
		return c.signMessage(rest)
	case "bump-fee":
		return c.bumpFee(rest)
	case "serve":
		return c.serve(rest)
	case "audit":
		return c.auditCmd(rest)
	case "user", "users":
		if cmd == "users" && len(rest) == 0 {
			return c.users(nil)
		}
		if cmd == "user" && len(rest) > 0 && rest[0] == "approval-key" {
			return c.approvalKey(rest[1:])
		}
		if cmd == "user" && len(rest) > 0 && (rest[0] == "station-key" || rest[0] == "approver-keys") {
			return c.approverKeys(rest[0], rest[1:])
		}
		if cmd == "user" && len(rest) == 0 {
			return usageError("user takes a subcommand: " + strings.Join(userSubcommands, ", "))
		}
		if !slices.Contains(userSubcommands, rest[0]) {
			return unknownSubcommand(cmd, rest[0], userSubcommands)
		}
		return c.users(rest)
	default:
		return unknownCommand(cmd)
	}
}

// help prints the usage of the command args name.
func (c *cli) help(args []string) error {
	u := commandUsage(args)
	if u == "" {
		return unknownCommand(args[0])
	}
	fmt.Fprintf(c.stdout, "Usage (global flags go before the command; airsign-coordinator help lists them):\n%s", u)
	return nil
}

// commands are the commands, as the usage lists them.
var commands = []string{"regtest", "wallet", "bsms", "wallets", "sync", "receive", "balance", "utxos", "coins", "history",
	"withdraw", "requests", "payee", "payees", "labels", "show", "cancel", "approve", "finalize", "prove-reserves", "sign-message", "bump-fee", "serve", "user", "users", "audit", "store", "version"}

func unknownCommand(cmd string) usageError {
	msg := fmt.Sprintf("unknown command %q", cmd)
	if s := cmdline.Suggest(cmd, commands); s != "" {
		msg += "; did you mean " + s + "?"
	}
	return usageError(msg)
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func defaultDatadir() string {
	if d := os.Getenv("AIRSIGN_COORDINATOR_DIR"); d != "" {
		return d
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".airsign-coordinator")
	}
	return ".airsign-coordinator"
}

// open opens the database and connects to the node.
func (c *cli) open() error {
	if err := os.MkdirAll(c.datadir, 0o700); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	node, name, err := c.dialNode()
	if err != nil {
		return err
	}
	c.node = node
	check, closeCheck, err := c.crossCheck(name)
	if err != nil {
		return err
	}
	c.closeCheck = closeCheck
	where, err := c.storeWhere(c.storeFlag)
	if err != nil {
		return err
	}
	st, err := store.Open(where)
	if err != nil {
		return err
	}
	c.st = st
	if c.auditLog, err = openAudit(c.datadir, st); err != nil {
		return err
	}
	if c.hooks, err = c.openWebhooks(); err != nil {
		return err
	}
	c.coord, err = coordinator.New(coordinator.Config{Store: st, Node: node, Network: c.network, FallbackFeeRate: c.fallback,
		Audit: c.auditLog, Check: check, Notify: notifier(c.hooks), RecoveryWarn: c.recoveryWarn})
	return err
}

// emit prints v as JSON with --json, else calls text.
func (c *cli) emit(v any, text func()) error {
	if c.json {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	text()
	return nil
}

// syncQuietly brings the store up to date before a command shows state.
func (c *cli) syncQuietly() error {
	_, err := c.coord.Sync(c.ctx)
	return err
}
