package miniscript

import "strings"

// Type is a miniscript expression's type: one basic type (B, V, K, W) and
// its properties (BIP-379's correctness z o n d u, malleability e f s m,
// and the bookkeeping Bitcoin Core adds: x for "ends in an opcode without a
// VERIFY form", g h i j for the kinds of timelock inside, k for "no
// conflicting timelocks").
type Type uint32

// The basic types and properties; see BIP-379 for their meaning.
const (
	TypeB Type = 1 << iota // base: pushes nonzero on satisfaction, exact 0 on dissatisfaction
	TypeV                  // verify: continues on satisfaction, cannot be dissatisfied
	TypeK                  // key: pushes a public key for a signature check
	TypeW                  // wrapped: works one below the top of the stack
	PropZ                  // consumes exactly 0 stack elements
	PropO                  // consumes exactly 1 stack element
	PropN                  // never needs a zero top stack element to satisfy
	PropD                  // can be dissatisfied unconditionally
	PropU                  // pushes exactly 1 on satisfaction
	PropE                  // has a unique unconditional dissatisfaction; others need a signature
	PropF                  // dissatisfying it always needs a signature
	PropS                  // satisfying it always needs a signature
	PropM                  // a non-malleable satisfaction always exists
	PropX                  // its last opcode has no VERIFY form (v: appends OP_VERIFY)
	PropG                  // contains a relative time lock (older with the time flag)
	PropH                  // contains a relative height lock
	PropI                  // contains an absolute time lock (after >= 500000000)
	PropJ                  // contains an absolute height lock
	PropK                  // no satisfaction needs both a height and a time lock of one kind
)

const typeLetters = "BVKWzondue" + "fsmxghijk"

const basicTypes = TypeB | TypeV | TypeK | TypeW

const timelockKinds = PropG | PropH | PropI | PropJ

// Has reports whether t has every type and property in want.
func (t Type) Has(want Type) bool { return t&want == want }

// String lists the type's letters in BIP-379's notation (e.g. Bondu).
func (t Type) String() string {
	var b strings.Builder
	for i := range len(typeLetters) {
		if t&(1<<i) != 0 {
			b.WriteByte(typeLetters[i])
		}
	}
	return b.String()
}

// If returns t when cond holds, else no properties.
func (t Type) If(cond bool) Type {
	if cond {
		return t
	}
	return 0
}

// basic names the basic type, for error messages.
func (t Type) basic() string {
	switch {
	case t.Has(TypeB):
		return "B"
	case t.Has(TypeV):
		return "V"
	case t.Has(TypeK):
		return "K"
	case t.Has(TypeW):
		return "W"
	}
	return "untyped"
}

// mixesTimelocks reports whether x and y hold locks of one kind (relative or
// absolute) measured in different units (height and time), which no single
// transaction can satisfy together.
func mixesTimelocks(x, y Type) bool {
	return x.Has(PropG) && y.Has(PropH) || x.Has(PropH) && y.Has(PropG) ||
		x.Has(PropI) && y.Has(PropJ) || x.Has(PropJ) && y.Has(PropI)
}

// lockTimeThreshold is where nLockTime values switch from heights to times.
const lockTimeThreshold = 500000000

// sequenceTypeFlag marks a relative lock as time-based (BIP-68).
const sequenceTypeFlag = 1 << 22

// need returns an error naming the fragment and the argument that does not
// have the required type.
func need(n *Node, arg int, got Type, want Type, why string) error {
	if got.Has(want) {
		return nil
	}
	return errorAt(n.pos, "%s: %s must be %s (%s), but is %s (type %s)",
		n.frag, argName(n.frag, arg), want, why, got.basic(), got)
}

func argName(f Fragment, i int) string {
	if f.isWrapper() {
		return "its argument"
	}
	return [...]string{"the first argument", "the second argument", "the third argument"}[min(i, 2)]
}

// computeType applies BIP-379's typing rules to n, whose subs are already
// typed. The formulas for m, x and the timelock properties are Bitcoin
// Core's, which BIP-379 describes in prose.
func (n *Node) computeType() (Type, error) {
	x, y, z := subsOf(n, func(s *Node) Type { return s.typ })
	baseOf := func(t Type) Type { return t & basicTypes }
	oneOf := func(arg int, t Type) error {
		if t&(TypeB|TypeK|TypeV) == 0 {
			return errorAt(n.pos, "%s: %s must be B, K or V, but is %s", n.frag, argName(n.frag, arg), t.basic())
		}
		return nil
	}
	switch n.frag {
	case Just0:
		return TypeB | PropZ | PropU | PropD | PropE | PropM | PropS | PropX | PropK, nil
	case Just1:
		return TypeB | PropZ | PropU | PropF | PropM | PropX | PropK, nil
	case PkK:
		return TypeK | PropO | PropN | PropU | PropD | PropE | PropM | PropS | PropX | PropK, nil
	case PkH:
		return TypeK | PropN | PropU | PropD | PropE | PropM | PropS | PropX | PropK, nil
	case Older:
		if n.k < 1 || n.k >= 1<<31 {
			return 0, errorAt(n.pos, "older(%d): the value must be at least 1 and below 2^31", n.k)
		}
		return PropG.If(n.k&sequenceTypeFlag != 0) | PropH.If(n.k&sequenceTypeFlag == 0) |
			TypeB | PropZ | PropF | PropM | PropX | PropK, nil
	case After:
		if n.k < 1 || n.k >= 1<<31 {
			return 0, errorAt(n.pos, "after(%d): the value must be at least 1 and below 2^31", n.k)
		}
		return PropI.If(n.k >= lockTimeThreshold) | PropJ.If(n.k < lockTimeThreshold) |
			TypeB | PropZ | PropF | PropM | PropX | PropK, nil
	case Sha256, Hash256, Ripemd160, Hash160:
		return TypeB | PropO | PropN | PropU | PropD | PropM | PropK, nil
	case Multi:
		return TypeB | PropN | PropU | PropD | PropE | PropM | PropS | PropK, nil
	case MultiA, SortedMultiA:
		return TypeB | PropU | PropD | PropE | PropM | PropS | PropK, nil
	case WrapA:
		if err := need(n, 0, x, TypeB, "a: moves a B expression to the alt stack"); err != nil {
			return 0, err
		}
		return TypeW | x&timelockKinds | x&PropK | x&(PropU|PropD|PropF|PropE|PropM|PropS) | PropX, nil
	case WrapS:
		if err := need(n, 0, x, TypeB|PropO, "s: swaps in exactly one argument"); err != nil {
			return 0, err
		}
		return TypeW | x&(timelockKinds|PropK) | x&(PropU|PropD|PropF|PropE|PropM|PropS|PropX), nil
	case WrapC:
		if err := need(n, 0, x, TypeK, "c: checks a signature against a key"); err != nil {
			return 0, err
		}
		return TypeB | x&(timelockKinds|PropK) | x&(PropO|PropN|PropD|PropF|PropE|PropM) | PropU | PropS, nil
	case WrapD:
		if err := need(n, 0, x, TypeV|PropZ, "d: takes no arguments of its own"); err != nil {
			return 0, err
		}
		// d: is u only in tapscript, where MINIMALIF is consensus.
		return TypeB | PropO.If(x.Has(PropZ)) | PropE.If(x.Has(PropF)) | x&(timelockKinds|PropK) |
			x&(PropM|PropS) | PropU.If(n.ctx == Tapscript) | PropN | PropD | PropX, nil
	case WrapV:
		if err := need(n, 0, x, TypeB, "v: verifies a B expression"); err != nil {
			return 0, err
		}
		return TypeV | x&(timelockKinds|PropK) | x&(PropZ|PropO|PropN|PropM|PropS) | PropF | PropX, nil
	case WrapJ:
		if err := need(n, 0, x, TypeB|PropN, "j: needs a nonzero top element to satisfy"); err != nil {
			return 0, err
		}
		return TypeB | PropE.If(x.Has(PropF)) | x&(timelockKinds|PropK) | x&(PropO|PropU|PropM|PropS) |
			PropN | PropD | PropX, nil
	case WrapN:
		if err := need(n, 0, x, TypeB, "n: normalizes a B result"); err != nil {
			return 0, err
		}
		return x&(timelockKinds|PropK) | x&(TypeB|PropZ|PropO|PropN|PropD|PropF|PropE|PropM|PropS) | PropU | PropX, nil
	case AndV:
		if err := need(n, 0, x, TypeV, "and_v runs X for its effect only"); err != nil {
			return 0, err
		}
		if err := oneOf(1, y); err != nil {
			return 0, err
		}
		return baseOf(y) |
			PropN.If(x.Has(PropN) || x.Has(PropZ) && y.Has(PropN)) |
			PropO.If(x.Has(PropO) && y.Has(PropZ) || x.Has(PropZ) && y.Has(PropO)) |
			x&y&(PropD|PropM|PropZ) | (x|y)&PropS | PropF.If(y.Has(PropF) || x.Has(PropS)) |
			y&(PropU|PropX) | (x|y)&timelockKinds |
			PropK.If(x.Has(PropK) && y.Has(PropK) && !mixesTimelocks(x, y)), nil
	case AndB:
		if err := need(n, 0, x, TypeB, "and_b adds two results"); err != nil {
			return 0, err
		}
		if err := need(n, 1, y, TypeW, "use a: or s: to wrap it"); err != nil {
			return 0, err
		}
		return TypeB |
			PropO.If(x.Has(PropO) && y.Has(PropZ) || x.Has(PropZ) && y.Has(PropO)) |
			PropN.If(x.Has(PropN) || x.Has(PropZ) && y.Has(PropN)) |
			PropE.If(x.Has(PropE|PropS) && y.Has(PropE|PropS)) |
			x&y&(PropD|PropZ|PropM) |
			PropF.If(x.Has(PropF) && y.Has(PropF) || x.Has(PropS|PropF) || y.Has(PropS|PropF)) |
			(x|y)&PropS | PropU | PropX | (x|y)&timelockKinds |
			PropK.If(x.Has(PropK) && y.Has(PropK) && !mixesTimelocks(x, y)), nil
	case OrB:
		if err := need(n, 0, x, TypeB|PropD, "or_b needs X's dissatisfaction when Z is used"); err != nil {
			return 0, err
		}
		if err := need(n, 1, y, TypeW|PropD, "use a: or s: to wrap a dissatisfiable expression"); err != nil {
			return 0, err
		}
		return TypeB |
			PropO.If(x.Has(PropO) && y.Has(PropZ) || x.Has(PropZ) && y.Has(PropO)) |
			PropM.If(x.Has(PropM|PropE) && y.Has(PropM|PropE) && (x.Has(PropS) || y.Has(PropS))) |
			x&y&(PropZ|PropS|PropE) | PropD | PropU | PropX | (x|y)&timelockKinds | x&y&PropK, nil
	case OrD:
		if err := need(n, 0, x, TypeB|PropD|PropU, "or_d tests X's result with IFDUP"); err != nil {
			return 0, err
		}
		if err := need(n, 1, y, TypeB, "or_d's second branch leaves its result"); err != nil {
			return 0, err
		}
		return TypeB | PropO.If(x.Has(PropO) && y.Has(PropZ)) |
			PropM.If(x.Has(PropM|PropE) && y.Has(PropM) && (x.Has(PropS) || y.Has(PropS))) |
			x&y&(PropZ|PropS) | y&(PropU|PropF|PropD|PropE) | PropX | (x|y)&timelockKinds | x&y&PropK, nil
	case OrC:
		if err := need(n, 0, x, TypeB|PropD|PropU, "or_c tests X's result with NOTIF"); err != nil {
			return 0, err
		}
		if err := need(n, 1, y, TypeV, "or_c's second branch must verify"); err != nil {
			return 0, err
		}
		return TypeV | PropO.If(x.Has(PropO) && y.Has(PropZ)) |
			PropM.If(x.Has(PropM|PropE) && y.Has(PropM) && (x.Has(PropS) || y.Has(PropS))) |
			x&y&(PropZ|PropS) | PropF | PropX | (x|y)&timelockKinds | x&y&PropK, nil
	case OrI:
		if err := oneOf(0, x); err != nil {
			return 0, err
		}
		if baseOf(x) != baseOf(y) {
			return 0, errorAt(n.pos, "or_i: both branches must have the same basic type, but they are %s and %s", x.basic(), y.basic())
		}
		return x&y&(TypeV|TypeB|TypeK|PropU|PropF|PropS) | PropO.If(x.Has(PropZ) && y.Has(PropZ)) |
			PropE.If(x.Has(PropE) && y.Has(PropF) || x.Has(PropF) && y.Has(PropE)) |
			PropM.If(x.Has(PropM) && y.Has(PropM) && (x.Has(PropS) || y.Has(PropS))) |
			(x|y)&PropD | PropX | (x|y)&timelockKinds | x&y&PropK, nil
	case AndOr:
		if err := need(n, 0, x, TypeB|PropD|PropU, "andor tests X's result with NOTIF"); err != nil {
			return 0, err
		}
		if err := oneOf(1, y); err != nil {
			return 0, err
		}
		if baseOf(y) != baseOf(z) {
			return 0, errorAt(n.pos, "andor: the second and third arguments must have the same basic type, but they are %s and %s", y.basic(), z.basic())
		}
		sxfy := x.Has(PropS) || y.Has(PropF)
		return baseOf(y) | x&y&z&PropZ |
			PropO.If(x.Has(PropO) && y.Has(PropZ) && z.Has(PropZ) || x.Has(PropZ) && y.Has(PropO) && z.Has(PropO)) |
			y&z&PropU | (z & PropF).If(sxfy) | z&PropD | (z & PropE).If(sxfy) |
			PropM.If(x.Has(PropM|PropE) && y.Has(PropM) && z.Has(PropM) && (x.Has(PropS) || y.Has(PropS) || z.Has(PropS))) |
			(z & PropS).If(x.Has(PropS) || y.Has(PropS)) | PropX | (x|y|z)&timelockKinds |
			PropK.If(x.Has(PropK) && y.Has(PropK) && z.Has(PropK) && !mixesTimelocks(x, y)), nil
	case Thresh:
		return n.threshType()
	}
	return 0, errorAt(n.pos, "unknown fragment %d", n.frag)
}

func (n *Node) threshType() (Type, error) {
	allE, allM := true, true
	args, numS := 0, 0
	acc := PropK
	for i, s := range n.subs {
		t := s.typ
		want, why := TypeW|PropD|PropU, "use a: or s: on every argument after the first"
		if i == 0 {
			want, why = TypeB|PropD|PropU, "thresh adds up dissatisfiable unit results"
		}
		if !t.Has(want) {
			return 0, errorAt(s.pos, "thresh: argument %d must be %s (%s), but is %s (type %s)", i+1, want, why, t.basic(), t)
		}
		if !t.Has(PropE) {
			allE = false
		}
		if !t.Has(PropM) {
			allM = false
		}
		if t.Has(PropS) {
			numS++
		}
		switch {
		case t.Has(PropZ):
		case t.Has(PropO):
			args++
		default:
			args += 2
		}
		// Two arguments with locks of different units conflict only when
		// the threshold may need both.
		acc = (acc|t)&timelockKinds |
			PropK.If((acc&t).Has(PropK) && (n.k <= 1 || !mixesTimelocks(acc, t)))
	}
	nsubs := len(n.subs)
	return TypeB | PropD | PropU | PropZ.If(args == 0) | PropO.If(args == 1) |
		PropE.If(allE && numS == nsubs) | PropM.If(allE && allM && numS >= nsubs-int(n.k)) |
		PropS.If(numS >= nsubs-int(n.k)+1) | acc, nil
}
