package jsonapi_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/btcsuite/btcd/chaincfg"

	"airsign/online/chain"
	"airsign/online/coordinator"
	"airsign/online/jsonapi"
	"airsign/online/store"
	"airsign/psbt/descriptor"
)

// The wiring a coordinator command does: a store, a node, the coordinator,
// a first admin, and the API on a server with timeouts. (Not run: it needs
// a node.)
func Example() {
	st, err := store.Open("/var/lib/airsign/coordinator.db")
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	node, err := chain.Dial(chain.Config{URL: "http://127.0.0.1:8332", User: "rpc", Pass: "secret",
		Params: &chaincfg.MainNetParams})
	if err != nil {
		log.Fatal(err)
	}
	defer node.Close()
	c, err := coordinator.New(coordinator.Config{Store: st, Node: node, Network: descriptor.Mainnet})
	if err != nil {
		log.Fatal(err)
	}

	// The token is shown once; only its hash is stored.
	token, err := st.AddUser(context.Background(), "root", store.RoleAdmin, time.Now())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("admin token:", token)

	srv := &http.Server{
		Addr:              "127.0.0.1:8080",
		Handler:           jsonapi.New(c, st, jsonapi.Options{Logf: log.Printf}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      5 * time.Minute, // a sync from an old birthday takes a while
	}
	log.Fatal(srv.ListenAndServe())
}
