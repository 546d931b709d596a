package miniscript

import (
	"fmt"
	"strings"
	"time"
)

// Signers is a group of keys of which K must sign.
type Signers struct {
	K    int
	Keys []string
}

// Path is one way to spend: the signatures, locks and preimages it needs
// together. A wallet shows its paths to the operator ("2 of A, B, C" or
// "D after 52560 blocks").
type Path struct {
	Signers []Signers
	// Older and After are the relative (nSequence) and absolute
	// (nLockTime) locks the path waits for; 0 when none.
	Older, After uint32
	Hashes       []string
}

// maxPaths caps the paths Paths lists: a thresh over many branches has
// combinatorially many, and no operator reads a thousand.
const maxPaths = 1000

// maxPathSteps caps the work of choosing k of a thresh's arguments, most
// of whose choices may conflict (mixed locks) and list nothing.
const maxPathSteps = 100000

// Paths lists the expression's spending paths. Paths that would need a
// height and a time lock of one kind together are left out: no
// transaction can take them.
func (n *Node) Paths() ([]Path, error) {
	paths, err := n.paths()
	if err != nil {
		return nil, err
	}
	return paths, nil
}

func (n *Node) paths() ([]Path, error) {
	sub := make([][]Path, len(n.subs))
	for i, s := range n.subs {
		var err error
		if sub[i], err = s.paths(); err != nil {
			return nil, err
		}
	}
	var out []Path
	switch n.frag {
	case Just0:
		return nil, nil
	case Just1:
		return []Path{{}}, nil
	case PkK, PkH:
		return []Path{{Signers: []Signers{{1, []string{n.keys[0]}}}}}, nil
	case Multi, MultiA, SortedMultiA:
		return []Path{{Signers: []Signers{{int(n.k), append([]string(nil), n.keys...)}}}}, nil
	case Older:
		return []Path{{Older: n.k}}, nil
	case After:
		return []Path{{After: n.k}}, nil
	case Sha256, Hash256, Ripemd160, Hash160:
		return []Path{{Hashes: []string{hashName(n.frag, n.hash)}}}, nil
	case AndV, AndB:
		out = crossPaths(sub[0], sub[1])
	case OrB, OrC, OrD, OrI:
		out = append(append(out, sub[0]...), sub[1]...)
	case AndOr:
		out = append(crossPaths(sub[0], sub[1]), sub[2]...)
	case WrapA, WrapS, WrapC, WrapD, WrapV, WrapJ, WrapN:
		out = sub[0]
	case Thresh:
		var rec func(start, need int, acc []Path) error
		steps := 0
		rec = func(start, need int, acc []Path) error {
			if len(acc) == 0 {
				return nil // no way to take the arguments chosen so far together
			}
			if steps++; steps > maxPathSteps {
				return fmt.Errorf("miniscript: %s has too many combinations of arguments to list its spending paths", n)
			}
			if need == 0 {
				out = append(out, acc...)
				if len(out) > maxPaths {
					return fmt.Errorf("miniscript: %s has more than %d spending paths to list", n, maxPaths)
				}
				return nil
			}
			for i := start; i <= len(sub)-need; i++ {
				if err := rec(i+1, need-1, crossPaths(acc, sub[i])); err != nil {
					return err
				}
			}
			return nil
		}
		if err := rec(0, int(n.k), []Path{{}}); err != nil {
			return nil, err
		}
	}
	if len(out) > maxPaths {
		return nil, fmt.Errorf("miniscript: %s has more than %d spending paths to list", n, maxPaths)
	}
	return out, nil
}

// crossPaths is every way to take one path of a and one of b together.
func crossPaths(a, b []Path) []Path {
	var out []Path
	for _, p := range a {
		for _, q := range b {
			if m, ok := mergePaths(p, q); ok {
				out = append(out, m)
			}
			if len(out) > maxPaths {
				return out
			}
		}
	}
	return out
}

func mergePaths(p, q Path) (Path, bool) {
	if p.Older != 0 && q.Older != 0 && p.Older&sequenceTypeFlag != q.Older&sequenceTypeFlag {
		return Path{}, false
	}
	if p.After != 0 && q.After != 0 && (p.After < lockTimeThreshold) != (q.After < lockTimeThreshold) {
		return Path{}, false
	}
	return Path{
		Signers: append(append([]Signers(nil), p.Signers...), q.Signers...),
		Older:   max(p.Older, q.Older),
		After:   max(p.After, q.After),
		Hashes:  append(append([]string(nil), p.Hashes...), q.Hashes...),
	}, true
}

// String says what the path needs, in words an operator reads.
func (p Path) String() string {
	var parts []string
	for _, g := range p.Signers {
		if g.K == len(g.Keys) {
			parts = append(parts, strings.Join(g.Keys, " and "))
		} else {
			parts = append(parts, fmt.Sprintf("%d of %s", g.K, strings.Join(g.Keys, ", ")))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "no signature")
	}
	s := strings.Join(parts, " and ")
	if p.Older != 0 {
		s += ", " + DescribeOlder(p.Older) + " after the coin confirms"
	}
	if p.After != 0 {
		s += ", from " + DescribeAfter(p.After)
	}
	for _, h := range p.Hashes {
		s += ", revealing the preimage of " + h
	}
	return s
}

// DescribeOlder says what a relative lock (BIP-68 nSequence value) waits
// for: blocks, or units of 512 seconds.
func DescribeOlder(v uint32) string {
	if v&sequenceTypeFlag != 0 {
		secs := int64(v&0xffff) * 512
		return fmt.Sprintf("%d × 512 seconds (about %.1f days)", v&0xffff, float64(secs)/86400)
	}
	// At ten minutes a block; a lock shorter than two days (regtest
	// drills, short refresh windows) in hours or minutes, not "0 days".
	blocks := v & 0xffff
	switch {
	case blocks >= 288:
		return fmt.Sprintf("%d blocks (about %.0f days)", blocks, float64(blocks)/144)
	case blocks >= 12:
		return fmt.Sprintf("%d blocks (about %.0f hours)", blocks, float64(blocks)/6)
	}
	return fmt.Sprintf("%d blocks (about %d minutes)", blocks, blocks*10)
}

// DescribeAfter says what an absolute lock (nLockTime value) waits for: a
// block height, or a time.
func DescribeAfter(v uint32) string {
	if v < lockTimeThreshold {
		return fmt.Sprintf("block %d", v)
	}
	return time.Unix(int64(v), 0).UTC().Format("2006-01-02 15:04 UTC")
}

// Open reports whether the path's locks are met by the spending
// transaction's version, lock time and input nSequence in sp (its
// signatures and preimages are not looked at): what decides whether a
// recovery path may be taken yet.
func (p Path) Open(sp Spend) bool {
	return (p.Older == 0 || sp.olderMet(p.Older)) && (p.After == 0 || sp.afterMet(p.After))
}
