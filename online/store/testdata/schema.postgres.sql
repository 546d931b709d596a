-- step 1
CREATE TABLE wallets (
	name       TEXT COLLATE "C" PRIMARY KEY,
	network    TEXT COLLATE "C" NOT NULL,
	descriptor TEXT COLLATE "C" NOT NULL,
	birthday   BIGINT NOT NULL CHECK (birthday >= 0),
	created    BIGINT NOT NULL -- unix nanoseconds, UTC
);

CREATE TABLE addresses (
	wallet TEXT COLLATE "C" NOT NULL REFERENCES wallets(name),
	branch BIGINT NOT NULL CHECK (branch IN (0, 1)),
	idx    BIGINT NOT NULL CHECK (idx >= 0),
	script BYTEA NOT NULL,
	used   BIGINT NOT NULL DEFAULT 0 CHECK (used IN (0, 1)),
	PRIMARY KEY (wallet, branch, idx),
	UNIQUE (wallet, script)
);

-- The applied chain. The tip is the highest row; it is written in the same
-- transaction as the UTXO changes of its block.
CREATE TABLE blocks (
	height BIGINT PRIMARY KEY CHECK (height > 0),
	hash   BYTEA NOT NULL UNIQUE CHECK (length(hash) = 32),
	prev   BYTEA NOT NULL CHECK (length(prev) = 32)
);

CREATE TABLE utxos (
	txid         BYTEA NOT NULL CHECK (length(txid) = 32),
	vout         BIGINT NOT NULL CHECK (vout >= 0),
	wallet       TEXT COLLATE "C" NOT NULL REFERENCES wallets(name),
	value        BIGINT NOT NULL CHECK (value >= 0),
	script       BYTEA NOT NULL,
	branch       BIGINT NOT NULL CHECK (branch IN (0, 1)),
	idx          BIGINT NOT NULL CHECK (idx >= 0),
	height       BIGINT NOT NULL CHECK (height >= 0), -- 0 = mempool
	spent_by     BYTEA CHECK (spent_by IS NULL OR length(spent_by) = 32),
	spent_height BIGINT CHECK (spent_height IS NULL OR spent_height > 0),
	-- Undo data, so DisconnectTip restores exactly the state before a block:
	-- seen_unconfirmed: the output was in the mempool before a block confirmed it;
	-- mempool_spent_by: the unconfirmed spend a block's spend replaced.
	seen_unconfirmed BIGINT NOT NULL DEFAULT 0 CHECK (seen_unconfirmed IN (0, 1)),
	mempool_spent_by BYTEA CHECK (mempool_spent_by IS NULL OR length(mempool_spent_by) = 32),
	PRIMARY KEY (txid, vout),
	CHECK (spent_height IS NULL OR spent_by IS NOT NULL)
);

CREATE INDEX utxos_unspent ON utxos (wallet, height) WHERE spent_by IS NULL;
CREATE INDEX utxos_height ON utxos (height);
CREATE INDEX utxos_spent_height ON utxos (spent_height) WHERE spent_height IS NOT NULL;
-- step 2
-- Every transaction that paid one of our outputs, as the node served it:
-- the PSBT builder needs it as non_witness_utxo, and a node without
-- -txindex cannot serve it again once it is confirmed.
CREATE TABLE txs (
	txid BYTEA PRIMARY KEY CHECK (length(txid) = 32),
	raw  BYTEA NOT NULL
);

-- issued: handed out by receive or taken as a change address, so the next
-- caller gets another one; the gap limit counts from it as from used.
-- coinbase: a coinbase output may be spent only 100 blocks after its own.
ALTER TABLE utxos ADD COLUMN coinbase BIGINT NOT NULL DEFAULT 0 CHECK (coinbase IN (0, 1));

ALTER TABLE addresses ADD COLUMN issued BIGINT NOT NULL DEFAULT 0 CHECK (issued IN (0, 1));

CREATE TABLE withdrawals (
	id           TEXT COLLATE "C" PRIMARY KEY,
	wallet       TEXT COLLATE "C" NOT NULL REFERENCES wallets(name),
	status       TEXT COLLATE "C" NOT NULL CHECK (status IN ('pending', 'broadcast', 'cancelled', 'replaced')),
	requester    TEXT COLLATE "C" NOT NULL,
	created      BIGINT NOT NULL, -- unix nanoseconds, UTC
	destination  TEXT COLLATE "C" NOT NULL,
	amount       BIGINT NOT NULL CHECK (amount > 0),
	fee          BIGINT NOT NULL CHECK (fee >= 0),
	feerate      BIGINT NOT NULL CHECK (feerate > 0), -- sat/kvB
	change_index BIGINT CHECK (change_index IS NULL OR change_index >= 0),
	psbt         BYTEA NOT NULL,    -- the unsigned PSBT as built
	unsigned_txid BYTEA NOT NULL CHECK (length(unsigned_txid) = 32),
	final_tx     BYTEA,             -- set when broadcast
	txid         BYTEA CHECK (txid IS NULL OR length(txid) = 32),
	replaces     TEXT COLLATE "C" REFERENCES withdrawals(id),
	CHECK ((status = 'broadcast') = (final_tx IS NOT NULL) OR status = 'replaced')
);

-- One row per input a live request spends. The primary key is what stops
-- two requests from reserving the same output.
CREATE TABLE reservations (
	txid       BYTEA NOT NULL CHECK (length(txid) = 32),
	vout       BIGINT NOT NULL CHECK (vout >= 0),
	withdrawal TEXT COLLATE "C" NOT NULL REFERENCES withdrawals(id),
	PRIMARY KEY (txid, vout)
);
CREATE INDEX reservations_withdrawal ON reservations (withdrawal);
-- step 3
-- token_hash is SHA-256 of the bearer token. Tokens are 32 random bytes, so
-- a plain hash is enough: there is nothing to guess that a slow, salted hash
-- would protect. The clear token is shown once and never stored.
CREATE TABLE users (
	name       TEXT COLLATE "C" PRIMARY KEY,
	role       TEXT COLLATE "C" NOT NULL CHECK (role IN ('viewer', 'requester', 'approver', 'admin')),
	token_hash BYTEA NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	created    BIGINT NOT NULL, -- unix nanoseconds, UTC
	disabled   BIGINT NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
);
-- step 4
-- sealed is the ed25519 seed encrypted under a key derived from the user's
-- password (see coordinator's sealed key format); the store never sees the
-- password or the seed. failures counts wrong passwords in a row.
CREATE TABLE approval_keys (
	user_name  TEXT COLLATE "C" PRIMARY KEY REFERENCES users(name),
	public_key BYTEA NOT NULL CHECK (length(public_key) = 32),
	sealed     BYTEA NOT NULL,
	failures   BIGINT NOT NULL DEFAULT 0 CHECK (failures >= 0)
);

-- One row per approver of a request: approving again replaces the row, as
-- the approval in the request's PSBT is replaced.
CREATE TABLE approvals (
	withdrawal TEXT COLLATE "C" NOT NULL REFERENCES withdrawals(id),
	approver   TEXT COLLATE "C" NOT NULL,
	public_key BYTEA NOT NULL CHECK (length(public_key) = 32),
	expires    BIGINT NOT NULL, -- unix seconds
	created    BIGINT NOT NULL, -- unix nanoseconds, UTC
	PRIMARY KEY (withdrawal, approver)
);
-- step 5
ALTER TABLE wallets ADD COLUMN suspended BIGINT NOT NULL DEFAULT 0 CHECK (suspended IN (0, 1));
ALTER TABLE wallets ADD COLUMN recovery TEXT COLLATE "C" NOT NULL DEFAULT '';
-- step 6
ALTER TABLE users ADD COLUMN web_password BYTEA;
ALTER TABLE users ADD COLUMN web_failures BIGINT NOT NULL DEFAULT 0 CHECK (web_failures >= 0);
ALTER TABLE users ADD COLUMN web_locked_until BIGINT NOT NULL DEFAULT 0; -- unix nanoseconds, 0 = not locked

-- id_hash is SHA-256 of the session id the browser holds in its cookie:
-- 32 random bytes, so a plain hash is enough (as for API tokens) and a
-- copy of the database does not hand out live sessions.
CREATE TABLE web_sessions (
	id_hash   BYTEA PRIMARY KEY CHECK (length(id_hash) = 32),
	user_name TEXT COLLATE "C" NOT NULL REFERENCES users(name),
	created   BIGINT NOT NULL, -- unix nanoseconds, UTC
	last_seen BIGINT NOT NULL, -- unix nanoseconds, UTC
	expires   BIGINT NOT NULL  -- unix nanoseconds: the absolute end
);
CREATE INDEX web_sessions_user ON web_sessions (user_name);
-- step 7
CREATE TABLE kiosk_checkpoints (
	wallet   TEXT COLLATE "C" NOT NULL REFERENCES wallets(name),
	key_name TEXT COLLATE "C" NOT NULL, -- the kiosk's note key name, airsign-<key id>
	size     BIGINT NOT NULL CHECK (size >= 0),
	value    BYTEA NOT NULL, -- the carried field: verifier key, newline, signed note
	seen     BIGINT NOT NULL, -- unix nanoseconds, UTC
	PRIMARY KEY (wallet, key_name)
);
-- step 8
ALTER TABLE withdrawals ADD COLUMN bumped_by TEXT COLLATE "C" NOT NULL DEFAULT '';
-- step 9
ALTER TABLE wallets ADD COLUMN identity TEXT COLLATE "C" CHECK (identity IS NULL OR length(identity) = 64);
CREATE UNIQUE INDEX wallets_identity ON wallets (identity);
-- step 10
CREATE TABLE web_failures (
	user_name    TEXT COLLATE "C" NOT NULL REFERENCES users(name),
	remote       TEXT COLLATE "C" NOT NULL,
	failures     BIGINT NOT NULL DEFAULT 0 CHECK (failures >= 0),
	locked_until BIGINT NOT NULL DEFAULT 0, -- unix nanoseconds, 0 = not locked
	updated      BIGINT NOT NULL,           -- unix nanoseconds
	PRIMARY KEY (user_name, remote)
);
-- step 11
ALTER TABLE withdrawals ADD COLUMN paid_txid BYTEA CHECK (paid_txid IS NULL OR length(paid_txid) = 32);
-- step 12
ALTER TABLE withdrawals ADD COLUMN conflict_txid BYTEA CHECK (conflict_txid IS NULL OR length(conflict_txid) = 32);
-- step 13
ALTER TABLE withdrawals ADD COLUMN revokes BIGINT NOT NULL DEFAULT 0 CHECK (revokes IN (0, 1));
-- step 14
CREATE TABLE approver_keys (
	key_id        BYTEA PRIMARY KEY CHECK (length(key_id) = 32),
	user_name     TEXT COLLATE "C" NOT NULL REFERENCES users(name),
	kind          TEXT COLLATE "C" NOT NULL CHECK (kind IN ('webauthn', 'station')),
	public_key    BYTEA NOT NULL, -- the canonical COSE_Key, or the ed25519 key
	rp_id         TEXT COLLATE "C" NOT NULL DEFAULT '',
	credential_id BYTEA,
	label         TEXT COLLATE "C" NOT NULL DEFAULT '',
	created       BIGINT NOT NULL, -- unix nanoseconds, UTC
	disabled      BIGINT NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
);
CREATE INDEX approver_keys_user ON approver_keys (user_name);
ALTER TABLE approvals ADD COLUMN kind TEXT COLLATE "C" NOT NULL DEFAULT 'coordinator-sealed';
-- step 15
CREATE TABLE wallet_quorums (
	wallet  TEXT COLLATE "C" PRIMARY KEY REFERENCES wallets(name),
	need    BIGINT NOT NULL CHECK (need BETWEEN 1 AND 16),
	kinds   TEXT COLLATE "C" NOT NULL DEFAULT '', -- comma-separated approval kinds; '' = the kiosk's default
	set_by  TEXT COLLATE "C" NOT NULL,
	updated BIGINT NOT NULL -- unix nanoseconds, UTC
);
-- step 16
CREATE EXTENSION IF NOT EXISTS citext;

-- One label per address, so a destination shows one name.
CREATE TABLE payees (
	label    CITEXT PRIMARY KEY,
	address  TEXT COLLATE "C" NOT NULL UNIQUE,
	note     TEXT COLLATE "C" NOT NULL DEFAULT '',
	added_by TEXT COLLATE "C" NOT NULL,
	updated  BIGINT NOT NULL -- unix nanoseconds, UTC
);

-- ref as BIP-329 writes it: a txid (tx), an address (addr), txid:vout (output).
CREATE TABLE labels (
	wallet  TEXT COLLATE "C" NOT NULL REFERENCES wallets(name),
	type    TEXT COLLATE "C" NOT NULL CHECK (type IN ('tx', 'addr', 'output')),
	ref     TEXT COLLATE "C" NOT NULL,
	label   TEXT COLLATE "C" NOT NULL CHECK (label != ''),
	set_by  TEXT COLLATE "C" NOT NULL,
	updated BIGINT NOT NULL, -- unix nanoseconds, UTC
	PRIMARY KEY (wallet, type, ref)
);

ALTER TABLE withdrawals ADD COLUMN memo TEXT COLLATE "C" NOT NULL DEFAULT '';
-- economy, normal, priority, custom; '' for requests made before presets
-- and for fee bumps (which name a rate).
ALTER TABLE withdrawals ADD COLUMN fee_preset TEXT COLLATE "C" NOT NULL DEFAULT '';
-- step 17
ALTER TABLE users ADD COLUMN web_last_signin BIGINT NOT NULL DEFAULT 0;    -- unix nanoseconds, 0 = never
ALTER TABLE users ADD COLUMN web_password_until BIGINT NOT NULL DEFAULT 0; -- unix nanoseconds, 0 = the user's own password

-- body is the JSON sent, made when the event happened: ids, amounts and
-- states, never a PSBT or a secret (the secrets stay in the configuration).
CREATE TABLE webhook_events (
	id      TEXT COLLATE "C" PRIMARY KEY,
	kind    TEXT COLLATE "C" NOT NULL CHECK (kind IN ('request.needs_approval', 'request.signed', 'request.broadcast', 'request.confirmed')),
	request TEXT COLLATE "C" NOT NULL,
	body    BYTEA NOT NULL,
	created BIGINT NOT NULL, -- unix nanoseconds, UTC
	UNIQUE (kind, request)
);

CREATE TABLE webhook_deliveries (
	event        TEXT COLLATE "C" NOT NULL REFERENCES webhook_events(id),
	url          TEXT COLLATE "C" NOT NULL,
	state        TEXT COLLATE "C" NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
	attempts     BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_attempt BIGINT NOT NULL, -- unix nanoseconds
	last_status  BIGINT NOT NULL DEFAULT 0,
	last_error   TEXT COLLATE "C" NOT NULL DEFAULT '',
	updated      BIGINT NOT NULL, -- unix nanoseconds
	PRIMARY KEY (event, url)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt);
-- step 18
CREATE TABLE leases (
	name    TEXT COLLATE "C" PRIMARY KEY,
	holder  TEXT COLLATE "C" NOT NULL,
	expires BIGINT NOT NULL, -- unix nanoseconds, the database's clock
	epoch   BIGINT NOT NULL CHECK (epoch > 0)
);
-- step 19
ALTER TABLE wallets ADD COLUMN policy TEXT COLLATE "C" NOT NULL DEFAULT '';
-- step 20
CREATE TABLE audit_log (
	size       BIGINT PRIMARY KEY CHECK (size >= 0),
	record     BYTEA,          -- the entry: one JSON line, without its newline
	checkpoint BYTEA NOT NULL, -- the signed note: origin, size, root, signature
	CHECK ((size = 0) = (record IS NULL))
);
-- step 21
ALTER TABLE webhook_deliveries ADD COLUMN claim TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE webhook_deliveries ADD COLUMN claimed_by TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE webhook_deliveries ADD COLUMN claimed_until BIGINT NOT NULL DEFAULT 0; -- unix nanoseconds, the database's clock
-- step 22
CREATE TABLE webhook_config (
	id      BIGINT PRIMARY KEY CHECK (id = 1), -- one row
	digest  TEXT COLLATE "C" NOT NULL CHECK (length(digest) = 64),
	set_by  TEXT COLLATE "C" NOT NULL,
	updated BIGINT NOT NULL -- unix nanoseconds, UTC
);
-- step 23
CREATE TABLE webhook_events_old AS SELECT id, kind, request, body, created FROM webhook_events;
CREATE TABLE webhook_deliveries_old AS SELECT event, url, state, attempts, next_attempt, last_status, last_error, updated,
	claim, claimed_by, claimed_until FROM webhook_deliveries;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_events;

CREATE TABLE webhook_events (
	id      TEXT COLLATE "C" PRIMARY KEY,
	kind    TEXT COLLATE "C" NOT NULL CHECK (kind IN ('request.needs_approval', 'request.signed', 'request.broadcast', 'request.confirmed',
		'wallet.recovery_nearing', 'wallet.recovery_open')),
	request TEXT COLLATE "C" NOT NULL, -- the request's id; for a wallet event, WALLET:TXID:VOUT of its coin
	body    BYTEA NOT NULL,
	created BIGINT NOT NULL, -- unix nanoseconds, UTC
	UNIQUE (kind, request)
);

CREATE TABLE webhook_deliveries (
	event         TEXT COLLATE "C" NOT NULL REFERENCES webhook_events(id),
	url           TEXT COLLATE "C" NOT NULL,
	state         TEXT COLLATE "C" NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
	attempts      BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_attempt  BIGINT NOT NULL, -- unix nanoseconds
	last_status   BIGINT NOT NULL DEFAULT 0,
	last_error    TEXT COLLATE "C" NOT NULL DEFAULT '',
	updated       BIGINT NOT NULL, -- unix nanoseconds
	claim         TEXT COLLATE "C" NOT NULL DEFAULT '',
	claimed_by    TEXT COLLATE "C" NOT NULL DEFAULT '',
	claimed_until BIGINT NOT NULL DEFAULT 0, -- unix nanoseconds, the database's clock
	PRIMARY KEY (event, url)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt);

INSERT INTO webhook_events (id, kind, request, body, created) SELECT id, kind, request, body, created FROM webhook_events_old;
INSERT INTO webhook_deliveries (event, url, state, attempts, next_attempt, last_status, last_error, updated, claim, claimed_by, claimed_until)
	SELECT event, url, state, attempts, next_attempt, last_status, last_error, updated, claim, claimed_by, claimed_until FROM webhook_deliveries_old;
DROP TABLE webhook_deliveries_old;
DROP TABLE webhook_events_old;
