package ur

import (
	"errors"
	"fmt"
	"math"
)

// CBOR layouts of the registry types. Writers emit deterministic CBOR with
// map keys in ascending order and omit fields at their defaults, which
// reproduces the registry's examples byte for byte. Readers accept either
// tag version, skip unknown map keys and refuse duplicate ones.

const maxScriptNesting = 3 // sh(wsh(x)) plus one spare

func writeOutput(w *cborWriter, o Output) error {
	wrappers, leaf := o.Script.split()
	if len(wrappers) > maxScriptNesting {
		return fmt.Errorf("ur: script %q nests too deep", o.Script)
	}
	for _, f := range wrappers {
		if f != "sh" && f != "wsh" {
			return fmt.Errorf("ur: script %q: only sh and wsh may wrap another script, not %s", o.Script, f)
		}
		w.tag(scriptTags[f])
	}
	tag, ok := scriptTags[leaf]
	if !ok || leaf == "sh" || leaf == "wsh" {
		return fmt.Errorf("ur: script %q: %q is not a key or multisig function crypto-output can carry", o.Script, leaf)
	}
	w.tag(tag)
	if leaf == "multi" || leaf == "sortedmulti" {
		if len(o.Keys) == 0 || o.Threshold < 1 || o.Threshold > len(o.Keys) {
			return fmt.Errorf("ur: %s needs 1 <= threshold <= keys, have %d of %d", o.Script, o.Threshold, len(o.Keys))
		}
		w.mapHead(2)
		w.uint(1)
		w.uint(uint64(o.Threshold))
		w.uint(2)
		w.array(len(o.Keys))
		for i, k := range o.Keys {
			if err := writeKey(w, k); err != nil {
				return fmt.Errorf("key %d: %w", i+1, err)
			}
		}
		return nil
	}
	if len(o.Keys) != 1 || o.Threshold != 0 {
		return fmt.Errorf("ur: %s takes one key and no threshold, have %d keys and threshold %d", o.Script, len(o.Keys), o.Threshold)
	}
	return writeKey(w, o.Keys[0])
}

func writeKey(w *cborWriter, k HDKey) error {
	if k.EC {
		if len(k.KeyData) != 33 && !(k.Private && len(k.KeyData) == 32) {
			return fmt.Errorf("ur: EC key data is %d bytes, want 33 (or 32 for a private key)", len(k.KeyData))
		}
		w.regTag(tagECKey)
		n := 1
		if k.Private {
			n = 2
		}
		w.mapHead(n)
		if k.Private {
			w.uint(2)
			w.bool(true)
		}
		w.uint(3)
		w.bytes(k.KeyData)
		return nil
	}
	w.regTag(tagHDKey)
	return writeHDKey(w, k)
}

func writeHDKey(w *cborWriter, k HDKey) error {
	if len(k.KeyData) != 33 {
		return fmt.Errorf("ur: HD key data is %d bytes, want 33", len(k.KeyData))
	}
	if k.ChainCode != nil && len(k.ChainCode) != 32 {
		return fmt.Errorf("ur: HD chain code is %d bytes, want 32", len(k.ChainCode))
	}
	if k.Master {
		if k.ChainCode == nil || k.UseInfo != nil || k.Origin != nil || k.Children != nil || k.ParentFingerprint != 0 || k.Name != "" || k.Note != "" {
			return errors.New("ur: a master HD key carries key data and chain code only")
		}
		w.mapHead(3)
		w.uint(1)
		w.bool(true)
		w.uint(3)
		w.bytes(k.KeyData)
		w.uint(4)
		w.bytes(k.ChainCode)
		return nil
	}
	n := 1
	for _, present := range []bool{k.Private, k.ChainCode != nil, k.UseInfo != nil, k.Origin != nil, k.Children != nil, k.ParentFingerprint != 0, k.Name != "", k.Note != ""} {
		if present {
			n++
		}
	}
	w.mapHead(n)
	if k.Private {
		w.uint(2)
		w.bool(true)
	}
	w.uint(3)
	w.bytes(k.KeyData)
	if k.ChainCode != nil {
		w.uint(4)
		w.bytes(k.ChainCode)
	}
	if c := k.UseInfo; c != nil {
		w.uint(5)
		w.regTag(tagCoinInfo)
		m := 0
		if c.Type != 0 {
			m++
		}
		if c.Network != 0 {
			m++
		}
		w.mapHead(m)
		if c.Type != 0 {
			w.uint(1)
			w.uint(uint64(c.Type))
		}
		if c.Network != 0 {
			w.uint(2)
			w.int(c.Network)
		}
	}
	if k.Origin != nil {
		w.uint(6)
		if err := writeKeypath(w, *k.Origin); err != nil {
			return fmt.Errorf("origin: %w", err)
		}
	}
	if k.Children != nil {
		w.uint(7)
		if err := writeKeypath(w, *k.Children); err != nil {
			return fmt.Errorf("children: %w", err)
		}
	}
	if k.ParentFingerprint != 0 {
		w.uint(8)
		w.uint(uint64(k.ParentFingerprint))
	}
	if k.Name != "" {
		w.uint(9)
		w.text(k.Name)
	}
	if k.Note != "" {
		w.uint(10)
		w.text(k.Note)
	}
	return nil
}

func writeKeypath(w *cborWriter, kp Keypath) error {
	w.regTag(tagKeypath)
	n := 1
	if kp.SourceFingerprint != 0 {
		n++
	}
	if kp.HasDepth {
		n++
	}
	w.mapHead(n)
	w.uint(1)
	m := 0
	for _, c := range kp.Components {
		if c.Kind == ChildPair {
			m++ // one array
		} else {
			m += 2
		}
	}
	w.array(m)
	for _, c := range kp.Components {
		if c.Index >= 1<<31 || (c.Kind == ChildRange || c.Kind == ChildPair) && c.High >= 1<<31 {
			return fmt.Errorf("ur: keypath component %s has an index of 2^31 or more; use Hardened", c)
		}
		switch c.Kind {
		case ChildIndex:
			w.uint(uint64(c.Index))
		case ChildRange:
			if c.Index >= c.High {
				return fmt.Errorf("ur: keypath range %s must run from low to high", c)
			}
			w.array(2)
			w.uint(uint64(c.Index))
			w.uint(uint64(c.High))
		case ChildWildcard:
			w.array(0)
		case ChildPair:
			w.array(4)
			w.uint(uint64(c.Index))
			w.bool(c.Hardened)
			w.uint(uint64(c.High))
			w.bool(c.HighHardened)
			continue
		default:
			return fmt.Errorf("ur: unknown keypath component kind %d", c.Kind)
		}
		w.bool(c.Hardened)
	}
	if kp.SourceFingerprint != 0 {
		w.uint(2)
		w.uint(uint64(kp.SourceFingerprint))
	}
	if kp.HasDepth {
		w.uint(3)
		w.uint(uint64(kp.Depth))
	}
	return nil
}

func readOutput(r *cborReader) (Output, error) {
	var o Output
	var funcs []string
	for {
		major, ok := r.peekMajor()
		if !ok {
			return o, errCBOREnd
		}
		if major != majorTag {
			return o, errors.New("expected a script expression tag (400-410)")
		}
		_, tag, err := r.head()
		if err != nil {
			return o, err
		}
		name := scriptName(tag)
		if name == "" {
			return o, fmt.Errorf("tag %d is not a script expression crypto-output supports", tag)
		}
		funcs = append(funcs, name)
		if name == "sh" || name == "wsh" {
			if len(funcs) > maxScriptNesting {
				return o, errors.New("script expressions nest too deep")
			}
			continue
		}
		break
	}
	o.Script = Script(funcs[len(funcs)-1])
	for i := len(funcs) - 2; i >= 0; i-- {
		o.Script = Script(funcs[i] + "(" + string(o.Script) + ")")
	}
	if leaf := funcs[len(funcs)-1]; leaf == "multi" || leaf == "sortedmulti" {
		n, err := r.mapHead()
		if err != nil {
			return o, fmt.Errorf("%s: %w", leaf, err)
		}
		var seen [3]bool
		for range n {
			key, err := r.uint()
			if err != nil {
				return o, fmt.Errorf("%s key: %w", leaf, err)
			}
			if key < 3 {
				if seen[key] {
					return o, fmt.Errorf("%s field %d appears twice", leaf, key)
				}
				seen[key] = true
			}
			switch key {
			case 1:
				t, err := r.uint()
				if err != nil {
					return o, fmt.Errorf("threshold: %w", err)
				}
				if t > math.MaxInt32 {
					return o, fmt.Errorf("threshold %d is absurd", t)
				}
				o.Threshold = int(t)
			case 2:
				m, err := r.array()
				if err != nil {
					return o, fmt.Errorf("keys: %w", err)
				}
				for i := range m {
					k, err := readKey(r)
					if err != nil {
						return o, fmt.Errorf("key %d: %w", i+1, err)
					}
					o.Keys = append(o.Keys, k)
				}
			default:
				if err := r.skip(1); err != nil {
					return o, err
				}
			}
		}
		if !seen[1] || !seen[2] || o.Threshold < 1 || o.Threshold > len(o.Keys) {
			return o, fmt.Errorf("%s needs a threshold from 1 to the number of keys, have %d of %d", leaf, o.Threshold, len(o.Keys))
		}
		return o, nil
	}
	k, err := readKey(r)
	if err != nil {
		return o, err
	}
	o.Keys = []HDKey{k}
	return o, nil
}

func readKey(r *cborReader) (HDKey, error) {
	t, err := r.optionalTag(tagHDKey, tagV2+tagHDKey, tagECKey, tagV2+tagECKey)
	if err != nil {
		return HDKey{}, fmt.Errorf("expected an HD key (tag 303) or EC key (tag 306): %w", err)
	}
	switch t {
	case tagHDKey, tagV2 + tagHDKey:
		return readHDKey(r)
	case tagECKey, tagV2 + tagECKey:
		return readECKey(r)
	}
	if m, arg, err := r.head(); err == nil {
		return HDKey{}, fmt.Errorf("expected an HD key (tag 303) or EC key (tag 306), found %s", majorName(m, arg))
	}
	return HDKey{}, errCBOREnd
}

func readECKey(r *cborReader) (HDKey, error) {
	k := HDKey{EC: true}
	n, err := r.mapHead()
	if err != nil {
		return k, fmt.Errorf("EC key: %w", err)
	}
	var seen [4]bool
	for range n {
		key, err := r.uint()
		if err != nil {
			return k, fmt.Errorf("EC key field: %w", err)
		}
		if key < 4 {
			if seen[key] {
				return k, fmt.Errorf("EC key field %d appears twice", key)
			}
			seen[key] = true
		}
		switch key {
		case 1:
			c, err := r.int()
			if err != nil {
				return k, fmt.Errorf("curve: %w", err)
			}
			if c != 0 {
				return k, fmt.Errorf("curve %d is not secp256k1 (0)", c)
			}
		case 2:
			if k.Private, err = r.bool(); err != nil {
				return k, fmt.Errorf("is-private: %w", err)
			}
		case 3:
			d, err := r.bytes()
			if err != nil {
				return k, fmt.Errorf("key data: %w", err)
			}
			k.KeyData = append([]byte(nil), d...)
		default:
			if err := r.skip(1); err != nil {
				return k, err
			}
		}
	}
	if len(k.KeyData) != 33 && !(k.Private && len(k.KeyData) == 32) {
		return k, fmt.Errorf("EC key data is %d bytes, want 33", len(k.KeyData))
	}
	return k, nil
}

func readHDKey(r *cborReader) (HDKey, error) {
	var k HDKey
	n, err := r.mapHead()
	if err != nil {
		return k, fmt.Errorf("HD key: %w", err)
	}
	var seen [11]bool
	for range n {
		key, err := r.uint()
		if err != nil {
			return k, fmt.Errorf("HD key field: %w", err)
		}
		if key < uint64(len(seen)) {
			if seen[key] {
				return k, fmt.Errorf("HD key field %d appears twice", key)
			}
			seen[key] = true
		}
		switch key {
		case 1:
			k.Master, err = r.bool()
		case 2:
			k.Private, err = r.bool()
		case 3:
			var d []byte
			if d, err = r.bytes(); err == nil {
				k.KeyData = append([]byte(nil), d...)
			}
		case 4:
			var d []byte
			if d, err = r.bytes(); err == nil {
				k.ChainCode = append([]byte(nil), d...)
			}
		case 5:
			var c CoinInfo
			c, err = readCoinInfo(r)
			k.UseInfo = &c
		case 6:
			var kp Keypath
			kp, err = readKeypath(r)
			k.Origin = &kp
		case 7:
			var kp Keypath
			kp, err = readKeypath(r)
			k.Children = &kp
		case 8:
			k.ParentFingerprint, err = r.uint32()
		case 9:
			k.Name, err = r.text()
		case 10:
			k.Note, err = r.text()
		default:
			err = r.skip(1)
		}
		if err != nil {
			return k, fmt.Errorf("HD key field %d: %w", key, err)
		}
	}
	switch {
	case len(k.KeyData) != 33:
		return k, fmt.Errorf("HD key data is %d bytes, want 33", len(k.KeyData))
	case k.ChainCode != nil && len(k.ChainCode) != 32:
		return k, fmt.Errorf("HD chain code is %d bytes, want 32", len(k.ChainCode))
	case k.Master && k.ChainCode == nil:
		return k, errors.New("a master HD key needs a chain code")
	case k.Master && (k.UseInfo != nil || k.Origin != nil || k.Children != nil || k.ParentFingerprint != 0 || k.Name != "" || k.Note != ""):
		return k, errors.New("a master HD key carries key data and chain code only (BCR-2020-007)")
	}
	if k.Master {
		k.Private = true // implied (BCR-2020-007)
	}
	return k, nil
}

func readCoinInfo(r *cborReader) (CoinInfo, error) {
	var c CoinInfo
	if _, err := r.optionalTag(tagCoinInfo, tagV2+tagCoinInfo); err != nil {
		return c, err
	}
	n, err := r.mapHead()
	if err != nil {
		return c, err
	}
	for range n {
		key, err := r.uint()
		if err != nil {
			return c, err
		}
		switch key {
		case 1:
			t, err := r.uint32()
			if err != nil {
				return c, fmt.Errorf("coin type: %w", err)
			}
			if t >= 1<<31 {
				return c, fmt.Errorf("coin type %d has the hardened bit set", t)
			}
			c.Type = t
		case 2:
			if c.Network, err = r.int(); err != nil {
				return c, fmt.Errorf("network: %w", err)
			}
		default:
			if err := r.skip(1); err != nil {
				return c, err
			}
		}
	}
	return c, nil
}

func readKeypath(r *cborReader) (Keypath, error) {
	var kp Keypath
	if _, err := r.optionalTag(tagKeypath, tagV2+tagKeypath); err != nil {
		return kp, err
	}
	n, err := r.mapHead()
	if err != nil {
		return kp, err
	}
	for range n {
		key, err := r.uint()
		if err != nil {
			return kp, err
		}
		switch key {
		case 1:
			if kp.Components, err = readComponents(r); err != nil {
				return kp, err
			}
		case 2:
			if kp.SourceFingerprint, err = r.uint32(); err != nil {
				return kp, fmt.Errorf("source fingerprint: %w", err)
			}
		case 3:
			d, err := r.uint()
			if err != nil || d > math.MaxUint8 {
				return kp, fmt.Errorf("depth is not a number from 0 to 255")
			}
			kp.Depth, kp.HasDepth = uint8(d), true
		default:
			if err := r.skip(1); err != nil {
				return kp, err
			}
		}
	}
	return kp, nil
}

func readComponents(r *cborReader) ([]PathComponent, error) {
	n, err := r.array()
	if err != nil {
		return nil, fmt.Errorf("components: %w", err)
	}
	index := func() (uint32, error) {
		i, err := r.uint32()
		if err == nil && i >= 1<<31 {
			err = fmt.Errorf("child index %d is 2^31 or more", i)
		}
		return i, err
	}
	var out []PathComponent
	for i := 0; i < n; i++ {
		major, ok := r.peekMajor()
		if !ok {
			return nil, errCBOREnd
		}
		var c PathComponent
		if major == majorUint {
			c.Kind = ChildIndex
			if c.Index, err = index(); err != nil {
				return nil, err
			}
		} else {
			m, err := r.array()
			if err != nil {
				return nil, fmt.Errorf("component %d: %w", len(out)+1, err)
			}
			switch m {
			case 0:
				c.Kind = ChildWildcard
			case 2:
				c.Kind = ChildRange
				if c.Index, err = index(); err != nil {
					return nil, err
				}
				if c.High, err = index(); err != nil {
					return nil, err
				}
			case 4:
				c.Kind = ChildPair
				if c.Index, err = index(); err != nil {
					return nil, err
				}
				if c.Hardened, err = r.bool(); err != nil {
					return nil, err
				}
				if c.High, err = index(); err != nil {
					return nil, err
				}
				if c.HighHardened, err = r.bool(); err != nil {
					return nil, err
				}
				out = append(out, c)
				continue // a pair has no trailing is-hardened
			default:
				return nil, fmt.Errorf("component %d is an array of %d items; expected a range, wildcard or pair", len(out)+1, m)
			}
		}
		i++
		if i >= n {
			return nil, fmt.Errorf("component %d lacks its is-hardened flag", len(out)+1)
		}
		if c.Hardened, err = r.bool(); err != nil {
			return nil, fmt.Errorf("component %d: %w", len(out)+1, err)
		}
		out = append(out, c)
	}
	return out, nil
}
