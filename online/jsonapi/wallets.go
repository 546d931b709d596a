package jsonapi

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/btcsuite/btcd/txscript"

	"airsign/online/coordinator"
	"airsign/online/store"
	"airsign/psbt/descriptor"
)

type healthResponse struct {
	Tip int32 `json:"tip"`
}

// health needs no token: a load balancer or monitor may call it. It says
// only how far the coordinator has synced.
func (s *server) health(w http.ResponseWriter, r *http.Request) {
	tip, err := s.c.Tip(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, healthResponse{Tip: tip})
}

type walletJSON struct {
	Name       string    `json:"name"`
	Network    string    `json:"network"`
	Descriptor string    `json:"descriptor"`
	Birthday   int32     `json:"birthday"`
	Created    time.Time `json:"created"`
	// Policy is the BIP-388 policy (JSON) of a wallet with spending
	// paths; absent for single-sig and sortedmulti wallets.
	Policy json.RawMessage `json:"policy,omitempty"`
}

func walletOut(w store.Wallet) walletJSON {
	out := walletJSON{Name: w.Name, Network: w.Network, Descriptor: w.Descriptor, Birthday: w.Birthday, Created: w.Created}
	if w.Policy != "" {
		out.Policy = json.RawMessage(w.Policy)
	}
	return out
}

type walletsResponse struct {
	Wallets []walletJSON `json:"wallets"`
}

func (s *server) listWallets(w http.ResponseWriter, r *http.Request, _ store.User) error {
	ws, err := s.c.Wallets(r.Context())
	if err != nil {
		return err
	}
	out := walletsResponse{Wallets: []walletJSON{}}
	for _, wl := range ws {
		out.Wallets = append(out.Wallets, walletOut(wl))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type addWalletRequest struct {
	Name       string `json:"name"`
	Descriptor string `json:"descriptor"`
	// Policy registers a wallet with spending paths: its BIP-388 policy
	// (the JSON object, or its text) instead of a descriptor.
	Policy   json.RawMessage `json:"policy"`
	Birthday *int32          `json:"birthday"`
}

func (s *server) addWallet(w http.ResponseWriter, r *http.Request, _ store.User) error {
	var req addWalletRequest
	if err := s.decode(w, r, &req, false); err != nil {
		return err
	}
	if (req.Descriptor == "") == (len(req.Policy) == 0) {
		return errInvalid(`give one of the fields "descriptor" (the wallet's output descriptor as the kiosk exports it) and "policy" (a BIP-388 wallet policy)`)
	}
	if req.Birthday == nil {
		return errInvalid(`field "birthday" is required: the height of a block at or before the wallet's first deposit, 0 to scan the whole chain`)
	}
	var wl coordinator.Wallet
	var err error
	if len(req.Policy) > 0 {
		policy := string(req.Policy)
		var text string
		if json.Unmarshal(req.Policy, &text) == nil {
			policy = text // the policy as a JSON string
		}
		wl, err = s.c.AddPolicyWallet(r.Context(), req.Name, policy, *req.Birthday)
	} else {
		wl, err = s.c.AddWallet(r.Context(), req.Name, req.Descriptor, *req.Birthday)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, walletOut(wl.Wallet))
	return nil
}

type balanceResponse struct {
	Wallet      string `json:"wallet"`
	Confirmed   int64  `json:"confirmed_sat"`
	Unconfirmed int64  `json:"unconfirmed_sat"`
	Reserved    int64  `json:"reserved_sat"`
	Tip         int32  `json:"tip"`
}

func (s *server) balance(w http.ResponseWriter, r *http.Request, _ store.User) error {
	name := r.PathValue("name")
	b, err := s.c.Balance(r.Context(), name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, balanceResponse{Wallet: name, Confirmed: int64(b.Confirmed),
		Unconfirmed: int64(b.Unconfirmed), Reserved: int64(b.Reserved), Tip: b.Tip})
	return nil
}

type addressResponse struct {
	Wallet  string   `json:"wallet"`
	Address string   `json:"address"`
	Branch  uint32   `json:"branch"`
	Index   uint32   `json:"index"`
	Path    []string `json:"path"` // one per cosigner for multisig
}

func (s *server) receive(w http.ResponseWriter, r *http.Request, _ store.User) error {
	if err := s.decode(w, r, &struct{}{}, true); err != nil {
		return err
	}
	a, err := s.c.Receive(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, addressResponse{Wallet: a.Wallet, Address: a.Address, Branch: a.Branch, Index: a.Index, Path: a.Path})
	return nil
}

type utxoJSON struct {
	TxID     string `json:"txid"`
	Vout     uint32 `json:"vout"`
	Value    int64  `json:"value_sat"`
	Address  string `json:"address,omitempty"`
	Branch   uint32 `json:"branch"`
	Index    uint32 `json:"index"`
	Height   int32  `json:"height"` // 0 = mempool
	Coinbase bool   `json:"coinbase,omitempty"`
	// For a wallet with a recovery path: the first block that may hold a
	// recovery spend of the coin, how many blocks after the tip that is (0:
	// open), and about when at ten minutes a block.
	RecoveryHeight   int32      `json:"recovery_height,omitempty"`
	RecoveryInBlocks *int32     `json:"recovery_in_blocks,omitempty"`
	RecoveryAbout    *time.Time `json:"recovery_about,omitempty"`
}

type utxosResponse struct {
	Wallet string     `json:"wallet"`
	UTXOs  []utxoJSON `json:"utxos"`
}

func (s *server) utxos(w http.ResponseWriter, r *http.Request, _ store.User) error {
	name := r.PathValue("name")
	wl, err := s.c.Wallet(r.Context(), name)
	if err != nil {
		return err
	}
	us, _, err := s.c.Coins(r.Context(), name)
	if err != nil {
		return err
	}
	net, err := descriptor.ParseNetwork(wl.Network)
	if err != nil {
		return err
	}
	params := net.Params()
	out := utxosResponse{Wallet: name, UTXOs: []utxoJSON{}}
	for _, u := range us {
		j := utxoJSON{TxID: u.OutPoint.Hash.String(), Vout: u.OutPoint.Index, Value: int64(u.Value),
			Branch: u.Branch, Index: u.Index, Height: u.Height, Coinbase: u.Coinbase}
		if u.RecoveryHeight > 0 {
			in, about := u.RecoveryIn, u.RecoveryAbout
			j.RecoveryHeight, j.RecoveryInBlocks, j.RecoveryAbout = u.RecoveryHeight, &in, &about
		}
		if _, addrs, _, err := txscript.ExtractPkScriptAddrs(u.Script, params); err == nil && len(addrs) == 1 {
			j.Address = addrs[0].EncodeAddress()
		}
		out.UTXOs = append(out.UTXOs, j)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type movementJSON struct {
	TxID     string `json:"txid"`
	Height   int32  `json:"height"` // 0 = mempool
	Received int64  `json:"received_sat"`
	Sent     int64  `json:"sent_sat"`
	Net      int64  `json:"net_sat"`
}

type historyResponse struct {
	Wallet  string         `json:"wallet"`
	History []movementJSON `json:"history"`
}

func (s *server) history(w http.ResponseWriter, r *http.Request, _ store.User) error {
	name := r.PathValue("name")
	ms, err := s.c.History(r.Context(), name)
	if err != nil {
		return err
	}
	out := historyResponse{Wallet: name, History: []movementJSON{}}
	for _, m := range ms {
		out.History = append(out.History, movementJSON{TxID: m.TxID.String(), Height: m.Height,
			Received: int64(m.Received), Sent: int64(m.Sent), Net: int64(m.Net())})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type syncResponse struct {
	Height       int32  `json:"height"`
	Hash         string `json:"hash"`
	Applied      int    `json:"applied"`
	Disconnected int    `json:"disconnected"`
	Deposits     int    `json:"deposits"`
	DepositedSat int64  `json:"deposited_sat"`
	Mempool      int    `json:"mempool"`
	Dropped      int    `json:"dropped"`
}

func (s *server) sync(w http.ResponseWriter, r *http.Request, _ store.User) error {
	if err := s.decode(w, r, &struct{}{}, true); err != nil {
		return err
	}
	rep, err := s.c.Sync(r.Context())
	if err != nil {
		return err
	}
	out := syncResponse{Height: rep.Height, Hash: rep.Hash.String(), Applied: rep.Applied, Disconnected: rep.Disconnected,
		Deposits: len(rep.Deposits), Mempool: rep.Mempool, Dropped: rep.Dropped}
	for _, d := range rep.Deposits {
		out.DepositedSat += int64(d.Value)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
