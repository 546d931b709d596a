package main

import (
	"fmt"
	"os"
	"path/filepath"

	"airsign/online/coordinator"
	"airsign/online/webhook"
)

// webhooksFile is DATADIR/webhooks.json: where notifications of requests
// go, each URL with its shared secret. It is a file of its own, apart
// from config.json, so that its secrets can be kept readable by the
// coordinator's user alone (it refuses the file otherwise).
const webhooksFile = "webhooks.json"

type webhooksConfig struct {
	// PublicURL is where people reach the web pages, for the links to
	// request pages in the notifications.
	PublicURL string `json:"public_url,omitempty"`
	Endpoints []struct {
		URL    string `json:"url"`
		Secret string `json:"secret"`
		// AllowInternal lets this URL reach link-local and cloud
		// metadata addresses, refused by default.
		AllowInternal bool `json:"allow_internal,omitempty"`
	} `json:"endpoints"`
}

// openWebhooks reads DATADIR/webhooks.json and returns its queue, or nil
// when there is no file. Every command queues the notifications of what
// it does; serve delivers them.
func (c *cli) openWebhooks() (*webhook.Queue, error) {
	path := filepath.Join(c.datadir, webhooksFile)
	fi, err := os.Stat(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s holds the webhooks' secrets and others may read it (mode %v): chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	var cfg webhooksConfig
	if _, err := readJSONFile(path, &cfg); err != nil {
		return nil, err
	}
	opts := webhook.Options{PublicURL: cfg.PublicURL, Logf: func(format string, args ...any) {
		fmt.Fprintf(c.stderr, format+"\n", args...)
	}, Record: func(kind string, data map[string]any) error {
		// Asked for once serve delivers, when the coordinator exists.
		if c.coord == nil {
			return nil
		}
		return c.coord.Record(kind, data)
	}}
	for _, e := range cfg.Endpoints {
		opts.Endpoints = append(opts.Endpoints, webhook.Endpoint{URL: e.URL, Secret: []byte(e.Secret), AllowInternal: e.AllowInternal})
	}
	q, err := webhook.New(c.st, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return q, nil
}

// notifier is the coordinator's Notifier: the webhook queue, or none
// (a nil interface, not a nil queue in one).
func notifier(q *webhook.Queue) coordinator.Notifier {
	if q == nil {
		return nil
	}
	return q
}
