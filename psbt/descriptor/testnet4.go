package descriptor

import (
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// testnet4 (BIP-94) in btcd v0.24's types. btcd has it only from v0.26,
// whose /v2 modules airsign does not take (docs/DECISIONS.md), so the
// values here are Bitcoin Core's (src/kernel/chainparams.cpp,
// CTestNet4Params), and the test checks the genesis block against the
// hashes Core asserts.

// testnet4Net is the message start 1c 16 3f 28 (Core's pchMessageStart, in
// wire order): btcd writes a BitcoinNet little-endian.
const testnet4Net wire.BitcoinNet = 0x283f161c

// testnet4GenesisMessage is the text of the genesis coinbase: a date and
// the hash of mainnet block 840000, so the chain cannot have been started
// before it.
const testnet4GenesisMessage = "03/May/2024 000000000000000000001ebd58c244970b3aa9d783bb001011fbe8ea8e98e00e"

// testnet4GenesisHash is the hash Core asserts for the block that
// testnet4GenesisBlock builds (checked by the tests).
var testnet4GenesisHash = chainhash.Hash{ // 00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043
	0x43, 0xf0, 0x8b, 0xda, 0xb0, 0x50, 0xe3, 0x5b,
	0x56, 0x7c, 0x86, 0x4b, 0x91, 0xf4, 0x7f, 0x50,
	0xae, 0x72, 0x5a, 0xe2, 0xde, 0x53, 0xbc, 0xfb,
	0xba, 0xf2, 0x84, 0xda, 0x00, 0x00, 0x00, 0x00,
}

// testnet4GenesisBlock is Core's CreateGenesisBlock(testnet4_genesis_msg,
// testnet4_genesis_script, 1714777860, 393743547, 0x1d00ffff, 1, 50 BTC).
func testnet4GenesisBlock() *wire.MsgBlock {
	// CScript() << 486604799 << CScriptNum(4) << message: the number as
	// a 4-byte push (ff ff 00 1d), 4 as a 1-byte push (not OP_4, which
	// btcd's ScriptBuilder would write), and the 76-byte message with
	// OP_PUSHDATA1 (0x4c), as Core pushes anything of 76 bytes or more.
	sigScript := append([]byte{0x04, 0xff, 0xff, 0x00, 0x1d, 0x01, 0x04, 0x4c, byte(len(testnet4GenesisMessage))}, testnet4GenesisMessage...)
	// A 33-byte zero "public key" and OP_CHECKSIG: unspendable.
	pkScript := append(append([]byte{0x21}, make([]byte, 33)...), 0xac)
	coinbase := &wire.MsgTx{
		Version: 1,
		TxIn: []*wire.TxIn{{
			PreviousOutPoint: wire.OutPoint{Index: wire.MaxPrevOutIndex},
			SignatureScript:  sigScript,
			Sequence:         wire.MaxTxInSequenceNum,
		}},
		TxOut: []*wire.TxOut{{Value: 50 * 100_000_000, PkScript: pkScript}},
	}
	return &wire.MsgBlock{
		Header: wire.BlockHeader{
			Version:    1,
			MerkleRoot: coinbase.TxHash(), // one transaction: the root is its txid
			Timestamp:  time.Unix(1714777860, 0),
			Bits:       0x1d00ffff,
			Nonce:      393743547,
		},
		Transactions: []*wire.MsgTx{coinbase},
	}
}

// testnet4Params are testnet3's with what BIP-94 and Core change. What
// airsign reads from them: the name, message start, port and genesis block
// (the connect checks of online/chain and its cfilter client), the proof
// of work limit (cfilter's header check) and the address and key
// encodings, which are testnet3's (tb, tpub, 0x6f/0xc4, coin type 1).
// Nothing in airsign hands them to btcd's blockchain package, which would
// also need the deployments: BIP-94 has every soft fork active from block
// 1, which v0.24's ConsensusDeployment cannot say, so they are left empty
// rather than testnet3's dates.
var testnet4Params = func() chaincfg.Params {
	p := chaincfg.TestNet3Params
	p.Name = "testnet4" // also Bitcoin Core's chain name (-testnet4, getblockchaininfo "chain")
	p.Net = testnet4Net
	p.DefaultPort = "48333"
	p.DNSSeeds = nil // airsign dials only the peers it is given
	p.GenesisBlock = testnet4GenesisBlock()
	p.GenesisHash = &testnet4GenesisHash
	// PowLimit, PowLimitBits (0x1d00ffff), the retarget timing,
	// ReduceMinDifficulty with its 20 minutes, the subsidy and the
	// address and key IDs stay testnet3's, as BIP-94 keeps them.
	p.BIP0034Height, p.BIP0065Height, p.BIP0066Height = 1, 1, 1
	p.Checkpoints = nil // testnet3's would name blocks testnet4 does not have
	p.Deployments = [chaincfg.DefinedDeployments]chaincfg.ConsensusDeployment{}
	return p
}()

// chaincfg.Register makes btcd's address and key decoding know testnet4.
// Its address and key IDs are testnet3's, so registering adds no prefix
// and testnet3 (and signet) decoding is unchanged; only the message start
// is new. A second registration of the same message start fails, which
// here would mean btcd has started registering testnet4 itself.
func init() {
	if err := chaincfg.Register(&testnet4Params); err != nil {
		panic("descriptor: registering testnet4 with btcd's chaincfg: " + err.Error())
	}
}
