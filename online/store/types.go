package store

import (
	"errors"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// Errors the store returns; test for them with errors.Is.
var (
	// ErrNotConnected means an Update does not extend the stored tip: its
	// Prev is not the tip's hash or its Height is not the tip's plus one.
	// The watcher should disconnect back to the fork point and retry.
	ErrNotConnected = errors.New("block does not connect to the stored tip")
	// ErrNoTip means the store has applied no block.
	ErrNoTip = errors.New("no block applied")
	// ErrNotFound means the named wallet is not registered.
	ErrNotFound = errors.New("not found")
	// ErrExists means a wallet of that name is already registered.
	ErrExists = errors.New("already exists")
	// ErrSchemaTooNew means the database was written by a newer airsign.
	ErrSchemaTooNew = errors.New("database schema is newer than this program")
	// ErrConflict means an update contradicts what is stored, such as a
	// credit for an outpoint already confirmed in another block or a spend
	// of an output already spent in a block.
	ErrConflict = errors.New("update conflicts with stored state")
	// ErrReserved means an output a new withdrawal wants is already
	// reserved by another live request or already spent. Select again.
	ErrReserved = errors.New("output already reserved or spent")
	// ErrNoAddress means every derived address of the branch is used or
	// issued: the watcher has to derive more (it keeps a gap ahead).
	ErrNoAddress = errors.New("no unused address derived")
	// ErrState means a withdrawal is not in a state that allows the change.
	ErrState = errors.New("withdrawal is not in a state that allows this")
)

// Wallet is a registered watch-only wallet.
type Wallet struct {
	Name       string
	Network    string // chaincfg name: "mainnet", "testnet3", "signet", "regtest"
	Descriptor string // output descriptor with checksum, as exported by the kiosk
	Birthday   int32  // first height that can hold its outputs
	Created    time.Time
	// Suspended wallets get no request but a sweep of everything to
	// Recovery.
	Suspended bool
	Recovery  string
	// Identity is the hex SHA-256 of what the wallet pays to
	// (descriptor.Identity); at most one wallet has each. Empty for a
	// wallet registered before it was recorded.
	Identity string
	// Policy is the BIP-388 wallet policy (JSON, descriptor.WalletPolicy)
	// of a wallet with spending paths (wsh miniscript, taproot tree), as
	// the kiosk registers it; Descriptor then holds the same wallet as a
	// descriptor. Empty for single-sig and sortedmulti wallets.
	Policy string
}

// Address is one derived script the watcher looks for.
type Address struct {
	Wallet string
	Branch uint32 // 0 receive, 1 change
	Index  uint32
	Script []byte
	Used   bool // set when an applied block or mempool entry pays to it; never cleared
	Issued bool // handed out as a receive or change address; never cleared
}

// CoinbaseMaturity is how many blocks a coinbase output must wait, counting
// its own, before it may be spent (consensus: 100 more after its block).
const CoinbaseMaturity = 100

// UTXO is an output paying to one of our wallets.
type UTXO struct {
	Wallet   string
	OutPoint wire.OutPoint
	Value    btcutil.Amount
	Script   []byte
	Branch   uint32
	Index    uint32
	Height   int32 // 0 = mempool
	Coinbase bool  // spendable only after CoinbaseMaturity confirmations

	// SpentBy is the spending transaction, nil while unspent. SpentHeight is
	// the block that confirmed the spend, 0 while the spend is unconfirmed.
	SpentBy     *chainhash.Hash
	SpentHeight int32
}

// Spend says that Tx spends OutPoint.
type Spend struct {
	OutPoint wire.OutPoint
	Tx       chainhash.Hash
}

// Update is what one block changes for our wallets, as the watcher computed
// it. Credits take their height from Height; their own Height field is ignored.
type Update struct {
	Height  int32
	Hash    chainhash.Hash
	Prev    chainhash.Hash
	Credits []UTXO
	Spends  []Spend
}
