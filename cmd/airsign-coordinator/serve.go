package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"airsign/online/coordinator"
	"airsign/online/jsonapi"
	"airsign/online/store"
	"airsign/online/web"
	"airsign/psbt/auditlog"
)

// serve runs the JSON API under /api/v1/ and the treasury web pages
// (online/web) everywhere else, and keeps the store in step with the node.
func (c *cli) serve(args []string) error {
	fs := newFlags("serve")
	listen := fs.String("listen", "127.0.0.1:8380", "")
	interval := fs.Duration("sync-interval", 10*time.Second, "")
	cert := fs.String("tls-cert", "", "")
	key := fs.String("tls-key", "", "")
	secureCookies := fs.Bool("secure-cookies", false, "")
	addrFile := fs.String("addr-file", "", "")
	auditEvery := fs.Duration("audit-check-interval", defaultAuditCheck, "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 || (*cert == "") != (*key == "") || *interval < time.Second || *auditEvery < time.Second {
		return usageError("serve [--listen ADDR] [--addr-file FILE] [--sync-interval DURATION (>= 1s)] [--audit-check-interval DURATION (>= 1s)] [--tls-cert FILE --tls-key FILE] [--secure-cookies]")
	}
	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		return usageError(fmt.Sprintf("--listen %q: %v", *listen, err))
	}
	if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && host != "localhost" && *cert == "" {
		fmt.Fprintf(c.stderr, "warning: serving on %s without TLS: bearer tokens cross the network in clear; give --tls-cert and --tls-key or put a TLS proxy in front\n", *listen)
	}
	logger := log.New(c.stderr, "", log.LstdFlags)
	// Session cookies are Secure (and __Host-) over TLS, or behind a TLS
	// proxy with --secure-cookies. Plain http is for loopback: browsers
	// would drop a Secure cookie from http://127.0.0.1.
	pages, err := web.New(c.coord, c.st, web.Options{Audit: c.auditLog, Logf: logger.Printf,
		SecureCookies: *cert != "" || *secureCookies})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", jsonapi.New(c.coord, c.st, jsonapi.Options{Logf: logger.Printf}))
	mux.Handle("/", pages)
	srv := &http.Server{
		Addr:              *listen,
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	// --listen 127.0.0.1:0 takes a port no other process holds; --addr-file
	// says which, to a supervisor or a test, once the socket listens. The
	// file appears whole (renamed into place) or not at all.
	if *addrFile != "" {
		tmp := *addrFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
			ln.Close()
			return fmt.Errorf("--addr-file: %w", err)
		}
		if err := os.Rename(tmp, *addrFile); err != nil {
			ln.Close()
			return fmt.Errorf("--addr-file: %w", err)
		}
	}
	// Coordinators sharing one PostgreSQL database all serve; only the
	// holder of the watcher lease syncs, and another takes over when it
	// dies. On SQLite this process always holds it.
	watcherDone := make(chan struct{})
	go func() {
		defer close(watcherDone)
		c.coord.WhileWatcher(c.ctx, coordinator.LeaseHolderID(), logger.Printf,
			func(ctx context.Context) { c.watch(ctx, *interval, logger) })
	}()
	if c.auditLog != nil {
		go c.checkAudit(c.ctx, *auditEvery, logger)
	}
	// Notifications queued by this server or by other commands
	// (DATADIR/webhooks.json) go out from here: from the queue the
	// coordinator notifies, so this server's own events go at once.
	if c.hooks != nil {
		go c.hooks.Run(c.ctx)
	}
	errc := make(chan error, 1)
	go func() {
		if *cert != "" {
			errc <- srv.ServeTLS(ln, *cert, *key)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	scheme := "http"
	if *cert != "" {
		scheme = "https"
	}
	fmt.Fprintf(c.stdout, "serving the API on %s (syncing every %s); Ctrl-C stops\n", ln.Addr(), *interval)
	fmt.Fprintf(c.stdout, "database %s\n", c.st)
	fmt.Fprintf(c.stdout, "web pages at %s://%s/ (users sign in with the password set by: user password NAME)\n", scheme, ln.Addr())
	select {
	case err := <-errc:
		return err
	case <-c.ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	// The watcher gives its lease up as it stops, so another coordinator
	// (or a store copy) need not wait for it to run out: wait for that
	// before exiting.
	select {
	case <-watcherDone:
	case <-shutdown.Done():
	}
	// The refusals counted since the last summary are evidence too.
	return c.coord.FlushRefusals()
}

// watch syncs until ctx ends, logging what changed and errors
// (an unreachable node is retried at the next tick).
func (c *cli) watch(ctx context.Context, every time.Duration, logger *log.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		r, err := c.coord.Sync(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			logger.Printf("sync: %v", err)
		case r.Applied > 0 || r.Disconnected > 0 || r.Mempool > 0 || r.Dropped > 0:
			logger.Printf("sync: block %d, %d applied, %d undone, %d deposit(s), %d mempool, %d dropped",
				r.Height, r.Applied, r.Disconnected, len(r.Deposits), r.Mempool, r.Dropped)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (c *cli) users(args []string) error {
	if len(args) == 0 {
		return c.listUsers()
	}
	// Changing who may do what is an admin's, and the records name them.
	if err := c.act(store.RoleAdmin); err != nil {
		return err
	}
	switch args[0] {
	case "add":
		fs := newFlags("user add")
		role := fs.String("role", "", "")
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		name := argument(fs)
		r, err := store.ParseRole(*role)
		if name == "" || err != nil {
			return usageError("user add NAME --role viewer|requester|approver|admin")
		}
		token, err := c.st.AddUser(c.ctx, name, r, time.Now())
		if err != nil {
			return err
		}
		if err := c.coord.Record("user-add", map[string]any{"name": name, "role": string(r), "by": c.who}); err != nil {
			return err
		}
		return c.showToken(name, string(r), token)
	case "rotate":
		if len(args) != 2 {
			return usageError("user rotate NAME")
		}
		if err := c.checkUser(args[1]); err != nil {
			return err
		}
		token, err := c.st.RotateToken(c.ctx, args[1])
		if err != nil {
			return err
		}
		if err := c.coord.Record("user-rotate", map[string]any{"name": args[1], "by": c.who}); err != nil {
			return err
		}
		return c.showToken(args[1], "", token)
	case "role", "disable", "enable", "reset":
		return c.userAdmin(args)
	case "password":
		return c.webPassword(args[1:])
	default:
		return unknownSubcommand("user", args[0], userSubcommands)
	}
}

// userSubcommands are user's subcommands, as the usage lists them.
var userSubcommands = []string{"add", "rotate", "role", "disable", "enable", "reset", "password", "approval-key", "station-key", "approver-keys"}

func (c *cli) showToken(name, role, token string) error {
	return c.emit(map[string]string{"name": name, "role": role, "token": token}, func() {
		fmt.Fprintf(c.stdout, "API token for %s (shown once; only its hash is stored):\n%s\n", name, token)
	})
}

// webPassword is `user password NAME [--password-file FILE]`: it sets the
// password NAME signs in to the web pages with, hashed with argon2id. The
// password is read from FILE (its first line) or from standard input,
// never from the command line, where other users and shell history would
// see it. Setting it clears a lockout and ends NAME's sessions.
func (c *cli) webPassword(args []string) error {
	fs := newFlags("user password")
	file := fs.String("password-file", "", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	name := argument(fs)
	if name == "" {
		return usageError("user password NAME [--password-file FILE]; the password is read from FILE or standard input, never the command line")
	}
	if err := c.checkUser(name); err != nil {
		return err
	}
	if _, err := c.st.WebAccount(c.ctx, name); err != nil {
		return fmt.Errorf("%w; add the user first: user add %s --role ROLE", err, name)
	}
	var in io.Reader = os.Stdin
	if *file != "" {
		f, err := os.Open(*file)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	pws, err := readPasswords(in, c.stderr, "web password for "+name+": ")
	if err != nil {
		return err
	}
	defer clear(pws[0])
	hash, err := web.HashPassword(pws[0], web.DefaultPasswordParams)
	if err != nil {
		return fmt.Errorf("web password of %s: %w", name, err)
	}
	// Their own password from now on: a temporary one (user reset) ends.
	if _, err := c.coord.SetWebPassword(c.ctx, name, hash, false, c.who); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "web password of %s set; their sessions ended and any lockout is lifted\n", name)
	return nil
}

// defaultAuditCheck is how often serve reads its whole audit log again.
const defaultAuditCheck = 10 * time.Minute

// checkAudit reads and checks the whole audit log every so often, until
// ctx ends. Between these reads a process verifies only what was appended
// since its last (psbt/auditlog), so an edit to an older entry in a
// database several coordinators share is found here, by `audit verify`,
// an export or a restart. Once found, the log refuses every append, and
// with it every change this coordinator would make, until an auditor
// looks and the process is started again. On a shared database each
// check that passes also keeps the log's checkpoint as this machine's view
// of it (seenFile).
func (c *cli) checkAudit(ctx context.Context, every time.Duration, logger *log.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := c.auditLog.Entries(); err != nil {
			logger.Printf("audit log check: %v", err)
			if errors.Is(err, auditlog.ErrChanged) {
				logger.Printf("audit log check: every change through this coordinator is refused from now on; call the auditor")
				return
			}
			continue
		}
		// This machine's view of a shared log moves on with it, so a
		// database restored to before it is refused at the next start
		// (openSharedAudit), not only one restored to before the last.
		if c.st != nil && c.st.Shared() {
			if err := writeSeen(c.datadir, c.auditLog); err != nil {
				logger.Printf("audit log check: keeping this machine's view of the log (%s): %v", seenFile, err)
			}
		}
	}
}
