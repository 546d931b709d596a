package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"airsign/cmd/internal/qrfiles"
	"airsign/online/chain"
	"airsign/online/chain/cfilter"
	"airsign/online/coordinator"
	"airsign/psbt/descriptor"
)

// fileConfig is DATADIR/config.json: what the global flags may set, so an
// operator does not repeat them. Flags win over the file.
type fileConfig struct {
	Network         string  `json:"network,omitempty"`
	RPCURL          string  `json:"rpc_url,omitempty"`
	RPCUser         string  `json:"rpc_user,omitempty"`
	RPCPass         string  `json:"rpc_pass,omitempty"`
	FallbackFeeRate float64 `json:"fallback_feerate,omitempty"`
	// Backend is how the coordinator follows the chain: "rpc" (the
	// default: a node's JSON-RPC) or "filters" (compact block filters
	// over P2P from Peers, no RPC credentials).
	Backend string   `json:"backend,omitempty"`
	Peers   []string `json:"peers,omitempty"`
}

// Chain backends a configuration file may name.
const (
	backendRPC     = "rpc"
	backendFilters = "filters"
)

// chainBackend is the node connection the coordinator is given: the RPC
// client or the compact block filter client.
type chainBackend interface {
	coordinator.Node
	Close()
}

// dialNode connects to the backend config.json names, checking that the
// node or every peer is on the configured network.
func (c *cli) dialNode() (chainBackend, error) {
	var cfg fileConfig
	if _, err := readJSONFile(filepath.Join(c.datadir, "config.json"), &cfg); err != nil {
		return nil, err
	}
	switch cfg.Backend {
	case "", backendRPC:
	case backendFilters:
		if len(cfg.Peers) == 0 {
			return nil, fmt.Errorf("%s: backend %q needs \"peers\": the P2P addresses (host:port) of nodes that serve compact block filters, two or more",
				filepath.Join(c.datadir, "config.json"), backendFilters)
		}
		node, err := cfilter.Dial(c.ctx, cfilter.Config{Peers: cfg.Peers, Params: c.network.Params(),
			Logf: func(format string, args ...any) { fmt.Fprintf(c.stderr, format+"\n", args...) }})
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return node, nil
	default:
		return nil, fmt.Errorf("%s: backend %q: want %q or %q", filepath.Join(c.datadir, "config.json"), cfg.Backend, backendRPC, backendFilters)
	}
	if c.rpc.URL == "" && c.network == descriptor.Regtest {
		var r regtestRPC
		ok, err := readJSONFile(filepath.Join(regtestDir(c.datadir), "rpc.json"), &r)
		if err != nil {
			return nil, err
		}
		if ok {
			c.rpc.URL, c.rpc.User, c.rpc.Pass = r.URL, r.User, r.Pass
		}
	}
	if c.rpc.URL == "" {
		return nil, fmt.Errorf("no node to talk to: give --rpc-url (and --rpc-user/--rpc-pass), put them in %s, or on regtest run 'airsign-coordinator --datadir %s regtest start' first",
			filepath.Join(c.datadir, "config.json"), c.datadir)
	}
	node, err := chain.DialContext(c.ctx, c.rpc)
	if err != nil {
		return nil, err
	}
	return node, nil
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
