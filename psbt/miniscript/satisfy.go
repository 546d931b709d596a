package miniscript

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
)

// Spend is what a satisfaction may draw on: the signatures made so far,
// the preimages known, and the spending transaction's fields that decide
// which timelocks are met.
type Spend struct {
	// Signature returns the signature made with the named key, sighash
	// byte included, if there is one.
	Signature func(key string) ([]byte, bool)
	// Preimage returns the 32-byte preimage of a hash fragment's digest,
	// if it is known; nil means none is.
	Preimage func(frag Fragment, hash []byte) ([]byte, bool)
	// TxVersion, LockTime and Sequence (the input's nSequence) decide
	// which older() and after() are met, by the consensus rules of BIP-65,
	// BIP-68 and BIP-112.
	TxVersion int32
	LockTime  uint32
	Sequence  uint32
}

// Satisfaction is a witness for the expression and the spending path it
// takes.
type Satisfaction struct {
	// Witness is the stack, bottom element first, without the witness
	// script (and, in tapscript, the control block).
	Witness [][]byte
	// Keys are the keys whose signatures the witness holds, in the order
	// the expression names them.
	Keys []string
	// Older and After are the largest relative and absolute locks the path
	// relies on; 0 when it relies on none.
	Older, After uint32
	// Hashes are the hash fragments whose preimages the witness reveals,
	// as they print (sha256(...)).
	Hashes []string
}

// olderMet reports whether a transaction with this version and input
// nSequence satisfies OP_CHECKSEQUENCEVERIFY for value (BIP-112).
func (sp Spend) olderMet(value uint32) bool {
	const disable, mask = 1 << 31, 0xffff
	return sp.TxVersion >= 2 && sp.Sequence&disable == 0 &&
		sp.Sequence&sequenceTypeFlag == value&sequenceTypeFlag && sp.Sequence&mask >= value&mask
}

// afterMet reports whether the transaction satisfies OP_CHECKLOCKTIMEVERIFY
// for value (BIP-65): the same unit, a lock time at least value, and an
// input whose nSequence does not disable the lock time.
func (sp Spend) afterMet(value uint32) bool {
	return (sp.LockTime < lockTimeThreshold) == (value < lockTimeThreshold) &&
		sp.LockTime >= value && sp.Sequence != 0xffffffff
}

// witness is a candidate stack with what BIP-379's non-malleable
// satisfaction algorithm tracks: whether it exists, whether it holds a
// signature (HASSIG), whether a third party could change it (DONTUSE).
type witness struct {
	ok, sig, malleable bool
	elems              [][]byte
	size               int // serialized bytes, each element with its length byte
	keys, hashes       []string
	older, after       uint32
}

var (
	invalidWitness = witness{}
	emptyWitness   = witness{ok: true}
	zeroWitness    = element(nil)
	oneWitness     = element([]byte{1})
)

func element(b []byte) witness {
	return witness{ok: true, elems: [][]byte{b}, size: 1 + len(b)}
}

// then is a below b on the stack: both must be satisfied.
func (a witness) then(b witness) witness {
	if !a.ok || !b.ok {
		return invalidWitness
	}
	return witness{
		ok: true, sig: a.sig || b.sig, malleable: a.malleable || b.malleable,
		elems:  append(append(make([][]byte, 0, len(a.elems)+len(b.elems)), a.elems...), b.elems...),
		size:   a.size + b.size,
		keys:   append(append([]string(nil), a.keys...), b.keys...),
		hashes: append(append([]string(nil), a.hashes...), b.hashes...),
		older:  max(a.older, b.older), after: max(a.after, b.after),
	}
}

func (a witness) markMalleable(cond bool) witness {
	a.malleable = a.malleable || cond
	return a
}

// or picks between two ways to the same result as BIP-379 says: one
// without a signature must be used, since a third party could switch to
// it; two without signatures are both malleable; otherwise the
// non-malleable one, then the smaller one.
func (a witness) or(b witness) witness {
	switch {
	case !a.ok:
		return b
	case !b.ok:
		return a
	case !a.sig && b.sig:
		return a
	case !b.sig && a.sig:
		return b
	case !a.sig && !b.sig:
		a.malleable, b.malleable = true, true
	case b.malleable && !a.malleable:
		return a
	case a.malleable && !b.malleable:
		return b
	}
	if a.size <= b.size {
		return a
	}
	return b
}

// maxThreshWork caps the arguments times threshold of a thresh Satisfy
// works through (its dynamic programme copies stacks for each pair); the
// wallets people use have a handful of arguments.
const maxThreshWork = 20000

// satPair is the best satisfaction and dissatisfaction of a node.
type satPair struct{ dsat, sat witness }

// Satisfy builds the cheapest non-malleable witness the spend allows and
// says which path it takes. It fails when no path is open (a missing
// signature, a lock not yet met), when every open path is malleable, or
// when the open path needs no signature.
func (n *Node) Satisfy(keys KeyFunc, sp Spend) (*Satisfaction, error) {
	if keys == nil || sp.Signature == nil {
		return nil, fmt.Errorf("miniscript: Satisfy needs a key function and a signature source")
	}
	res, err := n.satisfy(keys, sp)
	if err != nil {
		return nil, err
	}
	w := res.sat
	switch {
	case !w.ok:
		return nil, fmt.Errorf("miniscript: no spending path of %s is open with the signatures, preimages and locks given (lock time %d, sequence %#x, version %d)%s",
			n, sp.LockTime, sp.Sequence, sp.TxVersion, n.missing(sp))
	case w.malleable:
		return nil, fmt.Errorf("miniscript: every open spending path of %s could be changed by a third party (malleable); add the signatures of a signed path", n)
	case !w.sig:
		return nil, fmt.Errorf("miniscript: the open spending path of %s needs no signature, so anyone could redirect the coins; refusing", n)
	}
	order := map[string]int{}
	for i, k := range n.Keys() {
		if _, seen := order[k]; !seen {
			order[k] = i
		}
	}
	sort.SliceStable(w.keys, func(i, j int) bool { return order[w.keys[i]] < order[w.keys[j]] })
	return &Satisfaction{Witness: w.elems, Keys: w.keys, Older: w.older, After: w.after, Hashes: w.hashes}, nil
}

func (n *Node) satisfy(keys KeyFunc, sp Spend) (satPair, error) {
	subs := make([]satPair, len(n.subs))
	for i, s := range n.subs {
		var err error
		if subs[i], err = s.satisfy(keys, sp); err != nil {
			return satPair{}, err
		}
	}
	sign := func(name string) witness {
		sig, ok := sp.Signature(name)
		if !ok {
			return invalidWitness
		}
		w := element(sig)
		w.sig, w.keys = true, []string{name}
		return w
	}
	switch n.frag {
	case Just0:
		return satPair{emptyWitness, invalidWitness}, nil
	case Just1:
		return satPair{invalidWitness, emptyWitness}, nil
	case PkK:
		return satPair{zeroWitness, sign(n.keys[0])}, nil
	case PkH:
		pub, err := n.pubKey(keys, n.keys[0])
		if err != nil {
			return satPair{}, err
		}
		return satPair{zeroWitness.then(element(pub)), sign(n.keys[0]).then(element(pub))}, nil
	case Older:
		if sp.olderMet(n.k) {
			w := emptyWitness
			w.older = n.k
			return satPair{invalidWitness, w}, nil
		}
		return satPair{invalidWitness, invalidWitness}, nil
	case After:
		if sp.afterMet(n.k) {
			w := emptyWitness
			w.after = n.k
			return satPair{invalidWitness, w}, nil
		}
		return satPair{invalidWitness, invalidWitness}, nil
	case Sha256, Hash256, Ripemd160, Hash160:
		// Any 32 bytes but the preimage dissatisfy; anyone can pick others.
		dsat := element(make([]byte, 32)).markMalleable(true)
		if sp.Preimage == nil {
			return satPair{dsat, invalidWitness}, nil
		}
		pre, ok := sp.Preimage(n.frag, n.hash)
		if !ok || len(pre) != 32 {
			return satPair{dsat, invalidWitness}, nil
		}
		w := element(pre)
		w.hashes = []string{n.String()}
		return satPair{dsat, w}, nil
	case AndV:
		x, y := subs[0], subs[1]
		return satPair{invalidWitness, y.sat.then(x.sat)}, nil
	case AndB:
		x, y := subs[0], subs[1]
		return satPair{y.dsat.then(x.dsat).or(y.sat.then(x.dsat).markMalleable(true)).or(y.dsat.then(x.sat).markMalleable(true)),
			y.sat.then(x.sat)}, nil
	case OrB:
		x, z := subs[0], subs[1]
		return satPair{z.dsat.then(x.dsat),
			z.dsat.then(x.sat).or(z.sat.then(x.dsat)).or(z.sat.then(x.sat).markMalleable(true))}, nil
	case OrC:
		x, z := subs[0], subs[1]
		return satPair{invalidWitness, x.sat.or(z.sat.then(x.dsat))}, nil
	case OrD:
		x, z := subs[0], subs[1]
		return satPair{z.dsat.then(x.dsat), x.sat.or(z.sat.then(x.dsat))}, nil
	case AndOr:
		x, y, z := subs[0], subs[1], subs[2]
		return satPair{y.dsat.then(x.sat).or(z.dsat.then(x.dsat)), y.sat.then(x.sat).or(z.sat.then(x.dsat))}, nil
	case OrI:
		x, z := subs[0], subs[1]
		return satPair{x.dsat.then(oneWitness).or(z.dsat.then(zeroWitness)), x.sat.then(oneWitness).or(z.sat.then(zeroWitness))}, nil
	case WrapA, WrapS, WrapC, WrapN:
		return subs[0], nil
	case WrapD:
		return satPair{zeroWitness, subs[0].sat.then(oneWitness)}, nil
	case WrapV:
		return satPair{invalidWitness, subs[0].sat}, nil
	case WrapJ:
		x := subs[0]
		// A dissatisfaction of X with a nonzero top element would be a
		// second one; assume it exists whenever X can be dissatisfied
		// without a signature, as Bitcoin Core does.
		return satPair{zeroWitness.markMalleable(x.dsat.ok && !x.dsat.sig), x.sat}, nil
	case Thresh:
		if len(subs)*int(n.k) > maxThreshWork {
			return satPair{}, fmt.Errorf("miniscript: thresh(%d, ...) of %d arguments is too large to satisfy here (at most %d choices)", n.k, len(subs), maxThreshWork)
		}
		return n.satisfyThresh(subs), nil
	case Multi:
		return n.satisfyMulti(sign), nil
	case MultiA, SortedMultiA:
		return n.satisfyMultiA(keys, sign)
	}
	return satPair{}, fmt.Errorf("miniscript: cannot satisfy fragment %s", n.frag)
}

// satisfyThresh finds, for every count j, the best stack satisfying j of
// the subs (dynamic programming from the last sub, whose witness is
// deepest).
func (n *Node) satisfyThresh(subs []satPair) satPair {
	sats := []witness{emptyWitness}
	for i := len(subs) - 1; i >= 0; i-- {
		res := subs[i]
		next := []witness{sats[0].then(res.dsat)}
		for j := 1; j < len(sats); j++ {
			next = append(next, sats[j].then(res.dsat).or(sats[j-1].then(res.sat)))
		}
		next = append(next, sats[len(sats)-1].then(res.sat))
		sats = next
	}
	dsat := invalidWitness
	for i, w := range sats {
		if i == int(n.k) {
			continue
		}
		// Satisfying some but not k is a dissatisfaction a third party
		// can turn into another one.
		dsat = dsat.or(w.markMalleable(i != 0))
	}
	return satPair{dsat, sats[n.k]}
}

// chooseSigners picks, among the keys with signatures, the k whose
// signatures are shortest (earlier keys first on ties): every choice holds
// signatures only, so none is malleable and the smallest wins. It returns
// nil when fewer than k keys have signed.
func chooseSigners(order []string, k int, sign func(string) witness) map[int]witness {
	type cand struct {
		i int
		w witness
	}
	var have []cand
	for i, key := range order {
		if w := sign(key); w.ok {
			have = append(have, cand{i, w})
		}
	}
	if len(have) < k {
		return nil
	}
	sort.SliceStable(have, func(a, b int) bool { return have[a].w.size < have[b].w.size })
	chosen := map[int]witness{}
	for _, c := range have[:k] {
		chosen[c.i] = c.w
	}
	return chosen
}

// satisfyMulti builds CHECKMULTISIG's stack: the dummy element, then
// signatures in key order.
func (n *Node) satisfyMulti(sign func(string) witness) satPair {
	dsat := zeroWitness
	for range n.k {
		dsat = dsat.then(zeroWitness)
	}
	chosen := chooseSigners(n.keys, int(n.k), sign)
	if chosen == nil {
		return satPair{dsat, invalidWitness}
	}
	sat := zeroWitness
	for i := range n.keys {
		if w, ok := chosen[i]; ok {
			sat = sat.then(w)
		}
	}
	return satPair{dsat, sat}
}

// satisfyMultiA builds the CHECKSIG/CHECKSIGADD chain's stack: one element
// per key, the first key's on top, empty where a key does not sign.
func (n *Node) satisfyMultiA(keys KeyFunc, sign func(string) witness) (satPair, error) {
	order := append([]string(nil), n.keys...)
	if n.frag == SortedMultiA {
		pubs := map[string][]byte{}
		for _, k := range order {
			pub, err := n.pubKey(keys, k)
			if err != nil {
				return satPair{}, err
			}
			pubs[k] = pub
		}
		sort.SliceStable(order, func(i, j int) bool { return bytes.Compare(pubs[order[i]], pubs[order[j]]) < 0 })
	}
	dsat := emptyWitness
	for range order {
		dsat = dsat.then(zeroWitness)
	}
	chosen := chooseSigners(order, int(n.k), sign)
	if chosen == nil {
		return satPair{dsat, invalidWitness}, nil
	}
	sat := emptyWitness
	for i := len(order) - 1; i >= 0; i-- {
		if w, ok := chosen[i]; ok {
			sat = sat.then(w)
		} else {
			sat = sat.then(zeroWitness)
		}
	}
	return satPair{dsat, sat}, nil
}

// missing explains, for each spending path, what the spend lacks.
func (n *Node) missing(sp Spend) string {
	paths, err := n.Paths()
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, p := range paths {
		var lacks []string
		for _, g := range p.Signers {
			have := 0
			for _, k := range g.Keys {
				if _, ok := sp.Signature(k); ok {
					have++
				}
			}
			if have < g.K {
				lacks = append(lacks, fmt.Sprintf("%d more signature(s) of %s", g.K-have, strings.Join(g.Keys, ", ")))
			}
		}
		if p.Older != 0 && !sp.olderMet(p.Older) {
			lacks = append(lacks, fmt.Sprintf("a relative lock of %s (the input's nSequence %#x with version %d does not meet it)", DescribeOlder(p.Older), sp.Sequence, sp.TxVersion))
		}
		if p.After != 0 && !sp.afterMet(p.After) {
			lacks = append(lacks, fmt.Sprintf("an absolute lock of %s (nLockTime %d does not meet it)", DescribeAfter(p.After), sp.LockTime))
		}
		for _, h := range p.Hashes {
			lacks = append(lacks, "the preimage of "+h)
		}
		if len(lacks) > 0 {
			fmt.Fprintf(&b, "; path [%s] lacks %s", p, strings.Join(lacks, " and "))
		}
	}
	return b.String()
}

// hashName prints a digest for messages.
func hashName(f Fragment, h []byte) string { return f.String() + "(" + hex.EncodeToString(h) + ")" }
