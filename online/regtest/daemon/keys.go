package daemon

import (
	"crypto/sha256"
	"fmt"
	"sync"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
)

// A Daemon mines to P2PKH addresses of fixed, test-only keys so that Fund
// can spend the coinbases. Key i is sha256("airsign/online/regtest test-only
// key <i>") read as a scalar. These keys are public knowledge: regtest only.

var (
	keysMu   sync.Mutex
	keyCount int
	keyByPk  = map[string]*btcec.PrivateKey{} // P2PKH pkScript -> key
)

const maxHarnessKeys = 256

// HarnessKey returns the i-th test-only key. The i-th Daemon of this process
// with a temporary or Ephemeral Dir and no Config.MiningAddr mines to
// p2pkh(HarnessKey(i)) (the index wraps at 256).
func HarnessKey(i int) *btcec.PrivateKey {
	sum := sha256.Sum256([]byte(fmt.Sprintf("airsign/online/regtest test-only key %d", i)))
	k, _ := btcec.PrivKeyFromBytes(sum[:])
	return k
}

// HarnessAddress returns the P2PKH address of HarnessKey(i), a mining
// address Fund can spend from. A Daemon on a persistent Dir mines to
// HarnessAddress(0) unless told otherwise; give a second persistent node
// that shares its chain another index.
func HarnessAddress(i int) btcutil.Address { return p2pkhAddress(HarnessKey(i)) }

func p2pkhAddress(k *btcec.PrivateKey) btcutil.Address {
	a, err := btcutil.NewAddressPubKeyHash(btcutil.Hash160(k.PubKey().SerializeCompressed()), Params)
	if err != nil {
		panic(err)
	}
	return a
}

func registerKey(k *btcec.PrivateKey) {
	s, err := txscript.PayToAddrScript(p2pkhAddress(k))
	if err != nil {
		panic(err)
	}
	keyByPk[string(s)] = k
}

// nextHarnessKey hands out a fresh key per node, so two nodes never mine
// byte-identical blocks (which would defeat a reorg).
func nextHarnessKey() *btcec.PrivateKey {
	keysMu.Lock()
	defer keysMu.Unlock()
	k := HarnessKey(keyCount % maxHarnessKeys)
	keyCount++
	registerKey(k)
	return k
}

// harnessKeyFor returns the harness key whose P2PKH address is a, or nil.
func harnessKeyFor(a btcutil.Address) *btcec.PrivateKey {
	s, err := txscript.PayToAddrScript(a)
	if err != nil {
		return nil
	}
	keysMu.Lock()
	defer keysMu.Unlock()
	if k := keyByPk[string(s)]; k != nil {
		return k
	}
	for i := 0; i < maxHarnessKeys; i++ {
		k := HarnessKey(i)
		if a.EncodeAddress() == p2pkhAddress(k).EncodeAddress() {
			registerKey(k)
			return k
		}
	}
	return nil
}

// keyForScript returns the harness key that can spend a P2PKH pkScript.
func keyForScript(pkScript []byte) *btcec.PrivateKey {
	keysMu.Lock()
	defer keysMu.Unlock()
	return keyByPk[string(pkScript)]
}
