package miniscript

// Sane reports whether the expression is safe to receive coins: every
// satisfaction fits the resource limits, a non-malleable satisfaction
// always exists (BIP-379 property m), no spending path needs a height and
// a time lock of one kind at once (k), no key appears twice, and every
// spending path needs a signature (s). The error names the rule and the
// smallest sub-expression that breaks it.
func (n *Node) Sane() error {
	if n.ctx == Wsh {
		if ops, ok := n.Ops(); ok && ops > maxWshOps {
			return errorAt(n.pos, "a satisfaction may execute %d opcodes; consensus allows %d", ops, maxWshOps)
		}
		if st, ok := n.StackSize(); ok && st > maxWshStackItems {
			return errorAt(n.pos, "a satisfaction may need %d witness elements; P2WSH standardness allows %d", st, maxWshStackItems)
		}
	}
	if bad := n.deepestWithout(PropM); bad != nil {
		return errorAt(bad.pos, "%s is malleable: a third party could change its witness (BIP-379 property m); every branch needs a signature or a unique dissatisfaction", bad)
	}
	if bad := n.deepestWithout(PropK); bad != nil {
		return errorAt(bad.pos, "%s mixes height and time locks of one kind in a spending path that no transaction can satisfy", bad)
	}
	seen := map[string]bool{}
	var dup *Node
	var dupKey string
	n.walk(func(m *Node) {
		for _, k := range m.keys {
			if seen[k] && dup == nil {
				dup, dupKey = m, k
			}
			seen[k] = true
		}
	})
	if dup != nil {
		return errorAt(dup.pos, "key %s appears more than once; signatures for one use could be moved to the other, so each key may appear only once", dupKey)
	}
	if !n.typ.Has(PropS) {
		return errorAt(n.pos, "%s can be spent without any signature (BIP-379 property s), so anyone who sees it could take the coins", n)
	}
	return nil
}

// deepestWithout returns the smallest sub-expression lacking prop whose own
// subs all have it, or nil when n has it.
func (n *Node) deepestWithout(prop Type) *Node {
	if n.typ.Has(prop) {
		return nil
	}
	for _, s := range n.subs {
		if bad := s.deepestWithout(prop); bad != nil {
			return bad
		}
	}
	return n
}
