package miniscript

import (
	"bytes"
	"encoding/hex"
	"fmt"

	"github.com/btcsuite/btcd/txscript"
)

// KeyNames names the keys found in a script being decoded.
type KeyNames interface {
	// KeyName names a public key (33 bytes in wsh, 32 in tapscript).
	KeyName(pub []byte) (string, bool)
	// KeyByHash names the key whose HASH160 is h, and returns it (pk_h
	// holds only the hash).
	KeyByHash(h []byte) (name string, pub []byte, ok bool)
}

// token is one script element; the VERIFY forms of CHECKSIG, EQUAL,
// CHECKMULTISIG and NUMEQUAL are split into the opcode and OP_VERIFY, so
// that v: reads the same whichever way its script was written.
type token struct {
	op   byte
	data []byte
	push bool
}

// Decode reads a script back into miniscript. It accepts exactly the
// scripts the compiler writes: the decoded expression must compile back to
// the very same bytes, so non-minimal pushes or a CHECKSIG VERIFY where
// CHECKSIGVERIFY belongs are refused. Where two expressions compile to
// the same script (and_v is associative with some fragments), Decode picks
// one, as Bitcoin Core does.
func Decode(script []byte, ctx Context, names KeyNames) (*Node, error) {
	limit := maxTapscriptSize
	if ctx == Wsh {
		limit = maxWshScriptSize
	}
	if len(script) == 0 || len(script) > limit {
		return nil, &Error{Pos: -1, Msg: fmt.Sprintf("a %s script of %d bytes cannot be miniscript (1 to %d bytes)", ctx, len(script), limit)}
	}
	var toks []token
	tz := txscript.MakeScriptTokenizer(0, script)
	for tz.Next() {
		op, data := tz.Opcode(), tz.Data()
		split := map[byte]byte{txscript.OP_CHECKSIGVERIFY: txscript.OP_CHECKSIG, txscript.OP_EQUALVERIFY: txscript.OP_EQUAL,
			txscript.OP_CHECKMULTISIGVERIFY: txscript.OP_CHECKMULTISIG, txscript.OP_NUMEQUALVERIFY: txscript.OP_NUMEQUAL}
		switch {
		case split[op] != 0:
			toks = append(toks, token{op: split[op]}, token{op: txscript.OP_VERIFY})
		case op <= txscript.OP_PUSHDATA4 && op != txscript.OP_0:
			toks = append(toks, token{op: op, data: data, push: true})
		default:
			toks = append(toks, token{op: op})
		}
	}
	if err := tz.Err(); err != nil {
		return nil, &Error{Pos: -1, Msg: "the script does not parse: " + err.Error()}
	}
	d := &decoder{toks: toks, ctx: ctx, names: names, pubs: map[string][]byte{}}
	n, start, err := d.bkv(len(toks), 0)
	if err != nil {
		return nil, err
	}
	if start != 0 {
		return nil, d.fail(start, "script continues before the expression ends")
	}
	if !n.typ.Has(TypeB) {
		return nil, &Error{Pos: -1, Msg: fmt.Sprintf("the script decodes to %s, of type %s, not B", n, n.typ.basic())}
	}
	again, err := n.Script(func(name string) ([]byte, error) { return d.pubs[name], nil })
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(again, script) {
		return nil, &Error{Pos: -1, Msg: fmt.Sprintf("the script is not in miniscript's canonical form (it reads as %s, which compiles to other bytes)", n)}
	}
	return n, nil
}

type decoder struct {
	toks  []token
	ctx   Context
	names KeyNames
	pubs  map[string][]byte
}

func (d *decoder) fail(at int, format string, args ...any) error {
	return &Error{Pos: -1, Msg: fmt.Sprintf("script element %d: ", at) + fmt.Sprintf(format, args...)}
}

func (d *decoder) is(i int, op byte) bool {
	return i >= 0 && i < len(d.toks) && !d.toks[i].push && d.toks[i].op == op
}

// num reads a small number pushed at i.
func (d *decoder) num(i int) (uint32, bool) {
	if i < 0 {
		return 0, false
	}
	t := d.toks[i]
	switch {
	case !t.push && t.op >= txscript.OP_1 && t.op <= txscript.OP_16:
		return uint32(t.op-txscript.OP_1) + 1, true
	case t.push && len(t.data) >= 1 && len(t.data) <= 5:
		var v int64
		for j := len(t.data) - 1; j >= 0; j-- {
			v = v<<8 | int64(t.data[j])
		}
		if t.data[len(t.data)-1]&0x80 != 0 || v > 1<<32-1 {
			return 0, false
		}
		return uint32(v), true
	}
	return 0, false
}

func (d *decoder) key(i int) (string, bool) {
	if i < 0 || !d.toks[i].push {
		return "", false
	}
	pub := d.toks[i].data
	want := wshKeyLen
	if d.ctx == Tapscript {
		want = tapscriptKeyLen
	}
	if len(pub) != want {
		return "", false
	}
	name, ok := "", false
	if d.names != nil {
		name, ok = d.names.KeyName(pub)
	}
	if !ok {
		name = hex.EncodeToString(pub)
	}
	d.pubs[name] = pub
	return name, true
}

func (d *decoder) node(f Fragment, k uint32, keys []string, hash []byte, subs ...*Node) (*Node, error) {
	n, err := newNode(d.ctx, f, k, keys, hash, subs, -1)
	if err != nil {
		return nil, err
	}
	return n, nil
}

// bkv decodes the expression ending before end, which may be a chain of
// and_v; it returns the node and the index of its first element.
func (d *decoder) bkv(end, depth int) (*Node, int, error) {
	y, start, err := d.single(end, depth)
	if err != nil {
		return nil, 0, err
	}
	if start == 0 || d.is(start-1, txscript.OP_IF) || d.is(start-1, txscript.OP_ELSE) || d.is(start-1, txscript.OP_NOTIF) ||
		d.is(start-1, txscript.OP_TOALTSTACK) || d.is(start-1, txscript.OP_SWAP) {
		return y, start, nil
	}
	x, start, err := d.bkv(start, depth+1)
	if err != nil {
		return nil, 0, err
	}
	n, err := d.node(AndV, 0, nil, nil, x, y)
	return n, start, err
}

// w decodes a W expression (a: or s:) ending before end.
func (d *decoder) w(end, depth int) (*Node, int, error) {
	if d.is(end-1, txscript.OP_FROMALTSTACK) {
		x, start, err := d.bkv(end-1, depth+1)
		if err != nil {
			return nil, 0, err
		}
		if !d.is(start-1, txscript.OP_TOALTSTACK) {
			return nil, 0, d.fail(start, "FROMALTSTACK without its TOALTSTACK")
		}
		n, err := d.node(WrapA, 0, nil, nil, x)
		return n, start - 1, err
	}
	x, start, err := d.bkv(end, depth+1)
	if err != nil {
		return nil, 0, err
	}
	if !d.is(start-1, txscript.OP_SWAP) {
		return nil, 0, d.fail(start, "expected a wrapped (a: or s:) expression")
	}
	n, err := d.node(WrapS, 0, nil, nil, x)
	return n, start - 1, err
}

// hashPattern matches SIZE <32> EQUAL VERIFY <hashop> <h> EQUAL ending
// before end, returning the fragment.
func (d *decoder) hashPattern(end int) (Fragment, bool) {
	if end < 7 || !d.toks[end-2].push || !d.is(end-1, txscript.OP_EQUAL) {
		return 0, false
	}
	n32, ok := d.num(end - 6)
	if !ok || n32 != 32 || !d.is(end-7, txscript.OP_SIZE) || !d.is(end-5, txscript.OP_EQUAL) || !d.is(end-4, txscript.OP_VERIFY) {
		return 0, false
	}
	for f, op := range map[Fragment]byte{Sha256: txscript.OP_SHA256, Hash256: txscript.OP_HASH256, Ripemd160: txscript.OP_RIPEMD160, Hash160: txscript.OP_HASH160} {
		if d.is(end-3, op) && len(d.toks[end-2].data) == f.hashLen() {
			return f, true
		}
	}
	return 0, false
}

// single decodes one fragment (not an and_v chain) ending before end.
func (d *decoder) single(end, depth int) (*Node, int, error) {
	if depth > MaxDepth {
		return nil, 0, d.fail(end, "nested more than %d levels deep", MaxDepth)
	}
	if end <= 0 {
		return nil, 0, d.fail(0, "expected an expression, but the script starts here")
	}
	last := end - 1
	t := d.toks[last]
	if t.push {
		name, ok := d.key(last)
		if !ok {
			return nil, 0, d.fail(last, "a push of %d bytes where a key or fragment should end", len(t.data))
		}
		n, err := d.node(PkK, 0, []string{name}, nil)
		return n, last, err
	}
	wrap := func(f Fragment, skip int) (*Node, int, error) {
		x, start, err := d.single(end-skip, depth+1)
		if err != nil {
			return nil, 0, err
		}
		n, err := d.node(f, 0, nil, nil, x)
		return n, start, err
	}
	switch t.op {
	case txscript.OP_0:
		n, err := d.node(Just0, 0, nil, nil)
		return n, last, err
	case txscript.OP_1:
		n, err := d.node(Just1, 0, nil, nil)
		return n, last, err
	case txscript.OP_CHECKSEQUENCEVERIFY, txscript.OP_CHECKLOCKTIMEVERIFY:
		v, ok := d.num(last - 1)
		if !ok {
			return nil, 0, d.fail(last, "a lock without its value")
		}
		f := Older
		if t.op == txscript.OP_CHECKLOCKTIMEVERIFY {
			f = After
		}
		n, err := d.node(f, v, nil, nil)
		return n, last - 1, err
	case txscript.OP_VERIFY:
		// pk_h: DUP HASH160 <20 bytes> EQUAL VERIFY
		if end >= 5 && d.is(end-5, txscript.OP_DUP) && d.is(end-4, txscript.OP_HASH160) && d.toks[end-3].push &&
			len(d.toks[end-3].data) == 20 && d.is(end-2, txscript.OP_EQUAL) {
			if d.names == nil {
				return nil, 0, d.fail(end-3, "pk_h holds a key hash, and no key names were given to resolve it")
			}
			name, pub, ok := d.names.KeyByHash(d.toks[end-3].data)
			if !ok {
				return nil, 0, d.fail(end-3, "pk_h of unknown key hash %x", d.toks[end-3].data)
			}
			d.pubs[name] = pub
			n, err := d.node(PkH, 0, []string{name}, nil)
			return n, end - 5, err
		}
		return wrap(WrapV, 1)
	case txscript.OP_CHECKSIG:
		return wrap(WrapC, 1)
	case txscript.OP_0NOTEQUAL:
		return wrap(WrapN, 1)
	case txscript.OP_EQUAL:
		if f, ok := d.hashPattern(end); ok {
			n, err := d.node(f, 0, nil, append([]byte(nil), d.toks[end-2].data...))
			return n, end - 7, err
		}
		return d.thresh(end, depth)
	case txscript.OP_CHECKMULTISIG:
		return d.multi(end)
	case txscript.OP_NUMEQUAL:
		return d.multiA(end)
	case txscript.OP_BOOLAND, txscript.OP_BOOLOR:
		y, ys, err := d.w(last, depth+1)
		if err != nil {
			return nil, 0, err
		}
		x, xs, err := d.single(ys, depth+1)
		if err != nil {
			return nil, 0, err
		}
		f := AndB
		if t.op == txscript.OP_BOOLOR {
			f = OrB
		}
		n, err := d.node(f, 0, nil, nil, x, y)
		return n, xs, err
	case txscript.OP_ENDIF:
		return d.endif(end, depth)
	}
	return nil, 0, d.fail(last, "opcode 0x%02x does not end any miniscript fragment", t.op)
}

// thresh decodes [X1] [X2] ADD ... [Xn] ADD <k> EQUAL ending before end.
func (d *decoder) thresh(end, depth int) (*Node, int, error) {
	k, ok := d.num(end - 2)
	if !ok {
		return nil, 0, d.fail(end-1, "EQUAL that ends neither a hash check nor a thresh")
	}
	pos := end - 2
	var rev []*Node
	for d.is(pos-1, txscript.OP_ADD) {
		x, start, err := d.w(pos-1, depth+1)
		if err != nil {
			return nil, 0, err
		}
		rev = append(rev, x)
		pos = start
	}
	first, start, err := d.single(pos, depth+1)
	if err != nil {
		return nil, 0, err
	}
	subs := []*Node{first}
	for i := len(rev) - 1; i >= 0; i-- {
		subs = append(subs, rev[i])
	}
	n, err := d.node(Thresh, k, nil, nil, subs...)
	return n, start, err
}

// multi decodes <k> <key>... <n> CHECKMULTISIG ending before end.
func (d *decoder) multi(end int) (*Node, int, error) {
	nkeys, ok := d.num(end - 2)
	if !ok || int(nkeys) > maxMultiKeys || end-3-int(nkeys) < 0 {
		return nil, 0, d.fail(end-1, "CHECKMULTISIG without a valid key count")
	}
	keys := make([]string, nkeys)
	for i := range keys {
		name, ok := d.key(end - 2 - int(nkeys) + i)
		if !ok {
			return nil, 0, d.fail(end-2-int(nkeys)+i, "CHECKMULTISIG's key %d is not a key", i+1)
		}
		keys[i] = name
	}
	start := end - 3 - int(nkeys)
	k, ok := d.num(start)
	if !ok {
		return nil, 0, d.fail(start, "CHECKMULTISIG without its threshold")
	}
	n, err := d.node(Multi, k, keys, nil)
	return n, start, err
}

// multiA decodes <key> CHECKSIG <key> CHECKSIGADD ... <k> NUMEQUAL.
func (d *decoder) multiA(end int) (*Node, int, error) {
	k, ok := d.num(end - 2)
	if !ok {
		return nil, 0, d.fail(end-1, "NUMEQUAL without its threshold")
	}
	pos := end - 2
	var rev []string
	for d.is(pos-1, txscript.OP_CHECKSIGADD) {
		name, ok := d.key(pos - 2)
		if !ok {
			return nil, 0, d.fail(pos-2, "CHECKSIGADD without its key")
		}
		rev = append(rev, name)
		pos -= 2
		if len(rev) > MaxKeys {
			return nil, 0, d.fail(pos, "more than %d keys", MaxKeys)
		}
	}
	if !d.is(pos-1, txscript.OP_CHECKSIG) {
		return nil, 0, d.fail(pos, "multi_a must start with <key> CHECKSIG")
	}
	name, ok := d.key(pos - 2)
	if !ok {
		return nil, 0, d.fail(pos-2, "multi_a's first CHECKSIG without its key")
	}
	keys := []string{name}
	for i := len(rev) - 1; i >= 0; i-- {
		keys = append(keys, rev[i])
	}
	n, err := d.node(MultiA, k, keys, nil)
	return n, pos - 2, err
}

// endif decodes the fragments ending in ENDIF: or_i, andor, or_c, or_d,
// d: and j:.
func (d *decoder) endif(end, depth int) (*Node, int, error) {
	inner, s, err := d.bkv(end-1, depth+1)
	if err != nil {
		return nil, 0, err
	}
	switch {
	case d.is(s-1, txscript.OP_ELSE):
		other, s2, err := d.bkv(s-1, depth+1)
		if err != nil {
			return nil, 0, err
		}
		switch {
		case d.is(s2-1, txscript.OP_IF):
			n, err := d.node(OrI, 0, nil, nil, other, inner)
			return n, s2 - 1, err
		case d.is(s2-1, txscript.OP_NOTIF):
			x, xs, err := d.single(s2-1, depth+1)
			if err != nil {
				return nil, 0, err
			}
			n, err := d.node(AndOr, 0, nil, nil, x, inner, other)
			return n, xs, err
		}
		return nil, 0, d.fail(s2, "ELSE without IF or NOTIF")
	case d.is(s-1, txscript.OP_NOTIF):
		f, xend := OrC, s-1
		if d.is(s-2, txscript.OP_IFDUP) {
			f, xend = OrD, s-2
		}
		x, xs, err := d.single(xend, depth+1)
		if err != nil {
			return nil, 0, err
		}
		n, err := d.node(f, 0, nil, nil, x, inner)
		return n, xs, err
	case d.is(s-1, txscript.OP_IF) && d.is(s-2, txscript.OP_DUP):
		n, err := d.node(WrapD, 0, nil, nil, inner)
		return n, s - 2, err
	case d.is(s-1, txscript.OP_IF) && d.is(s-2, txscript.OP_0NOTEQUAL) && d.is(s-3, txscript.OP_SIZE):
		n, err := d.node(WrapJ, 0, nil, nil, inner)
		return n, s - 3, err
	}
	return nil, 0, d.fail(s, "ENDIF without a matching IF or NOTIF")
}
