package builder

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/base58"
	btcpsbt "github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"airsign/psbt"
	"airsign/psbt/descriptor"
)

// Input is one coin of the wallet to spend.
type Input struct {
	OutPoint wire.OutPoint
	Value    btcutil.Amount
	PkScript []byte
	// Branch (0 receive, 1 change) and Index locate the coin's script in
	// the wallet's descriptor.
	Branch, Index uint32
	// PrevTx is the full funding transaction, carried as non_witness_utxo:
	// required for every non-taproot input, since the kiosk proves
	// amounts from it (the segwit fee attack). Its txid must be
	// OutPoint.Hash and its output OutPoint.Index must be Value to
	// PkScript. Optional for taproot, and checked when given. The PSBT
	// refers to it: do not change it afterwards.
	PrevTx *wire.MsgTx
}

// Payment is an output to someone else: a standard script of the wallet's
// network, or an OP_RETURN of zero value.
type Payment struct {
	PkScript []byte
	Value    btcutil.Amount
}

// Change is the output back to the wallet, at Index of the change branch
// (1).
type Change struct {
	Index uint32
	Value btcutil.Amount
}

// Request is everything a withdrawal's PSBT is built from. The fee is what
// the inputs leave over after the payments and the change.
type Request struct {
	Wallet *descriptor.Descriptor
	// Script is a wallet with spending paths (wsh miniscript, taproot
	// tree), given instead of Wallet. Its inputs carry the witness script
	// (wsh) or the internal key, merkle root and every leaf with its
	// control block (taproot), and derivations of every key; which path
	// spends is chosen by Sequence (a recovery path's relative lock).
	Script   *descriptor.ScriptWallet
	Inputs   []Input
	Payments []Payment
	Change   *Change // nil for no change
	// LockTime is the transaction's lock time: the current tip height,
	// against fee sniping.
	LockTime uint32
	// Sequence is every input's sequence number; 0 means 0xfffffffd,
	// which signals replaceability (BIP125) and enables LockTime.
	Sequence uint32
	// ShuffleSeed chooses the order of inputs and outputs: BIP69 when nil
	// or empty, else a deterministic shuffle (see the package
	// documentation).
	ShuffleSeed []byte
	// Revoke builds a transaction that pays no one: every input back to
	// Change. It spends the coins of a request that is cancelled after
	// its PSBT left, so that no signed copy of it can pay.
	Revoke bool
}

// DefaultSequence is the sequence number of inputs when Request.Sequence is
// 0: replaceable (BIP125), lock time enabled.
const DefaultSequence = wire.MaxTxInSequenceNum - 2

// Errors Build wraps, for errors.Is. The message around each says which
// input or output was wrong and how.
var (
	// ErrRequest reports a request that is incomplete or malformed:
	// no wallet, no inputs, no payments, a nonstandard payment script.
	ErrRequest = errors.New("invalid withdrawal request")
	// ErrNotWallet reports an input whose script is not the wallet's at
	// the branch and index it claims.
	ErrNotWallet = errors.New("the input is not a coin of this wallet")
	// ErrPrevTx reports a previous transaction that is missing or does
	// not hold the coin the input claims.
	ErrPrevTx = errors.New("the input's previous transaction is missing or does not match")
	// ErrDuplicateInput reports a coin spent twice.
	ErrDuplicateInput = errors.New("the same coin is spent twice")
	// ErrAmount reports an amount outside 0 to 21 million BTC, sums that
	// overflow it, or outputs worth more than the inputs.
	ErrAmount = errors.New("amount out of range")
	// ErrDust reports an output below the dust limit of its script: nodes
	// would not relay the transaction, and the kiosk refuses it.
	ErrDust = errors.New("output below the dust limit")
	// ErrTooLarge reports a PSBT beyond what psbt.Decode accepts: more
	// than psbt.MaxInputs inputs or psbt.MaxOutputs outputs, or more than
	// psbt.MaxPSBTBytes in base64.
	ErrTooLarge = errors.New("the PSBT would exceed the kiosk's limits")
)

// Build makes the unsigned PSBT of req (see the package documentation for
// what it holds). It refuses, with an error wrapping one of the errors
// above, a request the kiosk would refuse or that would not make a valid
// transaction.
func Build(req Request) (*btcpsbt.Packet, error) {
	w := req.Wallet
	b := &build{w: w, sw: req.Script}
	switch {
	case w != nil && req.Script != nil:
		return nil, fmt.Errorf("%w: a descriptor and a script wallet given: build for one wallet", ErrRequest)
	case req.Script != nil:
		b.net = req.Script.Network
	case w == nil:
		return nil, fmt.Errorf("%w: no wallet descriptor", ErrRequest)
	default:
		if err := w.Validate(); err != nil {
			return nil, fmt.Errorf("%w: the wallet descriptor: %w", ErrRequest, err)
		}
		b.net, b.fps = w.Network, fingerprints(w)
	}
	nOut := len(req.Payments)
	if req.Change != nil {
		nOut++
	}
	switch {
	case len(req.Inputs) == 0:
		return nil, fmt.Errorf("%w: no inputs", ErrRequest)
	case req.Revoke && (len(req.Payments) != 0 || req.Change == nil):
		return nil, fmt.Errorf("%w: a revocation pays no one and everything back to change", ErrRequest)
	case len(req.Payments) == 0 && !req.Revoke:
		return nil, fmt.Errorf("%w: no payments: a withdrawal pays someone", ErrRequest)
	case len(req.Inputs) > psbt.MaxInputs:
		return nil, fmt.Errorf("%w: %d inputs, the kiosk takes at most %d: spend fewer coins, or consolidate first", ErrTooLarge, len(req.Inputs), psbt.MaxInputs)
	case nOut > psbt.MaxOutputs:
		return nil, fmt.Errorf("%w: %d outputs, the kiosk takes at most %d: split the withdrawal", ErrTooLarge, nOut, psbt.MaxOutputs)
	}
	seq := req.Sequence
	if seq == 0 {
		seq = DefaultSequence
	}

	ins := make([]input, len(req.Inputs))
	seen := make(map[wire.OutPoint]int, len(req.Inputs))
	var totalIn btcutil.Amount
	prevBytes := 0
	for i := range req.Inputs {
		in := &req.Inputs[i]
		if j, dup := seen[in.OutPoint]; dup {
			return nil, fmt.Errorf("%w: inputs %d and %d both spend %s", ErrDuplicateInput, j, i, in.OutPoint)
		}
		seen[in.OutPoint] = i
		if in.Value <= 0 || in.Value > btcutil.MaxSatoshi {
			return nil, fmt.Errorf("%w: input %d (%s) is worth %d satoshis, outside 1 to 21 million BTC", ErrAmount, i, in.OutPoint, int64(in.Value))
		}
		if totalIn += in.Value; totalIn > btcutil.MaxSatoshi {
			return nil, fmt.Errorf("%w: the inputs add up to more than 21 million BTC", ErrAmount)
		}
		pin, err := b.input(i, in)
		if err != nil {
			return nil, err
		}
		if pin.NonWitnessUtxo != nil {
			if prevBytes += in.PrevTx.SerializeSize(); prevBytes > maxBinary {
				return nil, fmt.Errorf("%w: the previous transactions of inputs 0 to %d alone take more than %d bytes: spend fewer coins", ErrTooLarge, i, maxBinary)
			}
		}
		ins[i] = input{txIn: wire.TxIn{PreviousOutPoint: in.OutPoint, Sequence: seq}, p: pin}
	}

	outs := make([]output, 0, nOut)
	var totalOut btcutil.Amount
	for i, pay := range req.Payments {
		if err := b.payment(i, pay); err != nil {
			return nil, err
		}
		if totalOut += pay.Value; totalOut > btcutil.MaxSatoshi {
			return nil, fmt.Errorf("%w: the payments add up to more than 21 million BTC", ErrAmount)
		}
		outs = append(outs, output{txOut: wire.TxOut{Value: int64(pay.Value), PkScript: bytes.Clone(pay.PkScript)}})
	}
	if c := req.Change; c != nil {
		out, err := b.change(c)
		if err != nil {
			return nil, err
		}
		if totalOut += c.Value; totalOut > btcutil.MaxSatoshi {
			return nil, fmt.Errorf("%w: the payments and change add up to more than 21 million BTC", ErrAmount)
		}
		outs = append(outs, out)
	}
	if totalOut > totalIn {
		return nil, fmt.Errorf("%w: the outputs (%d sat) are worth more than the inputs (%d sat)", ErrAmount, int64(totalOut), int64(totalIn))
	}

	order(ins, outs, req.ShuffleSeed)
	tx := wire.NewMsgTx(2)
	tx.LockTime = req.LockTime
	p := &btcpsbt.Packet{UnsignedTx: tx, Inputs: make([]btcpsbt.PInput, len(ins)), Outputs: make([]btcpsbt.POutput, len(outs))}
	for i := range ins {
		tx.TxIn = append(tx.TxIn, &ins[i].txIn)
		p.Inputs[i] = ins[i].p
	}
	for o := range outs {
		tx.TxOut = append(tx.TxOut, &outs[o].txOut)
		p.Outputs[o] = outs[o].p
	}
	if w != nil && w.Script.Multisig() {
		xpubs, err := globalXPubs(w)
		if err != nil {
			return nil, err
		}
		p.Unknowns = xpubs
	}
	if err := checkSize(p); err != nil {
		return nil, err
	}
	return p, nil
}

// maxBinary is the largest binary PSBT whose base64 form psbt.Decode
// accepts.
const maxBinary = psbt.MaxPSBTBytes / 4 * 3

type input struct {
	txIn wire.TxIn
	p    btcpsbt.PInput
}

type output struct {
	txOut wire.TxOut
	p     btcpsbt.POutput
}

// build holds what one Build derives once: the wallet's fingerprints as
// btcd stores them, its branch derivers, and the previous transactions
// already checked.
type build struct {
	w        *descriptor.Descriptor
	sw       *descriptor.ScriptWallet
	net      descriptor.Network
	fps      []uint32
	derivers [2]*descriptor.Deriver
	prevs    map[*wire.MsgTx]chainhash.Hash
}

// fingerprints are the master fingerprints of the wallet's keys, read
// little-endian as btcd's psbt package stores them: one for a single-sig
// wallet, one per cosigner (in the order of Keys) for a multisig.
func fingerprints(w *descriptor.Descriptor) []uint32 {
	if !w.Script.Multisig() {
		return []uint32{binary.LittleEndian.Uint32(w.Origin.Fingerprint[:])}
	}
	fps := make([]uint32, len(w.Keys))
	for i, k := range w.Keys {
		fps[i] = binary.LittleEndian.Uint32(k.Origin.Fingerprint[:])
	}
	return fps
}

// derived is the wallet at one branch and index, as PSBT fields.
type derived struct {
	pkScript, redeem, witness []byte
	ders                      []*btcpsbt.Bip32Derivation
	tapKey                    []byte
	tapDers                   []*btcpsbt.TaprootBip32Derivation
	tapRoot                   []byte
	tapLeaves                 []*btcpsbt.TaprootTapLeafScript
	tapTree                   []byte // BIP-371 PSBT_OUT_TAP_TREE, for change
}

func (b *build) derive(branch, index uint32) (*derived, error) {
	if branch > 1 {
		return nil, fmt.Errorf("branch %d, but the wallet has receive (0) and change (1) only", branch)
	}
	if index >= descriptor.Hardened {
		return nil, fmt.Errorf("index %d, which is hardened; the wallet's addresses are not", index)
	}
	if b.sw != nil {
		return deriveScript(b.sw, branch, index)
	}
	d := b.derivers[branch]
	if d == nil {
		var err error
		if d, err = b.w.Deriver(branch); err != nil {
			return nil, err
		}
		b.derivers[branch] = d
	}
	w := b.w
	switch {
	case w.Script == descriptor.P2TR:
		internal, _, script, err := d.TaprootKeyScript(index)
		if err != nil {
			return nil, err
		}
		x := schnorr.SerializePubKey(internal)
		return &derived{pkScript: script, tapKey: x, tapDers: []*btcpsbt.TaprootBip32Derivation{{
			XOnlyPubKey: x, MasterKeyFingerprint: b.fps[0], Bip32Path: w.Path(branch, index),
		}}}, nil
	case w.Script.Multisig():
		keys, witness, redeem, script, err := d.MultisigScripts(index)
		if err != nil {
			return nil, err
		}
		r := &derived{pkScript: script, redeem: redeem, witness: witness}
		for i, k := range keys {
			r.ders = append(r.ders, &btcpsbt.Bip32Derivation{PubKey: k.SerializeCompressed(), MasterKeyFingerprint: b.fps[i], Bip32Path: w.Keys[i].Path(branch, index)})
		}
		// in key order, as btcd's serializer sorts them (in place)
		slices.SortFunc(r.ders, func(a, b *btcpsbt.Bip32Derivation) int { return bytes.Compare(a.PubKey, b.PubKey) })
		return r, nil
	default:
		pub, script, err := d.KeyScript(index)
		if err != nil {
			return nil, err
		}
		r := &derived{pkScript: script, ders: []*btcpsbt.Bip32Derivation{{PubKey: pub.SerializeCompressed(), MasterKeyFingerprint: b.fps[0], Bip32Path: w.Path(branch, index)}}}
		if w.Script == descriptor.P2SHP2WPKH {
			r.redeem = p2wpkhProgram(pub)
		}
		return r, nil
	}
}

// p2wpkhProgram is the P2WPKH output script of pub: the redeem script of
// P2SH-P2WPKH.
func p2wpkhProgram(pub *btcec.PublicKey) []byte {
	return append([]byte{txscript.OP_0, txscript.OP_DATA_20}, btcutil.Hash160(pub.SerializeCompressed())...)
}

func (b *build) input(i int, in *Input) (btcpsbt.PInput, error) {
	where := fmt.Sprintf("input %d (%s)", i, in.OutPoint)
	d, err := b.derive(in.Branch, in.Index)
	if err != nil {
		return btcpsbt.PInput{}, fmt.Errorf("%w: %s claims %v", ErrNotWallet, where, err)
	}
	if !bytes.Equal(d.pkScript, in.PkScript) {
		return btcpsbt.PInput{}, fmt.Errorf("%w: %s pays %s, but the wallet's address at branch %d, index %d is %s: the coin is someone else's, or its branch and index are wrong",
			ErrNotWallet, where, b.describe(in.PkScript), in.Branch, in.Index, b.describe(d.pkScript))
	}
	taproot := d.tapKey != nil
	if in.PrevTx == nil {
		if !taproot {
			return btcpsbt.PInput{}, fmt.Errorf("%w: %s has no previous transaction; the kiosk proves a non-taproot coin's amount from it (the segwit fee attack): fetch it with getrawtransaction", ErrPrevTx, where)
		}
	} else if err := b.checkPrev(in); err != nil {
		return btcpsbt.PInput{}, fmt.Errorf("%w: %s: %v", ErrPrevTx, where, err)
	}
	p := btcpsbt.PInput{
		RedeemScript:           d.redeem,
		WitnessScript:          d.witness,
		Bip32Derivation:        d.ders,
		TaprootInternalKey:     d.tapKey,
		TaprootBip32Derivation: d.tapDers,
		TaprootMerkleRoot:      d.tapRoot,
		TaprootLeafScript:      d.tapLeaves,
	}
	if b.w == nil || b.w.Script != descriptor.P2PKH { // BIP174: witness UTXOs are for segwit inputs
		p.WitnessUtxo = wire.NewTxOut(int64(in.Value), bytes.Clone(in.PkScript))
	}
	// A script wallet's taproot inputs carry it too: what the kiosk
	// proves amounts from should not depend on the wallet's kind.
	if !taproot || b.sw != nil {
		p.NonWitnessUtxo = in.PrevTx
	}
	return p, nil
}

// checkPrev checks that in.PrevTx holds the coin in claims. A transaction
// shared by several inputs is hashed once.
func (b *build) checkPrev(in *Input) error {
	prev := in.PrevTx
	h, ok := b.prevs[prev]
	if !ok {
		h = prev.TxHash()
		if b.prevs == nil {
			b.prevs = map[*wire.MsgTx]chainhash.Hash{}
		}
		b.prevs[prev] = h
	}
	op := in.OutPoint
	switch {
	case h != op.Hash:
		return fmt.Errorf("the previous transaction given is %s, not %s", h, op.Hash)
	case int(op.Index) >= len(prev.TxOut):
		return fmt.Errorf("the previous transaction has %d outputs, so no output %d", len(prev.TxOut), op.Index)
	}
	out := prev.TxOut[op.Index]
	switch {
	case out.Value != int64(in.Value):
		return fmt.Errorf("the coin is worth %d satoshis in its transaction, not %d", out.Value, int64(in.Value))
	case !bytes.Equal(out.PkScript, in.PkScript):
		return fmt.Errorf("the coin pays %s in its transaction, not %s", b.describe(out.PkScript), b.describe(in.PkScript))
	}
	return nil
}

// describe is a script as people read it: its address on the wallet's
// network, else its hex.
func (b *build) describe(script []byte) string {
	if len(script) == 0 {
		return "an empty script"
	}
	_, addrs, _, err := txscript.ExtractPkScriptAddrs(script, b.net.Params())
	if err != nil || len(addrs) != 1 {
		return fmt.Sprintf("script %x", script)
	}
	return addrs[0].EncodeAddress()
}

// payment checks payment i: a standard address script of the wallet's
// network above the dust limit, or an OP_RETURN of zero value.
func (b *build) payment(i int, pay Payment) error {
	class := txscript.GetScriptClass(pay.PkScript)
	if class == txscript.NullDataTy {
		if pay.Value != 0 {
			return fmt.Errorf("%w: payment %d is an OP_RETURN carrying %d satoshis, which would be burned", ErrAmount, i, int64(pay.Value))
		}
		return nil
	}
	switch class {
	case txscript.PubKeyHashTy, txscript.ScriptHashTy, txscript.WitnessV0PubKeyHashTy, txscript.WitnessV0ScriptHashTy, txscript.WitnessV1TaprootTy:
	default:
		return fmt.Errorf("%w: payment %d pays %s, which is no standard address type (%s)", ErrRequest, i, b.describe(pay.PkScript), class)
	}
	if pay.Value <= 0 || pay.Value > btcutil.MaxSatoshi {
		return fmt.Errorf("%w: payment %d is %d satoshis, outside 1 to 21 million BTC", ErrAmount, i, int64(pay.Value))
	}
	if limit := psbt.DustLimit(pay.PkScript); pay.Value < limit {
		return fmt.Errorf("%w: payment %d is %d satoshis, below the dust limit of %d for its script", ErrDust, i, int64(pay.Value), int64(limit))
	}
	return nil
}

func (b *build) change(c *Change) (output, error) {
	d, err := b.derive(1, c.Index)
	if err != nil {
		return output{}, fmt.Errorf("%w: the change %v", ErrRequest, err)
	}
	if c.Value <= 0 || c.Value > btcutil.MaxSatoshi {
		return output{}, fmt.Errorf("%w: the change is %d satoshis, outside 1 to 21 million BTC; leave it out (Change nil) to give it to the fee", ErrAmount, int64(c.Value))
	}
	if limit := psbt.DustLimit(d.pkScript); c.Value < limit {
		return output{}, fmt.Errorf("%w: the change is %d satoshis, below the dust limit of %d for the wallet's script: leave it out (Change nil) and give it to the fee", ErrDust, int64(c.Value), int64(limit))
	}
	return output{
		txOut: wire.TxOut{Value: int64(c.Value), PkScript: d.pkScript},
		p: btcpsbt.POutput{
			RedeemScript:           d.redeem,
			WitnessScript:          d.witness,
			Bip32Derivation:        d.ders,
			TaprootInternalKey:     d.tapKey,
			TaprootBip32Derivation: d.tapDers,
			TaprootTapTree:         d.tapTree,
		},
	}, nil
}

// globalXPubs are the PSBT_GLOBAL_XPUB entries of a multisig wallet: each
// cosigner's account key (78 bytes, BIP32 serialization without checksum)
// with its fingerprint and path, sorted by key as BIP174 serializers do.
func globalXPubs(w *descriptor.Descriptor) ([]*btcpsbt.Unknown, error) {
	var xpubs []*btcpsbt.Unknown
	for i, k := range w.Keys {
		raw := base58.Decode(k.Key.String())
		if len(raw) != 82 {
			return nil, fmt.Errorf("%w: cosigner %d's key does not serialize to 78 bytes", ErrRequest, i)
		}
		value := make([]byte, 4, 4+4*len(k.Origin.Path))
		copy(value, k.Origin.Fingerprint[:])
		for _, step := range k.Origin.Path {
			value = binary.LittleEndian.AppendUint32(value, step)
		}
		xpubs = append(xpubs, &btcpsbt.Unknown{Key: append([]byte{0x01}, raw[:78]...), Value: value})
	}
	sortUnknowns(xpubs)
	return xpubs, nil
}

// checkSize refuses a PSBT whose base64 form psbt.Decode would refuse.
func checkSize(p *btcpsbt.Packet) error {
	var n counter
	if err := p.Serialize(&n); err != nil {
		return fmt.Errorf("%w: the PSBT does not serialize: %v", ErrRequest, err)
	}
	if text := base64.StdEncoding.EncodedLen(int(n)); text > psbt.MaxPSBTBytes {
		return fmt.Errorf("%w: the PSBT takes %d bytes in base64, more than the kiosk's %d: spend fewer coins", ErrTooLarge, text, psbt.MaxPSBTBytes)
	}
	return nil
}

type counter int

func (c *counter) Write(b []byte) (int, error) {
	*c += counter(len(b))
	return len(b), nil
}
