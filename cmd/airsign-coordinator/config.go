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
)

// fileConfig is DATADIR/config.json: what the global flags may set, so an
// operator does not repeat them. Flags win over the file.
type fileConfig struct {
	Network         string  `json:"network,omitempty"`
	RPCURL          string  `json:"rpc_url,omitempty"`
	RPCUser         string  `json:"rpc_user,omitempty"`
	RPCPass         string  `json:"rpc_pass,omitempty"`
	FallbackFeeRate float64 `json:"fallback_feerate,omitempty"`
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
