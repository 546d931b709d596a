package miniscript

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
)

// KeyFunc turns a key name, as written in the expression, into the public
// key the script holds: 33 bytes (compressed) in wsh, 32 bytes (x-only) in
// tapscript.
type KeyFunc func(name string) ([]byte, error)

// Script compiles the expression to Bitcoin script (BIP-379's table), with
// the VERIFY forms of CHECKSIG, CHECKMULTISIG, EQUAL and NUMEQUAL where v:
// follows them.
func (n *Node) Script(keys KeyFunc) ([]byte, error) {
	if keys == nil {
		return nil, fmt.Errorf("miniscript: no key function to compile %s with", n)
	}
	out, err := n.appendScript(make([]byte, 0, n.size), keys, false)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// pubKey resolves and checks one key.
func (n *Node) pubKey(keys KeyFunc, name string) ([]byte, error) {
	b, err := keys(name)
	if err != nil {
		return nil, fmt.Errorf("miniscript: key %q: %w", name, err)
	}
	switch n.ctx {
	case Tapscript:
		if len(b) != tapscriptKeyLen {
			return nil, fmt.Errorf("miniscript: key %q is %d bytes; a tapscript key is 32 bytes (x-only)", name, len(b))
		}
	default:
		if len(b) != wshKeyLen || (b[0] != 2 && b[0] != 3) {
			return nil, fmt.Errorf("miniscript: key %q is not a 33-byte compressed public key, which wsh requires", name)
		}
	}
	return b, nil
}

// verifyForm maps an opcode to its VERIFY variant.
func verifyForm(op byte, verify bool) []byte {
	if !verify {
		return []byte{op}
	}
	switch op {
	case txscript.OP_CHECKSIG:
		return []byte{txscript.OP_CHECKSIGVERIFY}
	case txscript.OP_CHECKMULTISIG:
		return []byte{txscript.OP_CHECKMULTISIGVERIFY}
	case txscript.OP_EQUAL:
		return []byte{txscript.OP_EQUALVERIFY}
	case txscript.OP_NUMEQUAL:
		return []byte{txscript.OP_NUMEQUALVERIFY}
	}
	return []byte{op, txscript.OP_VERIFY}
}

// appendScript appends n's script; verify says a VERIFY follows it, which
// n's last opcode absorbs when it has a VERIFY form (n lacks property x).
func (n *Node) appendScript(b []byte, keys KeyFunc, verify bool) ([]byte, error) {
	var err error
	sub := func(i int, v bool) {
		if err == nil {
			b, err = n.subs[i].appendScript(b, keys, v)
		}
	}
	op := func(ops ...byte) {
		b = append(b, ops...)
	}
	switch n.frag {
	case Just0:
		op(txscript.OP_0)
	case Just1:
		op(txscript.OP_1)
	case PkK:
		var k []byte
		if k, err = n.pubKey(keys, n.keys[0]); err == nil {
			b = pushData(b, k)
		}
	case PkH:
		var k []byte
		if k, err = n.pubKey(keys, n.keys[0]); err == nil {
			op(txscript.OP_DUP, txscript.OP_HASH160)
			b = pushData(b, btcutil.Hash160(k))
			op(txscript.OP_EQUALVERIFY)
		}
	case Older:
		b = pushNum(b, int64(n.k))
		op(txscript.OP_CHECKSEQUENCEVERIFY)
	case After:
		b = pushNum(b, int64(n.k))
		op(txscript.OP_CHECKLOCKTIMEVERIFY)
	case Sha256, Hash256, Ripemd160, Hash160:
		hashOp := map[Fragment]byte{Sha256: txscript.OP_SHA256, Hash256: txscript.OP_HASH256,
			Ripemd160: txscript.OP_RIPEMD160, Hash160: txscript.OP_HASH160}[n.frag]
		op(txscript.OP_SIZE)
		b = pushNum(b, 32)
		op(txscript.OP_EQUALVERIFY, hashOp)
		b = pushData(b, n.hash)
		op(verifyForm(txscript.OP_EQUAL, verify)...)
	case AndOr:
		sub(0, false)
		op(txscript.OP_NOTIF)
		sub(2, false)
		op(txscript.OP_ELSE)
		sub(1, false)
		op(txscript.OP_ENDIF)
	case AndV:
		sub(0, false)
		sub(1, verify)
	case AndB:
		sub(0, false)
		sub(1, false)
		op(txscript.OP_BOOLAND)
	case OrB:
		sub(0, false)
		sub(1, false)
		op(txscript.OP_BOOLOR)
	case OrC:
		sub(0, false)
		op(txscript.OP_NOTIF)
		sub(1, false)
		op(txscript.OP_ENDIF)
	case OrD:
		sub(0, false)
		op(txscript.OP_IFDUP, txscript.OP_NOTIF)
		sub(1, false)
		op(txscript.OP_ENDIF)
	case OrI:
		op(txscript.OP_IF)
		sub(0, false)
		op(txscript.OP_ELSE)
		sub(1, false)
		op(txscript.OP_ENDIF)
	case Thresh:
		for i := range n.subs {
			sub(i, false)
			if i > 0 {
				op(txscript.OP_ADD)
			}
		}
		b = pushNum(b, int64(n.k))
		op(verifyForm(txscript.OP_EQUAL, verify)...)
	case Multi:
		b = pushNum(b, int64(n.k))
		for _, name := range n.keys {
			var k []byte
			if k, err = n.pubKey(keys, name); err != nil {
				return nil, err
			}
			b = pushData(b, k)
		}
		b = pushNum(b, int64(len(n.keys)))
		op(verifyForm(txscript.OP_CHECKMULTISIG, verify)...)
	case MultiA, SortedMultiA:
		pubs := make([][]byte, len(n.keys))
		for i, name := range n.keys {
			if pubs[i], err = n.pubKey(keys, name); err != nil {
				return nil, err
			}
		}
		if n.frag == SortedMultiA {
			sort.Slice(pubs, func(i, j int) bool { return bytes.Compare(pubs[i], pubs[j]) < 0 })
		}
		for i, k := range pubs {
			b = pushData(b, k)
			if i == 0 {
				op(txscript.OP_CHECKSIG)
			} else {
				op(txscript.OP_CHECKSIGADD)
			}
		}
		b = pushNum(b, int64(n.k))
		op(verifyForm(txscript.OP_NUMEQUAL, verify)...)
	case WrapA:
		op(txscript.OP_TOALTSTACK)
		sub(0, false)
		op(txscript.OP_FROMALTSTACK)
	case WrapS:
		op(txscript.OP_SWAP)
		sub(0, verify)
	case WrapC:
		sub(0, false)
		op(verifyForm(txscript.OP_CHECKSIG, verify)...)
	case WrapD:
		op(txscript.OP_DUP, txscript.OP_IF)
		sub(0, false)
		op(txscript.OP_ENDIF)
	case WrapV:
		sub(0, true)
		if n.subs[0].typ.Has(PropX) {
			op(txscript.OP_VERIFY)
		}
	case WrapJ:
		op(txscript.OP_SIZE, txscript.OP_0NOTEQUAL, txscript.OP_IF)
		sub(0, false)
		op(txscript.OP_ENDIF)
	case WrapN:
		sub(0, false)
		op(txscript.OP_0NOTEQUAL)
	}
	return b, err
}

// pushData appends a minimal push of data up to 75 bytes (keys, hashes).
func pushData(b, data []byte) []byte {
	b = append(b, byte(len(data)))
	return append(b, data...)
}

// pushNum appends a minimal push of v (BIP-62's rules, which standardness
// enforces): OP_0, OP_1..OP_16, or the little-endian sign-magnitude bytes.
func pushNum(b []byte, v int64) []byte {
	switch {
	case v == 0:
		return append(b, txscript.OP_0)
	case v >= 1 && v <= 16:
		return append(b, txscript.OP_1+byte(v-1))
	}
	return pushData(b, scriptNum(v))
}

// scriptNum encodes v as script's little-endian sign-magnitude number.
func scriptNum(v int64) []byte {
	if v == 0 {
		return nil
	}
	neg := v < 0
	if neg {
		v = -v
	}
	var out []byte
	for v > 0 {
		out = append(out, byte(v&0xff))
		v >>= 8
	}
	if out[len(out)-1]&0x80 != 0 {
		if neg {
			out = append(out, 0x80)
		} else {
			out = append(out, 0)
		}
	} else if neg {
		out[len(out)-1] |= 0x80
	}
	return out
}
