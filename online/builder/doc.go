// Package builder is the coordinator's PSBT Creator and Updater (BIP174
// roles): it turns the wallet coins and outputs coin selection chose into an
// unsigned PSBT that the offline kiosk's psbt.Analyze can prove everything
// about, and it gives coin selection the size estimates it needs.
//
// The coordinator is untrusted by design: the kiosk recomputes every claim.
// Build still refuses to produce what the kiosk would refuse — coins that do
// not derive from the wallet, previous transactions that do not match,
// dust, overflowing amounts, more inputs or outputs than psbt.Decode takes —
// so that a mistake is reported here, with the input named, and not as a
// refusal at the signing station on the far side of the air gap.
//
// # What a PSBT from Build contains
//
// A BIP174 version 0 PSBT of a version 2 transaction, with:
//
//   - every input: the BIP32 derivation of every key (the single-sig key with
//     its full origin path; for a multisig every cosigner's key with its
//     origin, sorted by key as BIP174 serializers write them), witness_utxo for segwit inputs,
//     non_witness_utxo (the full funding transaction) for every non-taproot
//     input, the witness script of multisig and the redeem script of
//     P2SH-wrapped inputs, and for taproot the tap_internal_key and
//     tap_bip32_derivation with no leaf hashes (BIP86 key path). The sighash
//     type is left unset, which means ALL (DEFAULT for taproot).
//   - the change output: the same derivations and scripts at branch 1, so
//     that Analyze classifies it as change. Payment outputs carry nothing.
//   - global xpubs (PSBT_GLOBAL_XPUB) for multisig wallets only: every
//     cosigner's account xpub with its origin. Hardware cosigners (Coldcard,
//     Jade, Passport) use them to match the PSBT to a registered multisig;
//     a single-sig signer derives everything from its own seed, so there they
//     would only make the QR code longer.
//
// Taproot inputs carry no non_witness_utxo: BIP341 signatures commit to the
// amount and script of every spent output, so the kiosk takes amounts from
// witness UTXOs in all-taproot transactions, and the previous transactions
// would lengthen the animated QR code for nothing. A PrevTx given for a
// taproot input is still checked.
//
// # Order of inputs and outputs
//
// With a nil ShuffleSeed inputs and outputs are sorted as BIP69 says:
// deterministic and verifiable, but recognisable on chain as a BIP69 wallet.
// With a seed they are first sorted that way, then shuffled by a
// Fisher-Yates shuffle driven by SHA-256 of the seed (inputs and outputs
// under separate labels), so the change position reveals nothing while the
// result depends only on the coins, the outputs and the seed: the same
// request builds the same PSBT, which tests and audit logs rely on. Callers
// wanting privacy pass 32 bytes from crypto/rand and log them.
package builder
