package urwallet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"airsign/psbt/descriptor"
	"airsign/ui/qr/ur"
)

// OutputBranch converts a descriptor to a crypto-output of one branch,
// children 0/* (receive) or 1/* (change). Registries that predate the
// child pair of BCR-2020-007 (Keystone's, the latest on npm) read the
// <0;1> of Output as two wildcards and derive wrong addresses without an
// error; a plain branch path reads right in every registry.
func OutputBranch(d *descriptor.Descriptor, branch uint32) (ur.Output, error) {
	if branch > 1 {
		return ur.Output{}, fmt.Errorf("branch %d does not exist: 0 is receive, 1 change", branch)
	}
	return output(d, &ur.Keypath{Components: []ur.PathComponent{{Kind: ur.ChildIndex, Index: branch}, {Kind: ur.ChildWildcard}}})
}

// Account converts a single-sig descriptor to a crypto-account
// (BCR-2020-015) of that one script type. Its key is the account key with
// no children, as the format requires. A multisig wallet is not one
// account of one master key, so it has no crypto-account form.
func Account(d *descriptor.Descriptor) (ur.Account, error) {
	if d.Script.Multisig() {
		return ur.Account{}, errors.New("a multisig wallet has no crypto-account form: export its crypto-output or output-descriptor")
	}
	o, err := output(d, nil)
	if err != nil {
		return ur.Account{}, err
	}
	return ur.Account{MasterFingerprint: binary.BigEndian.Uint32(d.Origin.Fingerprint[:]), Outputs: []ur.Output{o}}, nil
}

// OutputDescriptor converts a descriptor to a version 3 output descriptor
// (BCR-2023-010): "wpkh(@0)" or "wsh(sortedmulti(2,@0,@1,@2))" with keys
// deriving <0;1>/*, as Sparrow 2.x reads it. name, if any, is the wallet's
// name there.
func OutputDescriptor(d *descriptor.Descriptor, name string) (ur.OutputDescriptor, error) {
	o, err := Output(d)
	if err != nil {
		return ur.OutputDescriptor{}, err
	}
	return v3(o, name), nil
}

// AccountDescriptor converts a single-sig descriptor to an account
// descriptor (BCR-2023-019) of that one script type, its key at account
// level.
func AccountDescriptor(d *descriptor.Descriptor) (ur.AccountDescriptor, error) {
	a, err := Account(d)
	if err != nil {
		return ur.AccountDescriptor{}, err
	}
	return ur.AccountDescriptor{MasterFingerprint: a.MasterFingerprint, Outputs: []ur.OutputDescriptor{v3(a.Outputs[0], "")}}, nil
}

// v3 writes a crypto-output's script as version 3 text around placeholders.
func v3(o ur.Output, name string) ur.OutputDescriptor {
	args := make([]string, 0, len(o.Keys)+1)
	if o.Threshold > 0 {
		args = append(args, strconv.Itoa(o.Threshold))
	}
	for i := range o.Keys {
		args = append(args, ur.Placeholder(i))
	}
	return ur.OutputDescriptor{Source: o.Script.Text(strings.Join(args, ",")), Keys: o.Keys, Name: name}
}

// splitScript returns a script's wrapping functions and its innermost one.
func splitScript(s ur.Script) (wrappers []string, leaf string) {
	funcs := strings.Split(strings.TrimRight(string(s), ")"), "(")
	return funcs[:len(funcs)-1], funcs[len(funcs)-1]
}

// fromV3 reads a version 3 output descriptor's text back into the script,
// threshold and keys of a crypto-output. The text airsign registers is a
// nest of sh and wsh around one function whose arguments are placeholders
// (and, for multisig, the threshold first); a placeholder may carry its
// children in the text ("@0/<0;1>/*", as BIP-388 policies write) instead of
// in its key.
func fromV3(d ur.OutputDescriptor) (ur.Output, error) {
	var funcs []string
	rest := strings.TrimSpace(d.Source)
	for {
		open := strings.IndexByte(rest, '(')
		if open < 0 || !strings.HasSuffix(rest, ")") {
			return ur.Output{}, fmt.Errorf("descriptor text %q is not a script function around keys", truncate(d.Source))
		}
		funcs = append(funcs, rest[:open])
		rest = rest[open+1 : len(rest)-1]
		if f := funcs[len(funcs)-1]; f != "sh" && f != "wsh" || len(funcs) > 3 {
			break
		}
	}
	o := ur.Output{Script: ur.Script(strings.Join(funcs, "(") + strings.Repeat(")", len(funcs)-1))}
	args := strings.Split(rest, ",")
	if leaf := funcs[len(funcs)-1]; leaf == "multi" || leaf == "sortedmulti" {
		t, err := strconv.Atoi(args[0])
		if err != nil {
			return ur.Output{}, fmt.Errorf("%s: the threshold %q is not a number", o.Script, truncate(args[0]))
		}
		o.Threshold, args = t, args[1:]
	}
	var used []int
	for _, arg := range args {
		ph, children, _ := strings.Cut(arg, "/")
		i, err := strconv.Atoi(strings.TrimPrefix(ph, "@"))
		if !strings.HasPrefix(ph, "@") || err != nil || i < 0 || i >= len(d.Keys) || slices.Contains(used, i) {
			return ur.Output{}, fmt.Errorf("%s: argument %q is not a placeholder @0..@%d for a key given once", o.Script, truncate(arg), len(d.Keys)-1)
		}
		used = append(used, i)
		k := d.Keys[i]
		if children != "" {
			kp, err := ur.ParseKeypath(children)
			if err != nil {
				return ur.Output{}, err
			}
			k.Children = &kp
		}
		o.Keys = append(o.Keys, k)
	}
	return o, nil
}

func truncate(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// purposes maps the BIP-44-style purpose of a lone key's origin to the
// script its wallet uses.
var purposes = map[uint32]descriptor.ScriptType{
	44: descriptor.P2PKH, 49: descriptor.P2SHP2WPKH, 84: descriptor.P2WPKH, 86: descriptor.P2TR,
}

// Reads reports whether FromUR reads a UR of type kind.
func Reads(kind string) bool {
	switch kind {
	case ur.TypeOutput, ur.TypeOutputDescriptor, ur.TypeAccount, ur.TypeAccountDescriptor, ur.TypeHDKey, "hdkey":
		return true
	}
	return false
}

// FromUR reads the wallet in a scanned UR: crypto-output, output-descriptor,
// crypto-account, account-descriptor or (the key of a single-sig account)
// crypto-hdkey. net is the wallet's network, or 0 to take the one the keys
// are marked with (mainnet, or for "a test network" testnet: the kiosk
// reads the descriptor again for its own network). An account lists one
// output per script type: script picks one, and may be 0 when the account
// offers one single-sig type only. A lone key's script is script, or the
// one its origin's purpose (44', 49', 84', 86') names.
func FromUR(u ur.UR, net descriptor.Network, script descriptor.ScriptType) (*descriptor.Descriptor, error) {
	var o ur.Output
	switch u.Type {
	case ur.TypeOutput:
		var err error
		if o, err = ur.DecodeOutput(u); err != nil {
			return nil, err
		}
	case ur.TypeOutputDescriptor:
		d, err := ur.DecodeOutputDescriptor(u)
		if err != nil {
			return nil, err
		}
		if len(d.Keys) == 0 { // a whole descriptor's text, keys and all
			if net == 0 {
				return descriptor.Parse(d.Source)
			}
			return descriptor.ParseForNetwork(d.Source, net)
		}
		if o, err = fromV3(d); err != nil {
			return nil, fmt.Errorf("ur:%s: %w", u.Type, err)
		}
	case ur.TypeAccount, ur.TypeAccountDescriptor:
		outputs, err := accountOutputs(u)
		if err != nil {
			return nil, err
		}
		if o, err = pickOutput(outputs, script); err != nil {
			return nil, fmt.Errorf("ur:%s: %w", u.Type, err)
		}
	case ur.TypeHDKey, "hdkey":
		k, err := ur.DecodeHDKey(u)
		if err != nil {
			return nil, err
		}
		if o, err = loneKey(k, script); err != nil {
			return nil, fmt.Errorf("ur:%s: %w", u.Type, err)
		}
	default:
		return nil, fmt.Errorf("ur:%s is not a wallet: expected crypto-output, output-descriptor, crypto-account, account-descriptor or crypto-hdkey", u.Type)
	}
	if net == 0 {
		net = markedNetwork(o.Keys)
	}
	d, err := Descriptor(o, net)
	if err != nil {
		return nil, fmt.Errorf("ur:%s: %w", u.Type, err)
	}
	return d, nil
}

// accountOutputs reads either version of an account as crypto-outputs,
// giving each key without a source fingerprint the account's master
// fingerprint (BCR-2023-019's resolution rule).
func accountOutputs(u ur.UR) ([]ur.Output, error) {
	var fp uint32
	var outputs []ur.Output
	if u.Type == ur.TypeAccount {
		a, err := ur.DecodeAccount(u)
		if err != nil {
			return nil, err
		}
		fp, outputs = a.MasterFingerprint, a.Outputs
	} else {
		a, err := ur.DecodeAccountDescriptor(u)
		if err != nil {
			return nil, err
		}
		fp = a.MasterFingerprint
		for i, d := range a.Outputs {
			o, err := fromV3(d)
			if err != nil {
				return nil, fmt.Errorf("ur:%s output %d: %w", u.Type, i+1, err)
			}
			outputs = append(outputs, o)
		}
	}
	for _, o := range outputs {
		for i := range o.Keys {
			if k := &o.Keys[i]; k.Origin != nil && k.Origin.SourceFingerprint == 0 {
				origin := *k.Origin
				origin.SourceFingerprint = fp
				k.Origin = &origin
			}
		}
	}
	return outputs, nil
}

// pickOutput chooses the account's output of script, or its only
// single-sig one.
func pickOutput(outputs []ur.Output, script descriptor.ScriptType) (ur.Output, error) {
	var offered []string
	var found []ur.Output
	for _, o := range outputs {
		if _, leaf := splitScript(o.Script); leaf == "cosigner" {
			continue // one cosigner's key, not a wallet
		}
		offered = append(offered, string(o.Script))
		if want, ok := scripts[script]; script == 0 || ok && want == o.Script {
			found = append(found, o)
		}
	}
	switch {
	case len(offered) == 0:
		return ur.Output{}, errors.New("the account offers multisig cosigner keys only, no wallet: register the multisig wallet's descriptor (or BSMS record) that lists every cosigner")
	case len(found) == 1:
		return found[0], nil
	case script == 0:
		return ur.Output{}, fmt.Errorf("the account offers %s: say which script type to register (--script)", strings.Join(offered, ", "))
	}
	return ur.Output{}, fmt.Errorf("the account offers %s, not %v", strings.Join(offered, ", "), script)
}

// loneKey makes the single-sig wallet of an account key.
func loneKey(k ur.HDKey, script descriptor.ScriptType) (ur.Output, error) {
	if script == 0 {
		if k.Origin == nil || len(k.Origin.Components) == 0 {
			return ur.Output{}, descriptor.ErrMissingOrigin
		}
		c := k.Origin.Components[0]
		st, ok := purposes[c.Index]
		if !ok || !c.Hardened {
			return ur.Output{}, fmt.Errorf("the key's origin %s does not start with 44', 49', 84' or 86', so it does not say its script type: give it (--script)", k.Origin)
		}
		script = st
	}
	s, ok := scripts[script]
	if !ok || script.Multisig() {
		return ur.Output{}, fmt.Errorf("one key makes a single-sig wallet, not %v: register a multisig wallet by its descriptor", script)
	}
	return ur.Output{Script: s, Keys: []ur.HDKey{k}}, nil
}
