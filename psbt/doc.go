// Package psbt is the kiosk's judgement over partially signed
// transactions that crossed the air gap from an untrusted coordinator: it
// reads and writes them (Decode, Encode), proves what they do for a
// registered wallet (Analyze), signs only what it proved (Sign), merges the
// copies a multisig's cosigners signed (Combine) and turns signatures into a
// network transaction (Finalize). It never holds a seed: keys arrive through
// the small KeyRing interface for one signing session.
//
// Analyze recomputes every amount, fee, address and change claim from the
// PSBT's own data and the wallet's descriptor, and refuses what it cannot
// prove, each refusal with a stable Code and a sentence for people.
// Wallets are single-sig (pkh, sh(wpkh), wpkh, tr) or sorted multisig
// (wsh(sortedmulti), sh(wsh(sortedmulti))); for a multisig, Policy.Cosigner
// says which cosigner's seed the kiosk holds, and an input or change output
// is the wallet's only when the whole multisig, every cosigner's key with
// the wallet's threshold, reproduces its script.
//
// Decode accepts BIP174 (version 0) and BIP370 (version 2) PSBTs in binary,
// base64 or hex form and returns btcd's Packet, which is version 0 by
// construction: a version 2 PSBT is converted by building its unsigned
// transaction (BIP370's lock time determination included). Encode and
// EncodeBase64 write BIP174 version 0. To answer in the version received,
// DecodeForm also returns the PSBT's Form (its version, and the version 2
// fields a version 0 packet cannot hold), and EncodeForm writes a packet in
// a Form: version 2 with those fields kept and PSBT_GLOBAL_TX_MODIFIABLE
// updated for the signatures added, as BIP370 asks of a signer.
//
// Every byte is treated as hostile. Before btcd's parser sees the data, a
// strict scanner of the key-value maps refuses what btcd lets through or
// cannot survive: oversized inputs, length prefixes that claim more bytes
// than remain, transaction counts above MaxInputs and MaxOutputs, duplicate
// keys in any map, trailing bytes and surplus maps, unknown PSBT versions,
// fields of the wrong version, and malformed values of the fields btcd does
// not check (global xpubs, BIP32 derivations, Taproot trees, proprietary
// keys, UTXOs whose bytes do not match their transaction). Unknown and
// proprietary (0xFC) fields are kept and written back unchanged, which is how
// airsign's own fields travel: approvals (identifier "airsign", subtype 0x01,
// package approval) and kiosk audit-log checkpoints (subtype 0x02, package
// auditlog's Carry).
//
// Errors name the map (global map, input 3, output 1) and byte offset where
// they were found; they wrap the sentinel errors below for errors.Is.
package psbt
