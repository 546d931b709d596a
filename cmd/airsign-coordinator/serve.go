package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"text/tabwriter"
	"time"

	"airsign/online/api"
	"airsign/online/store"
)

// serve runs the JSON API and keeps the store in step with the node.
func (c *cli) serve(args []string) error {
	fs := newFlags("serve")
	listen := fs.String("listen", "127.0.0.1:8380", "")
	interval := fs.Duration("sync-interval", 10*time.Second, "")
	cert := fs.String("tls-cert", "", "")
	key := fs.String("tls-key", "", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 || (*cert == "") != (*key == "") || *interval < time.Second {
		return usageError("serve [--listen ADDR] [--sync-interval DURATION (>= 1s)] [--tls-cert FILE --tls-key FILE]")
	}
	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		return usageError(fmt.Sprintf("--listen %q: %v", *listen, err))
	}
	if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && host != "localhost" && *cert == "" {
		fmt.Fprintf(c.stderr, "warning: serving on %s without TLS: bearer tokens cross the network in clear; give --tls-cert and --tls-key or put a TLS proxy in front\n", *listen)
	}
	logger := log.New(c.stderr, "", log.LstdFlags)
	srv := &http.Server{
		Addr:              *listen,
		Handler:           api.New(c.coord, c.st, api.Options{Logf: logger.Printf}),
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
	go c.watch(*interval, logger)
	errc := make(chan error, 1)
	go func() {
		if *cert != "" {
			errc <- srv.ServeTLS(ln, *cert, *key)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	fmt.Fprintf(c.stdout, "serving the API on %s (syncing every %s); Ctrl-C stops\n", ln.Addr(), *interval)
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
	return nil
}

// watch syncs until the command ends, logging what changed and errors
// (an unreachable node is retried at the next tick).
func (c *cli) watch(every time.Duration, logger *log.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		r, err := c.coord.Sync(c.ctx)
		switch {
		case c.ctx.Err() != nil:
			return
		case err != nil:
			logger.Printf("sync: %v", err)
		case r.Applied > 0 || r.Disconnected > 0 || r.Mempool > 0 || r.Dropped > 0:
			logger.Printf("sync: block %d, %d applied, %d undone, %d deposit(s), %d mempool, %d dropped",
				r.Height, r.Applied, r.Disconnected, len(r.Deposits), r.Mempool, r.Dropped)
		}
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (c *cli) users(args []string) error {
	if len(args) == 0 {
		us, err := c.st.Users(c.ctx)
		if err != nil {
			return err
		}
		type row struct {
			Name     string    `json:"name"`
			Role     string    `json:"role"`
			Created  time.Time `json:"created"`
			Disabled bool      `json:"disabled"`
		}
		rows := []row{}
		for _, u := range us {
			rows = append(rows, row{u.Name, string(u.Role), u.Created, u.Disabled})
		}
		return c.emit(rows, func() {
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tROLE\tCREATED\tSTATE")
			for _, r := range rows {
				state := "active"
				if r.Disabled {
					state = "disabled"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, r.Role, r.Created.Format(time.RFC3339), state)
			}
			tw.Flush()
		})
	}
	switch args[0] {
	case "add":
		fs := newFlags("user add")
		role := fs.String("role", "", "")
		name, rest := splitID(args[1:])
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		r, err := store.ParseRole(*role)
		if name == "" || fs.NArg() != 0 || err != nil {
			return usageError("user add NAME --role viewer|requester|approver|admin")
		}
		token, err := c.st.AddUser(c.ctx, name, r, time.Now())
		if err != nil {
			return err
		}
		if err := c.coord.Record("user-add", map[string]any{"name": name, "role": string(r), "by": c.user}); err != nil {
			return err
		}
		return c.showToken(name, string(r), token)
	case "rotate":
		if len(args) != 2 {
			return usageError("user rotate NAME")
		}
		token, err := c.st.RotateToken(c.ctx, args[1])
		if err != nil {
			return err
		}
		if err := c.coord.Record("user-rotate", map[string]any{"name": args[1], "by": c.user}); err != nil {
			return err
		}
		return c.showToken(args[1], "", token)
	case "disable":
		if len(args) != 2 {
			return usageError("user disable NAME")
		}
		if err := c.st.DisableUser(c.ctx, args[1]); err != nil {
			return err
		}
		if err := c.coord.Record("user-disable", map[string]any{"name": args[1], "by": c.user}); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "user %s disabled; their token no longer works\n", args[1])
		return nil
	default:
		return usageError(fmt.Sprintf("unknown user subcommand %q", args[0]))
	}
}

func (c *cli) showToken(name, role, token string) error {
	return c.emit(map[string]string{"name": name, "role": role, "token": token}, func() {
		fmt.Fprintf(c.stdout, "API token for %s (shown once; only its hash is stored):\n%s\n", name, token)
	})
}
