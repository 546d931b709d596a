package interop

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/btcsuite/btcd/btcutil"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// coinValue is what each case's coins hold; spendFee what its spend pays.
const (
	coinValue btcutil.Amount = 100_000
	spendFee  btcutil.Amount = 1_000
)

// theirPSBT says how a foreign tool makes the PSBT the kiosk signs.
type theirPSBT struct {
	tool    string // the node tool that creates it
	script  string // the kiosk wallet it spends: "wpkh" or "tr"
	sighash int    // PSBT_IN_SIGHASH_TYPE to request; 0 for none
	version int    // the PSBT version it writes
}

func (s *suite) kioskCases() {
	for _, script := range []string{"wpkh", "tr"} {
		for _, tool := range []string{"bitcoinjs", "scure", "bitcoinerlab"} {
			s.run("psbt-to-kiosk/"+script, tool, func() error {
				return s.theirPSBTToKiosk(theirPSBT{tool: tool, script: script}, nil)
			})
		}
	}
	s.run("psbt-to-kiosk/tr-sighash-all", "bitcoinjs", func() error {
		return s.theirPSBTToKiosk(theirPSBT{tool: "bitcoinjs", script: "tr", sighash: int(txscript.SigHashAll)}, func(signed []byte) error {
			p, err := btcpsbt.NewFromRawBytes(bytes.NewReader(signed), false)
			if err != nil {
				return err
			}
			for i, in := range p.Inputs {
				if sig := in.TaprootKeySpendSig; len(sig) != 65 || sig[64] != byte(txscript.SigHashAll) {
					return fmt.Errorf("input %d asks for SIGHASH_ALL; the kiosk's signature is %d bytes (want 65, ending 01)", i, len(sig))
				}
			}
			return nil
		})
	})
	s.run("psbt-v2-answer/wpkh", "caravan", func() error {
		return s.theirPSBTToKiosk(theirPSBT{tool: "caravan-v2", script: "wpkh", version: 2}, func(signed []byte) error {
			var v int
			if err := s.js.call("psbtVersion", map[string]any{"psbt": base64.StdEncoding.EncodeToString(signed)}, &v); err != nil {
				return err
			}
			if v != 2 {
				return fmt.Errorf("a PSBT v2 in gave a PSBT v%d out", v)
			}
			return nil
		})
	})
	s.run("psbt-to-kiosk/wpkh", "electrum", s.electrumPSBTToKiosk)
}

// theirPSBTToKiosk funds two coins of a kiosk wallet, has the tool build
// the spend, the kiosk sign it (check looks at the signed PSBT), and the
// same tool finalize it; the transaction must verify and reach the mempool.
func (s *suite) theirPSBTToKiosk(c theirPSBT, check func(signed []byte) error) error {
	kw := s.w.wallets[c.script]
	coins := s.w.fund(s.t, kw.desc, coinValue, [2]uint32{0, 0}, [2]uint32{0, 3})
	var coinArgs []map[string]any
	for _, cn := range coins {
		var raw bytes.Buffer
		if err := cn.tx.Serialize(&raw); err != nil {
			return err
		}
		coinArgs = append(coinArgs, map[string]any{"txHex": hex.EncodeToString(raw.Bytes()), "vout": cn.vout,
			"branch": cn.branch, "index": cn.index, "value": cn.tx.TxOut[cn.vout].Value})
	}
	args := map[string]any{"tool": c.tool, "account": account(kw.desc), "descriptor": kw.desc.String(), "coins": coinArgs,
		"to": s.w.node.MiningAddress().String(), "amount": int64(coinValue)*int64(len(coins)) - int64(spendFee)}
	if c.sighash != 0 {
		args["sighash"] = c.sighash
	}
	if c.version != 0 {
		args["version"] = c.version
	}
	var unsigned string
	if err := s.js.call("createPSBT", args, &unsigned); err != nil {
		return fmt.Errorf("%s could not build the PSBT: %v", c.tool, err)
	}
	signed, err := s.w.kioskSign("", []byte(unsigned), kw.shares)
	if err != nil {
		return err
	}
	if check != nil {
		if err := check(signed); err != nil {
			return err
		}
	}
	var txHex string
	if err := s.js.call("finalize", map[string]any{"tool": c.tool, "psbt": base64.StdEncoding.EncodeToString(signed)}, &txHex); err != nil {
		return fmt.Errorf("%s could not finalize the kiosk's PSBT: %v", c.tool, err)
	}
	tx, err := parseTx(txHex)
	if err != nil {
		return err
	}
	return s.w.checkFinal(tx, coins)
}

// electrumPSBTToKiosk: an Electrum user restores the wallet from the
// watch-only export's vpub, sees the deposits (added offline), makes an
// unsigned PSBT with payto, and Electrum takes the kiosk's signed PSBT back
// and finalizes it.
func (s *suite) electrumPSBTToKiosk() error {
	kw := s.w.wallets["wpkh"]
	coins := s.w.fund(s.t, kw.desc, coinValue, [2]uint32{0, 1}, [2]uint32{0, 2})
	wallet := filepath.Join(s.el.dir, "kiosk-wpkh")
	if _, err := s.el.run("restore", kw.slip132, "-w", wallet); err != nil {
		return err
	}
	for _, c := range coins {
		if _, err := s.el.run("-w", wallet, "addtransaction", txHex(c.tx)); err != nil {
			return err
		}
	}
	amount := btcutil.Amount(int64(coinValue)*int64(len(coins)) - int64(spendFee))
	unsigned, err := s.el.run("-w", wallet, "payto", s.w.node.MiningAddress().String(), btcAmount(amount),
		"--fee", btcAmount(spendFee), "--unsigned")
	if err != nil {
		return err
	}
	signed, err := s.w.kioskSign("", []byte(unsigned), kw.shares)
	if err != nil {
		return err
	}
	// Electrum 4.3's signtransaction on a watch-only wallet gives the PSBT
	// back, with the kiosk's signatures it checked, unless it can finalize
	// it; its GUI then broadcasts. Here btcd's finalizer stands in for that
	// last step, on what Electrum wrote.
	final, err := s.el.run("-w", wallet, "signtransaction", base64.StdEncoding.EncodeToString(signed))
	if err != nil {
		return fmt.Errorf("electrum refused the kiosk's PSBT: %v", err)
	}
	tx, err := parseTx(final)
	if err != nil {
		if tx, err = finalizeWithBtcd(final); err != nil {
			return fmt.Errorf("electrum's answer to the kiosk's PSBT: %v", err)
		}
	}
	return s.w.checkFinal(tx, coins)
}

// finalizeWithBtcd finalizes and extracts a base64 PSBT with btcd's own
// PSBT package (not airsign's).
func finalizeWithBtcd(b64 string) (*wire.MsgTx, error) {
	p, err := btcpsbt.NewFromRawBytes(strings.NewReader(strings.TrimSpace(b64)), true)
	if err != nil {
		return nil, err
	}
	if err := btcpsbt.MaybeFinalizeAll(p); err != nil {
		return nil, fmt.Errorf("btcd cannot finalize it: %v", err)
	}
	return btcpsbt.Extract(p)
}

// btcAmount is an amount as Electrum's command line takes it, in BTC.
func btcAmount(a btcutil.Amount) string {
	return strings.TrimSuffix(a.Format(btcutil.AmountBTC), " BTC")
}

func txHex(tx *wire.MsgTx) string {
	var b bytes.Buffer
	tx.Serialize(&b)
	return hex.EncodeToString(b.Bytes())
}

// parseTx reads a network transaction in hex.
func parseTx(s string) (*wire.MsgTx, error) {
	raw, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("not a transaction in hex (%.60s…): %v", s, err)
	}
	tx := wire.NewMsgTx(2)
	if err := tx.Deserialize(bytes.NewReader(raw)); err != nil {
		return nil, fmt.Errorf("not a transaction: %v", err)
	}
	return tx, nil
}
