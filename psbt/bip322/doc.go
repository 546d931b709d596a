// Package bip322 signs and verifies BIP-322 generic signed messages and
// proofs of reserves, for the kiosk (which signs) and the auditor (who
// verifies).
//
// A BIP-322 signature is a spend of a virtual transaction, to_spend, whose
// only output pays the address being proven and whose input commits to the
// message's tagged hash; the spending transaction, to_sign, can never be
// mined, because to_spend spends a coin that does not exist. Signing
// therefore is signing a transaction, which is why this package never signs
// itself: ToSignPSBT and ReservesPSBT build a PSBT that the kiosk signs with
// its normal signer, under its normal quorum, and Finish turns the signed
// PSBT into BIP-322's simple and full encodings (and, for a proof of
// reserves, the finalized PSBT that is the proof). The kiosk never signs an
// opaque hash: what it signs is a transaction it can show.
//
// Verify checks a signature for one address (simple, full, or the legacy
// "Bitcoin Signed Message" format, which BIP-322 allows for P2PKH only);
// VerifyReserves checks a proof of reserves against a UTXO snapshot and
// returns the amount proven. Both run every input through btcd's script
// engine, first with BIP-322's required rules (a failure is ErrInvalid),
// then with the upgradeable rules (a failure is ErrInconclusive).
//
// Every signature and proof is hostile input: sizes and counts are checked
// before anything is allocated for them, and every error says what was
// wrong and what to do.
package bip322
