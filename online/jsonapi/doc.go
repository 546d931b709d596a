// Package jsonapi is the coordinator's JSON HTTP API for programs (the
// treasury's tools; people use online/web): the coordinator's
// methods behind per-user bearer tokens and roles.
//
// # Authentication and roles
//
// Every endpoint except GET /api/v1/health needs the header
//
//	Authorization: Bearer airsign_...
//
// with a token made by store.AddUser or store.RotateToken (the store keeps
// only its SHA-256). A missing, unknown, rotated or disabled user's token
// gets 401 with WWW-Authenticate: Bearer. Roles are ordered viewer <
// requester < approver < admin, and each endpoint names the least role it
// needs; a weaker one gets 403. Cancelling or bumping a request is further
// limited to the user who made it, or an admin.
//
// # Requests and responses
//
// Request and response bodies are JSON objects. A POST with a body must
// send Content-Type: application/json (else 415); the body is capped at
// Options.MaxBody (2 MiB by default; more is 413 too_large) before it is
// decoded, must be exactly one JSON object, and may name only the fields
// listed below (anything else is 400). Endpoints that take no input accept
// no body or {}.
//
// Amounts are integer satoshis in fields ending in _sat; fee rates are
// sat/vB numbers in feerate_sat_vb. Times are RFC 3339, txids hex in the
// usual byte order, PSBTs standard base64.
//
// Errors are {"error": "what was wrong and what to do", "code": "..."}:
//
//	400 invalid             malformed or refused input (also 405, 415 with this code)
//	401 unauthorized        no token, or not a valid one
//	403 forbidden           the role or ownership does not allow it
//	404 not_found           no such wallet, request or endpoint
//	409 conflict            the state does not allow it: name taken, request not pending, coin reserved
//	409 insufficient_funds  not enough free confirmed coins (409 rather than 422: the same request
//	                        may succeed once deposits confirm or a request is cancelled)
//	413 too_large           the body is over the cap
//	422 wrong_transaction   the PSBT is not a request's transaction, or was altered
//	422 not_final           the PSBTs do not carry enough signatures yet
//	422 bad_signature       a signature in the PSBT does not verify
//	502 broadcast_refused   the node refused the transaction; the message has its reason
//	502 node_unavailable    the node cannot be reached or refused the RPC credentials
//	500 internal            anything else; the details go to Options.Logf only
//
// Every response carries Content-Security-Policy: default-src 'none';
// frame-ancestors 'none', X-Content-Type-Options: nosniff,
// Cache-Control: no-store and Referrer-Policy: no-referrer.
//
// # Endpoints
//
// In the examples, $API is the base URL (http://127.0.0.1:8332 say) and
// $TOKEN a user's token.
//
// GET /api/v1/health (no token) → {"tip": N}, the height the coordinator
// has synced to.
//
//	curl -s $API/api/v1/health
//
// GET /api/v1/wallets (viewer) → {"wallets": [{"name", "network",
// "descriptor", "birthday", "created", "policy"}]}; policy, the BIP-388
// wallet policy object, only for a wallet with spending paths.
//
//	curl -s -H "Authorization: Bearer $TOKEN" $API/api/v1/wallets
//
// POST /api/v1/wallets (admin) {"name", "descriptor", "birthday"} → 201 and
// the wallet. birthday is required: the height of a block at or before the
// first deposit, 0 to scan the whole chain. A wallet with spending paths
// (miniscript recovery, taproot tree) gives "policy" instead of
// "descriptor": its BIP-388 policy {"name", "descriptor_template",
// "keys_info"}, as airsign-coordinator wallet template writes it.
//
//	curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
//	  -d '{"name":"treasury","descriptor":"wpkh([d34db33f/84h/1h/0h]tpub.../<0;1>/*)#abcdefgh","birthday":800000}' \
//	  $API/api/v1/wallets
//
// GET /api/v1/wallets/{name}/balance (viewer) → {"wallet", "confirmed_sat",
// "unconfirmed_sat", "reserved_sat", "tip"}, as of the last sync.
//
//	curl -s -H "Authorization: Bearer $TOKEN" $API/api/v1/wallets/treasury/balance
//
// POST /api/v1/wallets/{name}/receive (requester) → {"wallet", "address",
// "branch", "index", "path"}: the next unused receive address; path has the
// derivation, one entry per cosigner for multisig.
//
//	curl -s -X POST -H "Authorization: Bearer $TOKEN" $API/api/v1/wallets/treasury/receive
//
// GET /api/v1/wallets/{name}/utxos (viewer) → {"wallet", "utxos": [{"txid",
// "vout", "value_sat", "address", "branch", "index", "height", "coinbase"}]};
// height 0 is the mempool. A coin of a wallet with a recovery path also has
// "recovery_height" (the first block that may hold a recovery spend),
// "recovery_in_blocks" (0: open) and "recovery_about" (at ten minutes a
// block).
//
//	curl -s -H "Authorization: Bearer $TOKEN" $API/api/v1/wallets/treasury/utxos
//
// GET /api/v1/wallets/{name}/history (viewer) → {"wallet", "history":
// [{"txid", "height", "received_sat", "sent_sat", "net_sat"}]}, newest first.
//
//	curl -s -H "Authorization: Bearer $TOKEN" $API/api/v1/wallets/treasury/history
//
// POST /api/v1/withdrawals (requester) {"wallet", "to", "amount_sat",
// "feerate_sat_vb", "fee_preset", "memo", "path"} → 201 and the request: {"id",
// "wallet", "state", "confirmations", "requester", "created", "to",
// "amount_sat", "fee_sat", "feerate_sat_vb", "fee_rate_source",
// "fee_preset", "memo", "unsigned_txid", "psbt", "selection": {"algorithm",
// "waste", "inputs", "change_sat"}}. The requester is the authenticated
// user. fee_preset is economy, normal or priority: the node's estimate for
// 24, 6 (the configured target) or 2 blocks, else the configured fallback;
// or custom, with feerate_sat_vb. Leaving both out is normal; a rate alone
// is custom. memo is one line of at most 255 characters, shown with the
// request and exported as its transaction's BIP-329 label. psbt is the
// unsigned PSBT for the kiosk. "path": "recovery" spends a wallet's coins
// by its recovery path, those whose lock has passed (primary by default).
//
//	curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
//	  -d '{"wallet":"treasury","to":"bc1q...","amount_sat":250000,"feerate_sat_vb":4}' \
//	  $API/api/v1/withdrawals
//
// GET /api/v1/withdrawals[?wallet=NAME] (viewer) → {"withdrawals": [...]},
// oldest first, without their PSBTs.
//
//	curl -s -H "Authorization: Bearer $TOKEN" "$API/api/v1/withdrawals?wallet=treasury"
//
// GET /api/v1/withdrawals/{id}[?psbt_version=0|2] (viewer) → the request
// with its state (pending, broadcast, confirmed, cancelled, replaced),
// confirmations (-1 until it reaches the chain), txid once broadcast,
// replaces and replaced_by for fee bumps, and psbt: BIP-174 (version 0)
// unless psbt_version=2 asks for BIP-370, for wallets that read only that.
//
//	curl -s -H "Authorization: Bearer $TOKEN" $API/api/v1/withdrawals/wd-0123456789ab
//
// POST /api/v1/withdrawals/{id}/cancel (requester; the requester or an
// admin) → the request, now cancelled; its coins are free again.
//
//	curl -s -X POST -H "Authorization: Bearer $TOKEN" $API/api/v1/withdrawals/wd-0123456789ab/cancel
//
// POST /api/v1/withdrawals/{id}/bump-fee (requester; the requester or an
// admin) {"feerate_sat_vb"} → 201 and the replacement request, pending,
// with a new PSBT for the kiosk; selection.algorithm is "bump". Leaving out
// the rate takes the node's estimate, at least 1 sat/vB above the old rate.
//
//	curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
//	  -d '{"feerate_sat_vb":12}' $API/api/v1/withdrawals/wd-0123456789ab/bump-fee
//
// POST /api/v1/withdrawals/{id}/approve (approver; anyone but the
// requester) {"password", "expires_in"} → the request with its psbt, now
// carrying the user's signed approval, and "approvals": [{"approver",
// "public_key", "kind", "expires", "created"}] (kind: coordinator-sealed,
// station or webauthn). password opens the user's approval
// key (airsign-coordinator user approval-key); a wrong one is 403 and ten
// in a row lock the key. expires_in is a duration, 24h when left out.
//
//	curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
//	  -d '{"password":"...","expires_in":"24h"}' $API/api/v1/withdrawals/wd-0123456789ab/approve
//
// POST /api/v1/withdrawals/{id}/station-approval (requester)
// {"approval"} → the same as approve: the approval an approver station made
// (its text, AIRSIGN-APPROVAL-V1:…), filed under the name of the user whose
// station key made it (user station-key), four eyes applied to them; the
// authenticated user is recorded as who handed it in. An approval of
// another transaction, or by an unregistered key, is refused.
//
// POST /api/v1/finalize (requester) {"psbts": [base64, ...], "broadcast":
// bool} → {"id", "txid", "state", "confirmations", "signatures",
// "broadcast", "already_sent", "tx"}: the signed PSBTs the kiosk (or each
// cosigner's kiosk) returned for one request are checked against it,
// combined and finalized; with broadcast the node gets the transaction.
// tx is the final transaction in hex. Instead of "psbts", {"tx": hex} is a
// signed raw transaction (Electrum's signtransaction): it must be exactly a
// request's transaction, and every input's signature must verify against
// the coin the request spends; signatures then counts its inputs. The
// audit log names the user who handed it back.
//
//	curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
//	  -d "{\"psbts\":[\"$(base64 -w0 signed.psbt)\"],\"broadcast\":true}" $API/api/v1/finalize
//	curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
//	  -d "{\"tx\":\"$(cat signed.txn)\",\"broadcast\":true}" $API/api/v1/finalize
//
// POST /api/v1/sync (requester) → {"height", "hash", "applied",
// "disconnected", "deposits", "deposited_sat", "mempool", "dropped"}: what
// bringing the store up to the node's tip and mempool did.
//
//	curl -s -X POST -H "Authorization: Bearer $TOKEN" $API/api/v1/sync
package jsonapi
