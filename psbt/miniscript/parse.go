package miniscript

import (
	"encoding/hex"
	"strconv"
	"strings"
)

// Parse reads a miniscript expression for ctx and type-checks it. The whole
// expression must be of type B, as a script's top level must be. Parse
// accepts what BIP-379 calls valid; Sane says whether it is safe to use.
func Parse(s string, ctx Context) (*Node, error) {
	if len(s) > MaxInputLen {
		return nil, errorAt(0, "the expression is %d bytes; at most %d are accepted", len(s), MaxInputLen)
	}
	if ctx != Wsh && ctx != Tapscript {
		return nil, errorAt(0, "unknown script context %d", ctx)
	}
	p := &parser{s: s, ctx: ctx}
	n, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if p.pos != len(s) {
		return nil, errorAt(p.pos, "unexpected %q after the expression", p.rest(12))
	}
	if !n.typ.Has(TypeB) {
		return nil, errorAt(0, "the whole expression must be type B, but is %s (a script must leave its result on the stack)", n.typ.basic())
	}
	return n, nil
}

type parser struct {
	s     string
	pos   int
	ctx   Context
	nkeys int
}

func (p *parser) rest(max int) string {
	r := p.s[p.pos:]
	if len(r) > max {
		r = r[:max] + "..."
	}
	return r
}

func (p *parser) peek() byte {
	if p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

func (p *parser) expect(c byte) error {
	if p.peek() != c {
		if p.pos >= len(p.s) {
			return errorAt(p.pos, "expected %q, but the expression ends", c)
		}
		return errorAt(p.pos, "expected %q, found %q", c, p.rest(12))
	}
	p.pos++
	return nil
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
}

const wrapperSet = "asctdvjnlu"

// expr parses [wrappers:]fragment.
func (p *parser) expr(depth int) (*Node, error) {
	if depth > MaxDepth {
		return nil, errorAt(p.pos, "nested more than %d levels deep", MaxDepth)
	}
	start := p.pos
	for p.pos < len(p.s) && isNameByte(p.s[p.pos]) {
		p.pos++
	}
	name := p.s[start:p.pos]
	if name == "" {
		if p.pos >= len(p.s) {
			return nil, errorAt(p.pos, "expected a fragment, but the expression ends")
		}
		return nil, errorAt(p.pos, "expected a fragment, found %q", p.rest(12))
	}
	if p.peek() == ':' {
		for i := range len(name) {
			if !strings.ContainsRune(wrapperSet, rune(name[i])) {
				return nil, errorAt(start+i, "unknown wrapper %q in %q (wrappers are a s c t d v j n l u)", name[i], name+":")
			}
		}
		p.pos++
		inner, err := p.expr(depth + len(name))
		if err != nil {
			return nil, err
		}
		for i := len(name) - 1; i >= 0; i-- {
			if inner, err = p.wrap(name[i], inner, start+i); err != nil {
				return nil, err
			}
		}
		return inner, nil
	}
	switch name {
	case "0":
		return newNode(p.ctx, Just0, 0, nil, nil, nil, start)
	case "1":
		return newNode(p.ctx, Just1, 0, nil, nil, nil, start)
	}
	if p.peek() != '(' {
		return nil, errorAt(start, "unknown fragment %q (expected a name followed by '(' or wrappers followed by ':')", name)
	}
	p.pos++
	n, err := p.fragment(name, start, depth)
	if err != nil {
		return nil, err
	}
	if err := p.expect(')'); err != nil {
		return nil, err
	}
	return n, nil
}

// wrap applies one wrapper letter, the sugar ones as what they stand for.
func (p *parser) wrap(letter byte, x *Node, pos int) (*Node, error) {
	node := func(f Fragment, subs ...*Node) (*Node, error) {
		return newNode(p.ctx, f, 0, nil, nil, subs, pos)
	}
	switch letter {
	case 't':
		one, _ := node(Just1)
		return node(AndV, x, one)
	case 'l':
		zero, _ := node(Just0)
		return node(OrI, zero, x)
	case 'u':
		zero, _ := node(Just0)
		return node(OrI, x, zero)
	}
	f := map[byte]Fragment{'a': WrapA, 's': WrapS, 'c': WrapC, 'd': WrapD, 'v': WrapV, 'j': WrapJ, 'n': WrapN}[letter]
	return node(f, x)
}

var hashFragments = map[string]Fragment{"sha256": Sha256, "hash256": Hash256, "ripemd160": Ripemd160, "hash160": Hash160}

var combinators = map[string]struct {
	frag  Fragment
	arity int
}{
	"andor": {AndOr, 3}, "and_n": {AndOr, 2}, "and_v": {AndV, 2}, "and_b": {AndB, 2},
	"or_b": {OrB, 2}, "or_c": {OrC, 2}, "or_d": {OrD, 2}, "or_i": {OrI, 2},
}

// fragment parses the arguments of name( ... up to, not including, ')'.
func (p *parser) fragment(name string, start, depth int) (*Node, error) {
	switch name {
	case "pk_k", "pk_h", "pk", "pkh":
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		frag := PkK
		if name == "pk_h" || name == "pkh" {
			frag = PkH
		}
		n, err := newNode(p.ctx, frag, 0, []string{key}, nil, nil, start)
		if err != nil || name == "pk_k" || name == "pk_h" {
			return n, err
		}
		return newNode(p.ctx, WrapC, 0, nil, nil, []*Node{n}, start)
	case "older", "after":
		v, err := p.number(name)
		if err != nil {
			return nil, err
		}
		frag := Older
		if name == "after" {
			frag = After
		}
		return newNode(p.ctx, frag, v, nil, nil, nil, start)
	case "multi", "multi_a", "sortedmulti_a":
		frag := map[string]Fragment{"multi": Multi, "multi_a": MultiA, "sortedmulti_a": SortedMultiA}[name]
		if frag == SortedMultiA && depth > 0 {
			return nil, errorAt(start, "sortedmulti_a is a whole tapscript leaf and cannot be part of a miniscript; use multi_a")
		}
		k, err := p.number(name)
		if err != nil {
			return nil, err
		}
		var keys []string
		for p.peek() == ',' {
			p.pos++
			key, err := p.key()
			if err != nil {
				return nil, err
			}
			keys = append(keys, key)
		}
		return newNode(p.ctx, frag, k, keys, nil, nil, start)
	case "thresh":
		k, err := p.number(name)
		if err != nil {
			return nil, err
		}
		var subs []*Node
		for p.peek() == ',' {
			p.pos++
			sub, err := p.expr(depth + 1)
			if err != nil {
				return nil, err
			}
			subs = append(subs, sub)
		}
		return newNode(p.ctx, Thresh, k, nil, nil, subs, start)
	}
	if frag, ok := hashFragments[name]; ok {
		hpos := p.pos
		for p.pos < len(p.s) && p.s[p.pos] != ')' && p.pos-hpos <= 2*32 {
			p.pos++
		}
		h, err := hex.DecodeString(p.s[hpos:p.pos])
		if err != nil || len(h) != frag.hashLen() {
			return nil, errorAt(hpos, "%s takes a %d-byte hash as %d hex digits, found %q", name, frag.hashLen(), 2*frag.hashLen(), p.s[hpos:p.pos])
		}
		return newNode(p.ctx, frag, 0, nil, h, nil, start)
	}
	c, ok := combinators[name]
	if !ok {
		return nil, errorAt(start, "unknown fragment %q", name)
	}
	subs := make([]*Node, 0, 3)
	for i := range c.arity {
		if i > 0 {
			if err := p.expect(','); err != nil {
				return nil, errorAt(p.pos, "%s takes %d arguments: %v", name, c.arity, err.(*Error).Msg)
			}
		}
		sub, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		subs = append(subs, sub)
	}
	if name == "and_n" {
		zero, _ := newNode(p.ctx, Just0, 0, nil, nil, nil, start)
		subs = append(subs, zero)
	}
	return newNode(p.ctx, c.frag, 0, nil, nil, subs, start)
}

// key reads a key name: any printable text up to ',' or ')'.
func (p *parser) key() (string, error) {
	start := p.pos
	for p.pos < len(p.s) && p.s[p.pos] != ',' && p.s[p.pos] != ')' {
		c := p.s[p.pos]
		if c <= ' ' || c > '~' || c == '(' {
			return "", errorAt(p.pos, "a key cannot contain %q", c)
		}
		p.pos++
		if p.pos-start > MaxKeyLen {
			return "", errorAt(start, "a key is longer than %d characters", MaxKeyLen)
		}
	}
	if p.pos == start {
		return "", errorAt(start, "expected a key")
	}
	p.nkeys++
	if p.nkeys > MaxKeys {
		return "", errorAt(start, "more than %d keys", MaxKeys)
	}
	return p.s[start:p.pos], nil
}

// number reads a decimal number below 2^32, without sign or leading zeros,
// so that every number has one spelling.
func (p *parser) number(name string) (uint32, error) {
	start := p.pos
	for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' && p.pos-start <= 10 {
		p.pos++
	}
	text := p.s[start:p.pos]
	v, err := strconv.ParseUint(text, 10, 32)
	if err != nil || (len(text) > 1 && text[0] == '0') {
		return 0, errorAt(start, "%s takes a decimal number below 2^32 without sign or leading zeros, found %q", name, p.rest(12))
	}
	return uint32(v), nil
}
