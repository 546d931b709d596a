package store

// migrations are the schema steps in order; migrations[i] takes a database
// from version i to version i+1. Each step runs in its own transaction
// together with the version bump, so a database is always at a whole version.
// Append new steps; never edit one that has shipped.
var migrations = []string{
	// 1: wallets, addresses, applied blocks, utxos.
	`
CREATE TABLE wallets (
	name       TEXT PRIMARY KEY,
	network    TEXT NOT NULL,
	descriptor TEXT NOT NULL,
	birthday   INTEGER NOT NULL CHECK (birthday >= 0),
	created    INTEGER NOT NULL -- unix nanoseconds, UTC
) STRICT;

CREATE TABLE addresses (
	wallet TEXT NOT NULL REFERENCES wallets(name),
	branch INTEGER NOT NULL CHECK (branch IN (0, 1)),
	idx    INTEGER NOT NULL CHECK (idx >= 0),
	script BLOB NOT NULL,
	used   INTEGER NOT NULL DEFAULT 0 CHECK (used IN (0, 1)),
	PRIMARY KEY (wallet, branch, idx),
	UNIQUE (wallet, script)
) STRICT;

-- The applied chain. The tip is the highest row; it is written in the same
-- transaction as the UTXO changes of its block.
CREATE TABLE blocks (
	height INTEGER PRIMARY KEY CHECK (height > 0),
	hash   BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),
	prev   BLOB NOT NULL CHECK (length(prev) = 32)
) STRICT;

CREATE TABLE utxos (
	txid         BLOB NOT NULL CHECK (length(txid) = 32),
	vout         INTEGER NOT NULL CHECK (vout >= 0),
	wallet       TEXT NOT NULL REFERENCES wallets(name),
	value        INTEGER NOT NULL CHECK (value >= 0),
	script       BLOB NOT NULL,
	branch       INTEGER NOT NULL CHECK (branch IN (0, 1)),
	idx          INTEGER NOT NULL CHECK (idx >= 0),
	height       INTEGER NOT NULL CHECK (height >= 0), -- 0 = mempool
	spent_by     BLOB CHECK (spent_by IS NULL OR length(spent_by) = 32),
	spent_height INTEGER CHECK (spent_height IS NULL OR spent_height > 0),
	-- Undo data, so DisconnectTip restores exactly the state before a block:
	-- seen_unconfirmed: the output was in the mempool before a block confirmed it;
	-- mempool_spent_by: the unconfirmed spend a block's spend replaced.
	seen_unconfirmed INTEGER NOT NULL DEFAULT 0 CHECK (seen_unconfirmed IN (0, 1)),
	mempool_spent_by BLOB CHECK (mempool_spent_by IS NULL OR length(mempool_spent_by) = 32),
	PRIMARY KEY (txid, vout),
	CHECK (spent_height IS NULL OR spent_by IS NOT NULL)
) STRICT;

CREATE INDEX utxos_unspent ON utxos (wallet, height) WHERE spent_by IS NULL;
CREATE INDEX utxos_height ON utxos (height);
CREATE INDEX utxos_spent_height ON utxos (spent_height) WHERE spent_height IS NOT NULL;
`,
	// 2: funding transactions, handed-out addresses, withdrawal requests and
	// the outputs they reserve.
	`
-- Every transaction that paid one of our outputs, as the node served it:
-- the PSBT builder needs it as non_witness_utxo, and a node without
-- -txindex cannot serve it again once it is confirmed.
CREATE TABLE txs (
	txid BLOB PRIMARY KEY CHECK (length(txid) = 32),
	raw  BLOB NOT NULL
) STRICT;

-- issued: handed out by receive or taken as a change address, so the next
-- caller gets another one; the gap limit counts from it as from used.
-- coinbase: a coinbase output may be spent only 100 blocks after its own.
ALTER TABLE utxos ADD COLUMN coinbase INTEGER NOT NULL DEFAULT 0 CHECK (coinbase IN (0, 1));

ALTER TABLE addresses ADD COLUMN issued INTEGER NOT NULL DEFAULT 0 CHECK (issued IN (0, 1));

CREATE TABLE withdrawals (
	id           TEXT PRIMARY KEY,
	wallet       TEXT NOT NULL REFERENCES wallets(name),
	status       TEXT NOT NULL CHECK (status IN ('pending', 'broadcast', 'cancelled', 'replaced')),
	requester    TEXT NOT NULL,
	created      INTEGER NOT NULL, -- unix nanoseconds, UTC
	destination  TEXT NOT NULL,
	amount       INTEGER NOT NULL CHECK (amount > 0),
	fee          INTEGER NOT NULL CHECK (fee >= 0),
	feerate      INTEGER NOT NULL CHECK (feerate > 0), -- sat/kvB
	change_index INTEGER CHECK (change_index IS NULL OR change_index >= 0),
	psbt         BLOB NOT NULL,    -- the unsigned PSBT as built
	unsigned_txid BLOB NOT NULL CHECK (length(unsigned_txid) = 32),
	final_tx     BLOB,             -- set when broadcast
	txid         BLOB CHECK (txid IS NULL OR length(txid) = 32),
	replaces     TEXT REFERENCES withdrawals(id),
	CHECK ((status = 'broadcast') = (final_tx IS NOT NULL) OR status = 'replaced')
) STRICT;

-- One row per input a live request spends. The primary key is what stops
-- two requests from reserving the same output.
CREATE TABLE reservations (
	txid       BLOB NOT NULL CHECK (length(txid) = 32),
	vout       INTEGER NOT NULL CHECK (vout >= 0),
	withdrawal TEXT NOT NULL REFERENCES withdrawals(id),
	PRIMARY KEY (txid, vout)
) STRICT;
CREATE INDEX reservations_withdrawal ON reservations (withdrawal);
`,
	// 3: API users and their hashed bearer tokens.
	`
-- token_hash is SHA-256 of the bearer token. Tokens are 32 random bytes, so
-- a plain hash is enough: there is nothing to guess that a slow, salted hash
-- would protect. The clear token is shown once and never stored.
CREATE TABLE users (
	name       TEXT PRIMARY KEY,
	role       TEXT NOT NULL CHECK (role IN ('viewer', 'requester', 'approver', 'admin')),
	token_hash BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	created    INTEGER NOT NULL, -- unix nanoseconds, UTC
	disabled   INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
) STRICT;
`,
	// 4: approval keys, sealed under their user's password, and the
	// approvals given with them.
	`
-- sealed is the ed25519 seed encrypted under a key derived from the user's
-- password (see coordinator's sealed key format); the store never sees the
-- password or the seed. failures counts wrong passwords in a row.
CREATE TABLE approval_keys (
	user_name  TEXT PRIMARY KEY REFERENCES users(name),
	public_key BLOB NOT NULL CHECK (length(public_key) = 32),
	sealed     BLOB NOT NULL,
	failures   INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0)
) STRICT;

-- One row per approver of a request: approving again replaces the row, as
-- the approval in the request's PSBT is replaced.
CREATE TABLE approvals (
	withdrawal TEXT NOT NULL REFERENCES withdrawals(id),
	approver   TEXT NOT NULL,
	public_key BLOB NOT NULL CHECK (length(public_key) = 32),
	expires    INTEGER NOT NULL, -- unix seconds
	created    INTEGER NOT NULL, -- unix nanoseconds, UTC
	PRIMARY KEY (withdrawal, approver)
) STRICT;
`,
	// 5: suspended wallets (ISO/TR 23576 5.4.4): the coordinator builds no
	// request from one but a sweep to its recovery address.
	`
ALTER TABLE wallets ADD COLUMN suspended INTEGER NOT NULL DEFAULT 0 CHECK (suspended IN (0, 1));
ALTER TABLE wallets ADD COLUMN recovery TEXT NOT NULL DEFAULT '';
`,
	// 6: web sign-in: a password per user (argon2id, encoded with its
	// parameters and salt by online/web), the count of wrong passwords in
	// a row and the lockout they caused, and the browser sessions.
	`
ALTER TABLE users ADD COLUMN web_password BLOB;
ALTER TABLE users ADD COLUMN web_failures INTEGER NOT NULL DEFAULT 0 CHECK (web_failures >= 0);
ALTER TABLE users ADD COLUMN web_locked_until INTEGER NOT NULL DEFAULT 0; -- unix nanoseconds, 0 = not locked

-- id_hash is SHA-256 of the session id the browser holds in its cookie:
-- 32 random bytes, so a plain hash is enough (as for API tokens) and a
-- copy of the database does not hand out live sessions.
CREATE TABLE web_sessions (
	id_hash   BLOB PRIMARY KEY CHECK (length(id_hash) = 32),
	user_name TEXT NOT NULL REFERENCES users(name),
	created   INTEGER NOT NULL, -- unix nanoseconds, UTC
	last_seen INTEGER NOT NULL, -- unix nanoseconds, UTC
	expires   INTEGER NOT NULL  -- unix nanoseconds: the absolute end
) STRICT;
CREATE INDEX web_sessions_user ON web_sessions (user_name);
`,
	// 7: the latest audit-log checkpoint each kiosk handed out with a
	// signature for a wallet; the coordinator hands it back in the next
	// PSBT, so a kiosk whose log was cut back refuses to sign.
	`
CREATE TABLE kiosk_checkpoints (
	wallet   TEXT NOT NULL REFERENCES wallets(name),
	key_name TEXT NOT NULL, -- the kiosk's note key name, airsign-<key id>
	size     INTEGER NOT NULL CHECK (size >= 0),
	value    BLOB NOT NULL, -- the carried field: verifier key, newline, signed note
	seen     INTEGER NOT NULL, -- unix nanoseconds, UTC
	PRIMARY KEY (wallet, key_name)
) STRICT;
`,
	// 8: who bumped a replacement's fee; its requester stays the original
	// request's, and four eyes counts both.
	`
ALTER TABLE withdrawals ADD COLUMN bumped_by TEXT NOT NULL DEFAULT '';
`,
	// 9: what a wallet pays to (descriptor.Identity, as a SHA-256 digest):
	// two registrations of one wallet would take each other's coins.
	`
ALTER TABLE wallets ADD COLUMN identity TEXT CHECK (identity IS NULL OR length(identity) = 64);
CREATE UNIQUE INDEX wallets_identity ON wallets (identity);
`,
	// 10: wrong web passwords counted per user and client address, so a
	// stranger's guesses lock out the stranger's address, not the user.
	`
CREATE TABLE web_failures (
	user_name    TEXT NOT NULL REFERENCES users(name),
	remote       TEXT NOT NULL,
	failures     INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
	locked_until INTEGER NOT NULL DEFAULT 0, -- unix nanoseconds, 0 = not locked
	updated      INTEGER NOT NULL,           -- unix nanoseconds
	PRIMARY KEY (user_name, remote)
) STRICT;
`,
	// 11: the transaction that paid a cancelled request anyway (a signed
	// copy broadcast from elsewhere), found by its unsigned txid.
	`
ALTER TABLE withdrawals ADD COLUMN paid_txid BLOB CHECK (paid_txid IS NULL OR length(paid_txid) = 32);
`,
	// 12: the transaction that spent a live request's coin in a block (a
	// double spend, or a reorg that confirmed another transaction).
	`
ALTER TABLE withdrawals ADD COLUMN conflict_txid BLOB CHECK (conflict_txid IS NULL OR length(conflict_txid) = 32);
`,
	// 13: a revocation: the replacement that spends a cancelled request's
	// coins back to the wallet, so no signed copy of it can pay.
	`
ALTER TABLE withdrawals ADD COLUMN revokes INTEGER NOT NULL DEFAULT 0 CHECK (revokes IN (0, 1));
`,
	// 14: approver keys that never exist on the coordinator: WebAuthn
	// credentials (their public key and id) and approver stations' ed25519
	// public keys, by user; and the kind of key each approval came from.
	`
CREATE TABLE approver_keys (
	key_id        BLOB PRIMARY KEY CHECK (length(key_id) = 32),
	user_name     TEXT NOT NULL REFERENCES users(name),
	kind          TEXT NOT NULL CHECK (kind IN ('webauthn', 'station')),
	public_key    BLOB NOT NULL, -- the canonical COSE_Key, or the ed25519 key
	rp_id         TEXT NOT NULL DEFAULT '',
	credential_id BLOB,
	label         TEXT NOT NULL DEFAULT '',
	created       INTEGER NOT NULL, -- unix nanoseconds, UTC
	disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
) STRICT;
CREATE INDEX approver_keys_user ON approver_keys (user_name);
ALTER TABLE approvals ADD COLUMN kind TEXT NOT NULL DEFAULT 'coordinator-sealed';
`,
	// 15: what the treasury recorded of a wallet's kiosk policy on
	// approvals (how many, of which kinds), so the pages can say "1 of
	// 2 approvals"; the kiosk checks its own policy regardless.
	`
CREATE TABLE wallet_quorums (
	wallet  TEXT PRIMARY KEY REFERENCES wallets(name),
	need    INTEGER NOT NULL CHECK (need BETWEEN 1 AND 16),
	kinds   TEXT NOT NULL DEFAULT '', -- comma-separated approval kinds; '' = the kiosk's default
	set_by  TEXT NOT NULL,
	updated INTEGER NOT NULL -- unix nanoseconds, UTC
) STRICT;
`,
	// 16: the treasury's books: an address book of named payees, labels
	// of the wallets' own addresses, outputs and transactions (BIP-329
	// types), and each request's memo and fee preset.
	`
-- One label per address, so a destination shows one name.
CREATE TABLE payees (
	label    TEXT PRIMARY KEY COLLATE NOCASE,
	address  TEXT NOT NULL UNIQUE,
	note     TEXT NOT NULL DEFAULT '',
	added_by TEXT NOT NULL,
	updated  INTEGER NOT NULL -- unix nanoseconds, UTC
) STRICT;

-- ref as BIP-329 writes it: a txid (tx), an address (addr), txid:vout (output).
CREATE TABLE labels (
	wallet  TEXT NOT NULL REFERENCES wallets(name),
	type    TEXT NOT NULL CHECK (type IN ('tx', 'addr', 'output')),
	ref     TEXT NOT NULL,
	label   TEXT NOT NULL CHECK (label != ''),
	set_by  TEXT NOT NULL,
	updated INTEGER NOT NULL, -- unix nanoseconds, UTC
	PRIMARY KEY (wallet, type, ref)
) STRICT;

ALTER TABLE withdrawals ADD COLUMN memo TEXT NOT NULL DEFAULT '';
-- economy, normal, priority, custom; '' for requests made before presets
-- and for fee bumps (which name a rate).
ALTER TABLE withdrawals ADD COLUMN fee_preset TEXT NOT NULL DEFAULT '';
`,
	// 17: user administration on the web (the last sign-in, an admin-set
	// temporary password and its end) and the webhook queue: each event
	// once per kind and request, and its delivery to each URL.
	`
ALTER TABLE users ADD COLUMN web_last_signin INTEGER NOT NULL DEFAULT 0;    -- unix nanoseconds, 0 = never
ALTER TABLE users ADD COLUMN web_password_until INTEGER NOT NULL DEFAULT 0; -- unix nanoseconds, 0 = the user's own password

-- body is the JSON sent, made when the event happened: ids, amounts and
-- states, never a PSBT or a secret (the secrets stay in the configuration).
CREATE TABLE webhook_events (
	id      TEXT PRIMARY KEY,
	kind    TEXT NOT NULL CHECK (kind IN ('request.needs_approval', 'request.signed', 'request.broadcast', 'request.confirmed')),
	request TEXT NOT NULL,
	body    BLOB NOT NULL,
	created INTEGER NOT NULL, -- unix nanoseconds, UTC
	UNIQUE (kind, request)
) STRICT;

CREATE TABLE webhook_deliveries (
	event        TEXT NOT NULL REFERENCES webhook_events(id),
	url          TEXT NOT NULL,
	state        TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
	attempts     INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_attempt INTEGER NOT NULL, -- unix nanoseconds
	last_status  INTEGER NOT NULL DEFAULT 0,
	last_error   TEXT NOT NULL DEFAULT '',
	updated      INTEGER NOT NULL, -- unix nanoseconds
	PRIMARY KEY (event, url)
) STRICT;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt);
`,
	// 18: leases: which of the coordinator processes sharing one database
	// runs a job only one may run at a time (the chain watcher). expires
	// is in the database's clock, so the processes' clocks do not matter;
	// epoch counts the changes of holder.
	`
CREATE TABLE leases (
	name    TEXT PRIMARY KEY,
	holder  TEXT NOT NULL,
	expires INTEGER NOT NULL, -- unix nanoseconds, the database's clock
	epoch   INTEGER NOT NULL CHECK (epoch > 0)
) STRICT;
`,
	// 19: a wallet's BIP-388 policy (JSON), for wallets with spending
	// paths; '' for single-sig and sortedmulti wallets.
	`
ALTER TABLE wallets ADD COLUMN policy TEXT NOT NULL DEFAULT '';
`,
	// 20: the audit log of the coordinators sharing the database, as
	// psbt/auditlog keeps it (audit.go): row size holds the signed
	// checkpoint of the log's first size records and, but for size 0,
	// record size-1, so that a record and its checkpoint are written in
	// one transaction.
	`
CREATE TABLE audit_log (
	size       INTEGER PRIMARY KEY CHECK (size >= 0),
	record     BLOB,          -- the entry: one JSON line, without its newline
	checkpoint BLOB NOT NULL, -- the signed note: origin, size, root, signature
	CHECK ((size = 0) = (record IS NULL))
) STRICT;
`,
	// 21: claims on webhook deliveries, so that of the coordinators
	// sharing the database one at a time sends a delivery: claim is a
	// random token per claim (an attempt is recorded only under the
	// token it was claimed with), claimed_by the process that took it,
	// claimed_until when another may take it over, in the database's
	// clock. Deliveries queued before stay unclaimed (claimed_until 0).
	`
ALTER TABLE webhook_deliveries ADD COLUMN claim TEXT NOT NULL DEFAULT '';
ALTER TABLE webhook_deliveries ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE webhook_deliveries ADD COLUMN claimed_until INTEGER NOT NULL DEFAULT 0; -- unix nanoseconds, the database's clock
`,
	// 22: the webhook endpoints the coordinator process that started
	// delivering last was configured with, as a digest, so that a process
	// started with another webhooks.json than the others says so.
	`
CREATE TABLE webhook_config (
	id      INTEGER PRIMARY KEY CHECK (id = 1), -- one row
	digest  TEXT NOT NULL CHECK (length(digest) = 64),
	set_by  TEXT NOT NULL,
	updated INTEGER NOT NULL -- unix nanoseconds, UTC
) STRICT;
`,
	// 23: wallet events in the webhook queue: a coin whose recovery path
	// opens soon, or has opened (request is then the coin's key, not a
	// request id). A CHECK cannot be changed in place on SQLite, so both
	// queue tables are made again (the deliveries refer to the events, so
	// neither could be dropped alone), their rows kept: copied aside,
	// dropped, created as before with the new kinds, copied back. The
	// same steps on PostgreSQL give the tables, constraints and indexes
	// their usual names.
	`
CREATE TABLE webhook_events_old AS SELECT id, kind, request, body, created FROM webhook_events;
CREATE TABLE webhook_deliveries_old AS SELECT event, url, state, attempts, next_attempt, last_status, last_error, updated,
	claim, claimed_by, claimed_until FROM webhook_deliveries;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_events;

CREATE TABLE webhook_events (
	id      TEXT PRIMARY KEY,
	kind    TEXT NOT NULL CHECK (kind IN ('request.needs_approval', 'request.signed', 'request.broadcast', 'request.confirmed',
		'wallet.recovery_nearing', 'wallet.recovery_open')),
	request TEXT NOT NULL, -- the request's id; for a wallet event, WALLET:TXID:VOUT of its coin
	body    BLOB NOT NULL,
	created INTEGER NOT NULL, -- unix nanoseconds, UTC
	UNIQUE (kind, request)
) STRICT;

CREATE TABLE webhook_deliveries (
	event         TEXT NOT NULL REFERENCES webhook_events(id),
	url           TEXT NOT NULL,
	state         TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
	attempts      INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_attempt  INTEGER NOT NULL, -- unix nanoseconds
	last_status   INTEGER NOT NULL DEFAULT 0,
	last_error    TEXT NOT NULL DEFAULT '',
	updated       INTEGER NOT NULL, -- unix nanoseconds
	claim         TEXT NOT NULL DEFAULT '',
	claimed_by    TEXT NOT NULL DEFAULT '',
	claimed_until INTEGER NOT NULL DEFAULT 0, -- unix nanoseconds, the database's clock
	PRIMARY KEY (event, url)
) STRICT;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt);

INSERT INTO webhook_events (id, kind, request, body, created) SELECT id, kind, request, body, created FROM webhook_events_old;
INSERT INTO webhook_deliveries (event, url, state, attempts, next_attempt, last_status, last_error, updated, claim, claimed_by, claimed_until)
	SELECT event, url, state, attempts, next_attempt, last_status, last_error, updated, claim, claimed_by, claimed_until FROM webhook_deliveries_old;
DROP TABLE webhook_deliveries_old;
DROP TABLE webhook_events_old;
`,
}
