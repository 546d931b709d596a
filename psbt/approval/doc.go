// Package approval carries treasury approvals of a withdrawal inside the
// PSBT that spends it, for the offline kiosk to verify before it signs.
//
// An approver signs a Message with an ed25519 key: the wallet, the
// withdrawal request, the unsigned transaction's id, every output's script
// and value, the fee, and an expiry time (MessageFor derives all but the
// names, the fee and the expiry from the PSBT; FeeOf computes the fee where
// the PSBT carries every input's UTXO). The coordinator attaches each
// Approval to the PSBT (Attach) as a proprietary global field, which BIP174
// tools keep; the kiosk reads them back (Extract) and counts the distinct
// enrolled approvers that approved exactly this transaction (Check), with a
// sentence for every approval that does not count.
//
// Both formats below are byte-exact, so that an approver's tool or an
// auditor can produce and check approvals without this package. Integers
// are big-endian and fixed-width; int64 values are two's complement.
//
// # The signed message
//
// The ed25519 signature (RFC 8032, pure Ed25519, no prehash or context)
// covers Message.Canonical, version 1:
//
//	20 bytes  "airsign approval v1\n" in ASCII
//	          (6169727369676e20617070726f76616c2076310a), a domain
//	          separator no other airsign signature starts with
//	uint32    version, 1
//	uint32    length of the wallet name, then its UTF-8 bytes
//	uint32    length of the request id, then its UTF-8 bytes
//	32 bytes  the unsigned transaction's id in display order: the bytes
//	          of the hex txid that block explorers and bitcoind show (the
//	          reverse of the double-SHA256 of the transaction serialized
//	          without witnesses)
//	uint32    number of outputs, then for each output in transaction
//	          order:
//	  int64     value in satoshis
//	  uint32    length of the output script, then its bytes
//	int64     fee in satoshis
//	int64     expiry, seconds since 1970-01-01 00:00:00 UTC
//
// Nothing follows. A valid version 1 message has a wallet name and a
// request id of 1 to MaxFieldLen bytes of UTF-8 without control or format
// characters, 1 to MaxOutputs outputs, scripts of at most MaxScriptLen
// bytes, values and a fee from 0 to 21,000,000 BTC, and an expiry after
// 1970-01-01 00:00:00 UTC (a positive number of seconds). The approval is
// valid while the time is before the expiry; at the expiry second it has
// expired.
//
// # The PSBT field
//
// Each approval is one global proprietary field (BIP174 PSBT_GLOBAL_PROPRIETARY):
//
//	key    0xfc 0x07 "airsign" 0x01 <32-byte ed25519 public key>
//
// that is the proprietary type, the compact-size length of the identifier,
// the identifier "airsign", subtype 0x01 (approval; other subtypes are
// other airsign data, which this package leaves alone) and the approver's
// public key, so a PSBT holds at most one approval per key. Its value,
// version 1:
//
//	uint8     1, the value's format version
//	uint32    length of the message, then Message.Canonical exactly
//	uint8     length of the approver's name (1 to 255 bytes), then its
//	          UTF-8 bytes: at most MaxApproverLen characters, without
//	          control or format characters
//	64 bytes  the ed25519 signature of the message
//
// Nothing follows, and a value is at most MaxValueBytes. The name is a
// label the approver chose and is not signed; Check names approvers by
// their enrolled name, found by key, never by this label.
package approval
