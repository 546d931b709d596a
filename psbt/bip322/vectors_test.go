package bip322

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
)

// vectorsPath holds BIP-322's own test vectors and Bitcoin Core's.
var vectorsPath = filepath.Join("..", "..", "testdata", "bip322-vectors.json")

type vectorFile struct {
	MessageHashes []struct {
		Message string `json:"message"`
		Hash    string `json:"hash"`
	} `json:"message_hashes"`
	Transactions struct {
		Address string `json:"address"`
		Cases   []struct {
			Message string `json:"message"`
			ToSpend string `json:"to_spend"`
			ToSign  string `json:"to_sign"`
		} `json:"cases"`
	} `json:"transactions"`
	PrivateKeyWIF string   `json:"private_key_wif"`
	Valid         []vector `json:"valid"`
	Invalid       []vector `json:"invalid"`
}

type vector struct {
	Name          string `json:"name"`
	ScriptType    string `json:"script_type"`
	Address       string `json:"address"`
	Message       string `json:"message"`
	Format        string `json:"format"`
	RFC6979       bool   `json:"rfc6979"`
	PrivateKeyHex string `json:"private_key_hex"`
	Signature     string `json:"signature"`
}

func loadVectors(t testing.TB) *vectorFile {
	t.Helper()
	b, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatal(err)
	}
	var v vectorFile
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", vectorsPath, err)
	}
	if len(v.Valid) == 0 || len(v.Invalid) == 0 || len(v.MessageHashes) == 0 {
		t.Fatalf("%s has no vectors", vectorsPath)
	}
	return &v
}

func mainnetScript(t testing.TB, address string) []byte {
	t.Helper()
	a, err := btcutil.DecodeAddress(address, &chaincfg.MainNetParams)
	if err != nil {
		t.Fatalf("address %s: %v", address, err)
	}
	s, err := txscript.PayToAddrScript(a)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMessageHashVectors(t *testing.T) {
	for _, c := range loadVectors(t).MessageHashes {
		h := MessageHash([]byte(c.Message))
		if got := hex.EncodeToString(h[:]); got != c.Hash {
			t.Errorf("MessageHash(%q) = %s, want %s", c.Message, got, c.Hash)
		}
	}
}

func TestTransactionVectors(t *testing.T) {
	v := loadVectors(t)
	script := mainnetScript(t, v.Transactions.Address)
	for _, c := range v.Transactions.Cases {
		toSpend := ToSpend([]byte(c.Message), script)
		if got := toSpend.TxHash().String(); got != c.ToSpend {
			t.Errorf("to_spend(%q) = %s, want %s", c.Message, got, c.ToSpend)
		}
		if got := ToSign(toSpend).TxHash().String(); got != c.ToSign {
			t.Errorf("to_sign(%q) = %s, want %s", c.Message, got, c.ToSign)
		}
	}
}

func TestVerifyVectors(t *testing.T) {
	v := loadVectors(t)
	for _, c := range v.Valid {
		t.Run(c.Name, func(t *testing.T) {
			got, err := Verify(mainnetScript(t, c.Address), []byte(c.Message), c.Signature)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got.Format.String() != c.Format {
				t.Errorf("format %v, want %s", got.Format, c.Format)
			}
		})
	}
	for _, c := range v.Invalid {
		t.Run(c.Name, func(t *testing.T) {
			_, err := Verify(mainnetScript(t, c.Address), []byte(c.Message), c.Signature)
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("Verify = %v, want an ErrInvalid or ErrMalformed error", err)
			}
		})
	}
}

// TestLegacySignVector signs Bitcoin Core's legacy vector: btcec's RFC 6979
// nonce must give Core's signature byte for byte.
func TestLegacySignVector(t *testing.T) {
	for _, c := range loadVectors(t).Valid {
		if c.Format != "legacy" {
			continue
		}
		k, err := hex.DecodeString(c.PrivateKeyHex)
		if err != nil {
			t.Fatal(err)
		}
		key, _ := btcec.PrivKeyFromBytes(k)
		got, err := SignLegacy(key, []byte(c.Message))
		if err != nil {
			t.Fatal(err)
		}
		if got != c.Signature {
			t.Errorf("SignLegacy(%q) = %s, want %s", c.Message, got, c.Signature)
		}
	}
}
