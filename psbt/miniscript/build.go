package miniscript

// Limits on what the package accepts, checked before anything is built.
const (
	// MaxInputLen caps the text Parse reads: a tapscript multi_a of 999
	// keys with full key expressions fits, nothing much larger does.
	MaxInputLen = 64 << 10
	// MaxDepth caps the nesting of fragments and wrappers (every wrapper
	// letter counts). The templates use fewer than ten levels; Bitcoin
	// Core's vectors nest 600 (and_b chains of 200 keys, valid in
	// tapscript), and a tapscript cannot execute much deeper than its
	// 1000-element stack.
	MaxDepth = 1000
	// MaxKeys caps the keys in one expression: multi_a's own limit.
	MaxKeys = 999
	// MaxKeyLen caps one key's text (an xpub with origin and a path is
	// about 200 characters).
	MaxKeyLen = 512

	maxMultiKeys       = 20   // CHECKMULTISIG's consensus limit
	maxWshScriptSize   = 3600 // P2WSH standardness (MAX_STANDARD_P2WSH_SCRIPT_SIZE)
	maxWshOps          = 201  // consensus: non-push opcodes plus keys of executed CHECKMULTISIGs
	maxWshStackItems   = 100  // P2WSH standardness: witness elements besides the script
	maxTapscriptSize   = 400000
	wshKeyLen          = 33
	tapscriptKeyLen    = 32
	ecdsaSigWitnessLen = 1 + 72 // a DER signature with its sighash byte, plus its length byte
	schnorrSigWitness  = 1 + 65 // a signature with an explicit sighash byte, plus its length byte
)

// maybe is a count that may not exist (a satisfaction that cannot be made).
type maybe struct {
	v  int
	ok bool
}

func some(v int) maybe { return maybe{v, true} }

var none maybe

// plus is the count of two things done together; it exists when both do.
func (a maybe) plus(b maybe) maybe {
	if !a.ok || !b.ok {
		return none
	}
	return some(a.v + b.v)
}

func (a maybe) add(c int) maybe {
	if !a.ok {
		return none
	}
	return some(a.v + c)
}

// or is the worst case of two alternatives: the larger of those that exist.
func (a maybe) or(b maybe) maybe {
	switch {
	case !a.ok:
		return b
	case !b.ok:
		return a
	}
	return some(max(a.v, b.v))
}

// satSizes is a worst-case size for satisfying and for dissatisfying.
type satSizes struct{ sat, dsat maybe }

// opsCount is the opcodes a script always counts plus the worst case added
// by the CHECKMULTISIGs a satisfaction or dissatisfaction executes.
type opsCount struct {
	count     int
	sat, dsat maybe
}

// newNode builds and checks one node over already checked subs: arity,
// value ranges, the typing rules and the script size limit.
func newNode(ctx Context, frag Fragment, k uint32, keys []string, hash []byte, subs []*Node, pos int) (*Node, error) {
	n := &Node{frag: frag, k: k, keys: keys, hash: hash, subs: subs, pos: pos, ctx: ctx}
	switch {
	case frag == Multi && ctx != Wsh:
		return nil, errorAt(pos, "multi is for wsh scripts; a tapscript leaf uses multi_a")
	case (frag == MultiA || frag == SortedMultiA) && ctx != Tapscript:
		return nil, errorAt(pos, "%s is for tapscript leaves; a wsh script uses multi", frag)
	case frag.isMulti():
		limit := MaxKeys
		if frag == Multi {
			limit = maxMultiKeys
		}
		if len(keys) > limit {
			return nil, errorAt(pos, "%s: %d keys, at most %d are allowed", frag, len(keys), limit)
		}
		if k < 1 || int(k) > len(keys) {
			return nil, errorAt(pos, "%s: the threshold %d must be between 1 and the number of keys (%d)", frag, k, len(keys))
		}
	case frag == Thresh:
		if k < 1 || int(k) > len(subs) {
			return nil, errorAt(pos, "thresh: the threshold %d must be between 1 and the number of arguments (%d)", k, len(subs))
		}
	case frag.isHash():
		if len(hash) != frag.hashLen() {
			return nil, errorAt(pos, "%s: the hash must be %d bytes, is %d", frag, frag.hashLen(), len(hash))
		}
	}
	typ, err := n.computeType()
	if err != nil {
		return nil, err
	}
	n.typ = typ
	n.size = n.scriptLen()
	n.ops = n.computeOps()
	n.stack = n.computeStack()
	n.wit = n.computeWitness()
	if ctx == Wsh && n.size > maxWshScriptSize {
		return nil, errorAt(pos, "%s: the script would be %d bytes; P2WSH allows at most %d", frag, n.size, maxWshScriptSize)
	}
	if n.size > maxTapscriptSize {
		return nil, errorAt(pos, "%s: the script would be %d bytes, more than a block can hold", frag, n.size)
	}
	return n, nil
}

func (n *Node) keyLen() int {
	if n.ctx == Tapscript {
		return tapscriptKeyLen
	}
	return wshKeyLen
}

func (n *Node) sigLen() int {
	if n.ctx == Tapscript {
		return schnorrSigWitness
	}
	return ecdsaSigWitnessLen
}

// scriptLen is the compiled script's length, computed without the keys
// (every key is a fixed-length push).
func (n *Node) scriptLen() int {
	sum := 0
	for _, s := range n.subs {
		sum += s.size
	}
	nkeys := len(n.keys)
	switch n.frag {
	case Just0, Just1:
		return 1
	case PkK:
		return 1 + n.keyLen()
	case PkH:
		return 3 + 21
	case Older, After:
		return 1 + numLen(int64(n.k))
	case Sha256, Hash256, Ripemd160, Hash160:
		return 6 + 1 + n.frag.hashLen()
	case AndV:
		return sum
	case AndB, OrB, WrapS, WrapC, WrapN:
		return 1 + sum
	case OrC, WrapA:
		return 2 + sum
	case OrD, OrI, AndOr, WrapD:
		return 3 + sum
	case WrapJ:
		return 4 + sum
	case WrapV:
		if n.subs[0].typ.Has(PropX) {
			return sum + 1
		}
		return sum
	case Thresh:
		return sum + len(n.subs) + numLen(int64(n.k))
	case Multi:
		return 1 + numLen(int64(n.k)) + numLen(int64(nkeys)) + nkeys*(1+wshKeyLen)
	case MultiA, SortedMultiA:
		return nkeys*(2+tapscriptKeyLen) + numLen(int64(n.k)) + 1
	}
	return 0
}

// numLen is the length of a minimal push of v.
func numLen(v int64) int {
	if v >= 0 && v <= 16 {
		return 1
	}
	return 1 + len(scriptNum(v))
}

// computeOps follows Bitcoin Core's opcode accounting (GetOps): the
// static non-push opcodes plus the keys of each CHECKMULTISIG a
// satisfaction executes.
func (n *Node) computeOps() opsCount {
	x, y, z := subsOf(n, func(s *Node) opsCount { return s.ops })
	zero := some(0)
	switch n.frag {
	case Just1:
		return opsCount{0, zero, none}
	case Just0:
		return opsCount{0, none, zero}
	case PkK:
		return opsCount{0, zero, zero}
	case PkH:
		return opsCount{3, zero, zero}
	case Older, After:
		return opsCount{1, zero, none}
	case Sha256, Hash256, Ripemd160, Hash160:
		return opsCount{4, zero, none}
	case AndV:
		return opsCount{x.count + y.count, x.sat.plus(y.sat), none}
	case AndB:
		return opsCount{1 + x.count + y.count, x.sat.plus(y.sat), x.dsat.plus(y.dsat)}
	case OrB:
		return opsCount{1 + x.count + y.count, x.sat.plus(y.dsat).or(y.sat.plus(x.dsat)), x.dsat.plus(y.dsat)}
	case OrD:
		return opsCount{3 + x.count + y.count, x.sat.or(y.sat.plus(x.dsat)), x.dsat.plus(y.dsat)}
	case OrC:
		return opsCount{2 + x.count + y.count, x.sat.or(y.sat.plus(x.dsat)), none}
	case OrI:
		return opsCount{3 + x.count + y.count, x.sat.or(y.sat), x.dsat.or(y.dsat)}
	case AndOr:
		return opsCount{3 + x.count + y.count + z.count, y.sat.plus(x.sat).or(x.dsat.plus(z.sat)), x.dsat.plus(z.dsat)}
	case Multi:
		return opsCount{1, some(len(n.keys)), some(len(n.keys))}
	case MultiA, SortedMultiA:
		return opsCount{len(n.keys) + 1, zero, zero}
	case WrapS, WrapC, WrapN:
		return opsCount{1 + x.count, x.sat, x.dsat}
	case WrapA:
		return opsCount{2 + x.count, x.sat, x.dsat}
	case WrapD:
		return opsCount{3 + x.count, x.sat, zero}
	case WrapJ:
		return opsCount{4 + x.count, x.sat, zero}
	case WrapV:
		c := x.count
		if n.subs[0].typ.Has(PropX) {
			c++
		}
		return opsCount{c, x.sat, none}
	case Thresh:
		count := 0
		sats := []maybe{zero}
		for _, s := range n.subs {
			count += s.ops.count + 1
			next := []maybe{sats[0].plus(s.ops.dsat)}
			for j := 1; j < len(sats); j++ {
				next = append(next, sats[j].plus(s.ops.dsat).or(sats[j-1].plus(s.ops.sat)))
			}
			next = append(next, sats[len(sats)-1].plus(s.ops.sat))
			sats = next
		}
		return opsCount{count, sats[n.k], sats[0]}
	}
	return opsCount{}
}

// computeStack is the worst-case number of witness elements (BIP-379's
// resource limits; Bitcoin Core's GetStackSize).
func (n *Node) computeStack() satSizes {
	return n.computeSizes(func(s *Node) satSizes { return s.stack },
		satSizes{some(1), some(1)}, satSizes{some(2), some(2)}, some(1),
		func(k, nkeys int) satSizes {
			if n.frag == Multi {
				return satSizes{some(k + 1), some(k + 1)}
			}
			return satSizes{some(nkeys), some(nkeys)}
		}, 1, 1, 1, 1)
}

// computeWitness is the worst-case witness size in bytes, each element
// with its length byte (Bitcoin Core's GetWitnessSize).
func (n *Node) computeWitness() satSizes {
	pub := 1 + n.keyLen()
	sig := n.sigLen()
	return n.computeSizes(func(s *Node) satSizes { return s.wit },
		satSizes{some(sig), some(1)}, satSizes{some(sig + pub), some(1 + pub)}, some(33),
		func(k, nkeys int) satSizes {
			if n.frag == Multi {
				return satSizes{some(k*sig + 1), some(k + 1)}
			}
			return satSizes{some(k*sig + nkeys - k), some(nkeys)}
		}, 2, 1, 2, 1)
}

// computeSizes is the shared shape of the stack-count and witness-size
// accounting; the leaves and the cost of or_i's and d:'s selector pushes
// (a 1 and a 0) differ.
func (n *Node) computeSizes(of func(*Node) satSizes, pkK, pkH satSizes, preimage maybe, multi func(k, nkeys int) satSizes, one, zeroLen, dOne, dZero int) satSizes {
	x, y, z := subsOf(n, of)
	zero := some(0)
	switch n.frag {
	case Just0:
		return satSizes{none, zero}
	case Just1, Older, After:
		return satSizes{zero, none}
	case PkK:
		return pkK
	case PkH:
		return pkH
	case Sha256, Hash256, Ripemd160, Hash160:
		return satSizes{preimage, none}
	case AndOr:
		return satSizes{x.sat.plus(y.sat).or(x.dsat.plus(z.sat)), x.dsat.plus(z.dsat)}
	case AndV:
		return satSizes{x.sat.plus(y.sat), none}
	case AndB:
		return satSizes{x.sat.plus(y.sat), x.dsat.plus(y.dsat)}
	case OrB:
		return satSizes{x.dsat.plus(y.sat).or(x.sat.plus(y.dsat)), x.dsat.plus(y.dsat)}
	case OrC:
		return satSizes{x.sat.or(x.dsat.plus(y.sat)), none}
	case OrD:
		return satSizes{x.sat.or(x.dsat.plus(y.sat)), x.dsat.plus(y.dsat)}
	case OrI:
		return satSizes{x.sat.add(one).or(y.sat.add(zeroLen)), x.dsat.add(one).or(y.dsat.add(zeroLen))}
	case Multi, MultiA, SortedMultiA:
		return multi(int(n.k), len(n.keys))
	case WrapA, WrapN, WrapS, WrapC:
		return x
	case WrapD:
		return satSizes{x.sat.add(dOne), some(dZero)}
	case WrapV:
		return satSizes{x.sat, none}
	case WrapJ:
		return satSizes{x.sat, some(dZero)}
	case Thresh:
		sats := []maybe{zero}
		for _, sub := range n.subs {
			s := of(sub)
			next := []maybe{sats[0].plus(s.dsat)}
			for j := 1; j < len(sats); j++ {
				next = append(next, sats[j].plus(s.dsat).or(sats[j-1].plus(s.sat)))
			}
			next = append(next, sats[len(sats)-1].plus(s.sat))
			sats = next
		}
		return satSizes{sats[n.k], sats[0]}
	}
	return satSizes{}
}

// Ops is the most opcodes a satisfaction counts against the 201 limit
// (false when the expression cannot be satisfied).
func (n *Node) Ops() (int, bool) {
	if !n.ops.sat.ok {
		return 0, false
	}
	return n.ops.count + n.ops.sat.v, true
}

// StackSize is the most witness elements a satisfaction needs, the
// witness script not counted.
func (n *Node) StackSize() (int, bool) { return n.stack.sat.v, n.stack.sat.ok }

// MaxWitnessSize is the most bytes a satisfaction's elements take, each
// with its length byte, the witness script and the element count not
// counted.
func (n *Node) MaxWitnessSize() (int, bool) { return n.wit.sat.v, n.wit.sat.ok }

// ScriptSize is the compiled script's length in bytes.
func (n *Node) ScriptSize() int { return n.size }

// Type is the node's BIP-379 type.
func (n *Node) Type() Type { return n.typ }

// subsOf returns a measure of n's first three subs (the zero value for
// subs n does not have).
func subsOf[T any](n *Node, of func(*Node) T) (x, y, z T) {
	all := []*T{&x, &y, &z}
	for i, s := range n.subs[:min(len(n.subs), 3)] {
		*all[i] = of(s)
	}
	return x, y, z
}
