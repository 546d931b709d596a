package miniscript

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// Context is the kind of script a miniscript compiles to: the rules for
// keys, multisig and resource limits differ between them.
type Context int

const (
	// Wsh is a P2WSH witness script (segwit version 0): 33-byte keys,
	// CHECKMULTISIG, at most 3600 bytes and 201 opcodes.
	Wsh Context = iota
	// Tapscript is a taproot script-path leaf (BIP-342): 32-byte x-only keys,
	// CHECKSIGADD instead of CHECKMULTISIG, no opcode limit.
	Tapscript
)

// String names the context as descriptors do (wsh, tapscript).
func (c Context) String() string {
	if c == Tapscript {
		return "tapscript"
	}
	return "wsh"
}

// Fragment is a miniscript fragment or wrapper (BIP-379's table).
type Fragment int

// The fragments. Syntactic sugar (pk, pkh, and_n, t:, l:, u:) is parsed into
// the fragments it stands for and printed back in its short form.
const (
	Just0 Fragment = iota
	Just1
	PkK
	PkH
	Older
	After
	Sha256
	Hash256
	Ripemd160
	Hash160
	AndOr
	AndV
	AndB
	OrB
	OrC
	OrD
	OrI
	Thresh
	Multi
	MultiA
	// SortedMultiA is multi_a with its keys sorted by their bytes when
	// compiled; a descriptor-level form, accepted only as a whole leaf.
	SortedMultiA
	WrapA
	WrapS
	WrapC
	WrapD
	WrapV
	WrapJ
	WrapN
)

var fragmentNames = [...]string{
	Just0: "0", Just1: "1", PkK: "pk_k", PkH: "pk_h", Older: "older", After: "after",
	Sha256: "sha256", Hash256: "hash256", Ripemd160: "ripemd160", Hash160: "hash160",
	AndOr: "andor", AndV: "and_v", AndB: "and_b", OrB: "or_b", OrC: "or_c", OrD: "or_d",
	OrI: "or_i", Thresh: "thresh", Multi: "multi", MultiA: "multi_a", SortedMultiA: "sortedmulti_a",
	WrapA: "a:", WrapS: "s:", WrapC: "c:", WrapD: "d:", WrapV: "v:", WrapJ: "j:", WrapN: "n:",
}

// String is the fragment's name as written (pk_k, and_v, a:, ...).
func (f Fragment) String() string {
	if f >= 0 && int(f) < len(fragmentNames) {
		return fragmentNames[f]
	}
	return "fragment(" + strconv.Itoa(int(f)) + ")"
}

func (f Fragment) isWrapper() bool { return f >= WrapA && f <= WrapN }

func (f Fragment) isHash() bool { return f >= Sha256 && f <= Hash160 }

func (f Fragment) isMulti() bool { return f == Multi || f == MultiA || f == SortedMultiA }

// hashLen is the length of a hash fragment's digest.
func (f Fragment) hashLen() int {
	if f == Ripemd160 || f == Hash160 {
		return 20
	}
	return 32
}

// Node is a type-checked miniscript expression. Nodes are built only by
// Parse and Decode, which check every rule on the way; they are never
// changed afterwards.
type Node struct {
	frag Fragment
	k    uint32   // threshold (thresh, multi*), or lock value (older, after)
	keys []string // pk_k, pk_h, multi*
	hash []byte   // hash fragments
	subs []*Node
	pos  int // byte offset in the parsed text, for errors (-1 when decoded)
	ctx  Context

	typ   Type
	ops   opsCount
	stack satSizes
	wit   satSizes
	size  int // script length in bytes
}

// Fragment is the node's fragment.
func (n *Node) Fragment() Fragment { return n.frag }

// Context is the script context the node was checked for.
func (n *Node) Context() Context { return n.ctx }

// K is the threshold of thresh/multi/multi_a, or the value of older/after.
func (n *Node) K() uint32 { return n.k }

// Subs are the node's sub-expressions; do not modify them.
func (n *Node) Subs() []*Node { return n.subs }

// Hash is the digest a hash fragment commits to.
func (n *Node) Hash() []byte { return append([]byte(nil), n.hash...) }

// Keys lists every key name in the expression, depth first, in the order the
// script uses them.
func (n *Node) Keys() []string {
	var out []string
	n.walk(func(m *Node) { out = append(out, m.keys...) })
	return out
}

// walk visits n and its descendants depth first, left to right.
func (n *Node) walk(f func(*Node)) {
	f(n)
	for _, s := range n.subs {
		s.walk(f)
	}
}

// String prints the expression in its canonical form: the short forms (pk,
// pkh, and_n, t:, l:, u:) where they apply, wrappers joined before one colon,
// hashes in lower-case hex. Parse(String()) gives the same node.
func (n *Node) String() string {
	var b strings.Builder
	n.write(&b)
	return b.String()
}

// wrapperLetters returns the wrapper prefix n prints as ("v", "t", "l", ...)
// and the node that follows it, or "" when n is not printed as a wrapper.
func (n *Node) wrapperLetters() (string, *Node) {
	switch {
	case n.frag.isWrapper():
		// c:pk_k and c:pk_h print as pk() and pkh(), not as wrappers.
		if n.frag == WrapC && (n.subs[0].frag == PkK || n.subs[0].frag == PkH) {
			return "", nil
		}
		return n.frag.String()[:1], n.subs[0]
	case n.frag == AndV && n.subs[1].frag == Just1:
		return "t", n.subs[0]
	case n.frag == OrI && n.subs[0].frag == Just0:
		return "l", n.subs[1]
	case n.frag == OrI && n.subs[1].frag == Just0:
		return "u", n.subs[0]
	}
	return "", nil
}

func (n *Node) write(b *strings.Builder) {
	if letter, sub := n.wrapperLetters(); letter != "" {
		b.WriteString(letter)
		if l, _ := sub.wrapperLetters(); l == "" {
			b.WriteByte(':')
		}
		sub.write(b)
		return
	}
	switch n.frag {
	case Just0, Just1:
		b.WriteString(n.frag.String())
		return
	case WrapC:
		if n.subs[0].frag == PkK {
			b.WriteString("pk(" + n.subs[0].keys[0] + ")")
		} else {
			b.WriteString("pkh(" + n.subs[0].keys[0] + ")")
		}
		return
	case AndOr:
		if n.subs[2].frag == Just0 {
			b.WriteString("and_n(")
			n.subs[0].write(b)
			b.WriteByte(',')
			n.subs[1].write(b)
			b.WriteByte(')')
			return
		}
	}
	b.WriteString(n.frag.String())
	b.WriteByte('(')
	sep := ""
	switch {
	case n.frag == Older || n.frag == After:
		b.WriteString(strconv.FormatUint(uint64(n.k), 10))
	case n.frag.isHash():
		b.WriteString(hex.EncodeToString(n.hash))
	case n.frag == Thresh || n.frag.isMulti():
		b.WriteString(strconv.FormatUint(uint64(n.k), 10))
		sep = ","
	}
	for _, k := range n.keys {
		b.WriteString(sep + k)
		sep = ","
	}
	for _, s := range n.subs {
		b.WriteString(sep)
		s.write(b)
		sep = ","
	}
	b.WriteByte(')')
}

// Error is a problem with a miniscript expression: where it is (a byte
// offset in the text, -1 when the node came from a script) and what rule
// it breaks.
type Error struct {
	Pos int
	Msg string
}

// Error says where and what, with the miniscript: prefix.
func (e *Error) Error() string {
	if e.Pos < 0 {
		return "miniscript: " + e.Msg
	}
	return fmt.Sprintf("miniscript: at offset %d: %s", e.Pos, e.Msg)
}

func errorAt(pos int, format string, args ...any) error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}
