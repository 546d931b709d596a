package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"airsign/cmd/internal/qrfiles"
	"airsign/online/chain"
	"airsign/online/chain/cfilter"
	"airsign/online/coordinator"
	"airsign/online/store"
	"airsign/psbt/descriptor"
)

// fileConfig is DATADIR/config.json: what the global flags may set, so an
// operator does not repeat them. Flags win over the file.
type fileConfig struct {
	Network string `json:"network,omitempty"`
	backendConfig
	FallbackFeeRate float64 `json:"fallback_feerate,omitempty"`
	// CheckBackend is a second backend the coordinator compares its own
	// with (coordinator.CrossCheck): withdrawals stop while they disagree
	// by more than CheckDepth blocks.
	CheckBackend *backendConfig `json:"check_backend,omitempty"`
	CheckDepth   int32          `json:"check_depth,omitempty"`
	// RecoveryWarnBlocks is how many blocks ahead of a coin's recovery
	// path opening the coordinator marks it for a refresh (coins, the
	// wallet page); 0 means coordinator.DefaultRecoveryWarn.
	RecoveryWarnBlocks uint32 `json:"recovery_warn_blocks,omitempty"`
	// Store is the coordinator's database: a postgres:// URL, which
	// several coordinators may share, or a SQLite file (a relative path
	// is in DATADIR). Empty: DATADIR/coordinator.db.
	Store string `json:"store,omitempty"`
}

// storeFile is the coordinator's SQLite database in DATADIR when neither
// --store nor config.json names another.
const storeFile = "coordinator.db"

// storeWhere is the coordinator's database: flag (--store) when set, else
// config.json's store, else DATADIR/coordinator.db.
func (c *cli) storeWhere(flag string) (string, error) {
	where := flag
	if where == "" {
		var cfg fileConfig
		if _, err := readJSONFile(c.configPath(), &cfg); err != nil {
			return "", err
		}
		where = cfg.Store
	}
	switch {
	case where == "":
		return filepath.Join(c.datadir, storeFile), nil
	case store.IsPostgresURL(where) || filepath.IsAbs(where):
		return where, nil
	}
	return filepath.Join(c.datadir, where), nil
}

// backendConfig says how to follow the chain: "rpc" (the default: a
// node's JSON-RPC) or "filters" (compact block filters over P2P from
// Peers, no RPC credentials). On regtest both default to the node of
// `regtest start`.
type backendConfig struct {
	Backend string   `json:"backend,omitempty"`
	Peers   []string `json:"peers,omitempty"`
	RPCURL  string   `json:"rpc_url,omitempty"`
	RPCUser string   `json:"rpc_user,omitempty"`
	RPCPass string   `json:"rpc_pass,omitempty"`
}

// Chain backends a configuration file may name.
const (
	backendRPC     = "rpc"
	backendFilters = "filters"
)

// checkStoreFile is the check backend's own view of the wallets, in
// DATADIR: a database apart from coordinator.db, so the two views never mix.
const checkStoreFile = "crosscheck.db"

// chainBackend is the node connection the coordinator is given: the RPC
// client or the compact block filter client.
type chainBackend interface {
	coordinator.Node
	Close()
}

// dialNode connects to the backend config.json names, checking that the
// node or every peer is on the configured network; name says which it is.
func (c *cli) dialNode() (node chainBackend, name string, err error) {
	var cfg fileConfig
	if _, err := readJSONFile(c.configPath(), &cfg); err != nil {
		return nil, "", err
	}
	return c.dialBackend(cfg.backendConfig, c.rpc)
}

func (c *cli) configPath() string { return filepath.Join(c.datadir, "config.json") }

// dialBackend connects to one backend; rpc is its RPC settings (for the
// coordinator's own backend, the flags' over the file's). It returns the
// backend and its name for the cross-check's messages.
func (c *cli) dialBackend(cfg backendConfig, rpc chain.Config) (chainBackend, string, error) {
	where := c.configPath()
	switch cfg.Backend {
	case "", backendRPC:
	case backendFilters:
		peers := cfg.Peers
		if len(peers) == 0 && c.network == descriptor.Regtest {
			r, err := c.readRegtestRPC()
			if err != nil {
				return nil, "", err
			}
			if r.P2P != "" {
				peers = []string{r.P2P}
			}
		}
		if len(peers) == 0 {
			return nil, "", fmt.Errorf("%s: backend %q needs \"peers\": the P2P addresses (host:port) of nodes that serve compact block filters, two or more",
				where, backendFilters)
		}
		node, err := cfilter.Dial(c.ctx, cfilter.Config{Peers: peers, Params: c.network.Params(),
			Logf: func(format string, args ...any) { fmt.Fprintf(c.stderr, format+"\n", args...) }})
		if err != nil {
			return nil, "", err // not a typed nil in the interface
		}
		return node, backendFilters + " " + strings.Join(peers, ", "), nil
	default:
		return nil, "", fmt.Errorf("%s: backend %q: want %q or %q", where, cfg.Backend, backendRPC, backendFilters)
	}
	if rpc.URL == "" && c.network == descriptor.Regtest {
		r, err := c.readRegtestRPC()
		if err != nil {
			return nil, "", err
		}
		rpc.URL, rpc.User, rpc.Pass = r.URL, r.User, r.Pass
	}
	if rpc.URL == "" {
		return nil, "", fmt.Errorf("no node to talk to: give --rpc-url (and --rpc-user/--rpc-pass), put them in %s, or on regtest run 'airsign-coordinator --datadir %s regtest start' first",
			where, c.datadir)
	}
	node, err := chain.DialContext(c.ctx, rpc)
	if err != nil {
		return nil, "", err
	}
	return node, backendRPC + " " + node.URL(), nil
}

// crossCheck dials config.json's check_backend, if any, and opens the
// store of its view; release closes both. primary names the coordinator's
// own backend.
func (c *cli) crossCheck(primary string) (check *coordinator.CrossCheck, release func(), err error) {
	var cfg fileConfig
	if _, err := readJSONFile(c.configPath(), &cfg); err != nil {
		return nil, nil, err
	}
	if cfg.CheckBackend == nil {
		return nil, func() {}, nil
	}
	if cfg.CheckDepth < 0 {
		return nil, nil, fmt.Errorf("%s: check_depth %d: give a number of blocks, at least 1 (0 or none means %d)",
			c.configPath(), cfg.CheckDepth, coordinator.DefaultCheckDepth)
	}
	cb := *cfg.CheckBackend
	node, name, err := c.dialBackend(cb, chain.Config{URL: cb.RPCURL, User: cb.RPCUser, Pass: cb.RPCPass, Params: c.network.Params()})
	if err != nil {
		return nil, nil, fmt.Errorf("check_backend: %w", err)
	}
	st, err := store.Open(filepath.Join(c.datadir, checkStoreFile))
	if err != nil {
		node.Close()
		return nil, nil, err
	}
	return &coordinator.CrossCheck{Node: node, Store: st, Name: primary, CheckName: name, Depth: cfg.CheckDepth,
			Logf: func(format string, args ...any) { fmt.Fprintf(c.stderr, format+"\n", args...) }},
		func() { st.Close(); node.Close() }, nil
}

func (c *cli) readRegtestRPC() (regtestRPC, error) {
	var r regtestRPC
	_, err := readJSONFile(filepath.Join(regtestDir(c.datadir), "rpc.json"), &r)
	return r, err
}

func readJSONFile(path string, v any) (bool, error) {
	data, err := qrfiles.ReadFileLimited(path, 64<<10, "configuration file")
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return false, fmt.Errorf("%s: %w (fix or remove the file)", path, err)
	}
	return true, nil
}

// regtestRPC is DATADIR/regtest/rpc.json, written by `regtest start` so the
// other commands find the embedded node without flags.
type regtestRPC struct {
	URL  string `json:"url"`
	User string `json:"user"`
	Pass string `json:"pass"`
	// Listen is the RPC address, kept so a restart uses the same port.
	Listen string `json:"listen"`
	// P2P is the node's P2P address, for "backend": "filters".
	P2P string `json:"p2p,omitempty"`
}

func regtestDir(datadir string) string { return filepath.Join(datadir, "regtest") }

func writeRegtestRPC(datadir string, r regtestRPC) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(regtestDir(datadir), "rpc.json")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
