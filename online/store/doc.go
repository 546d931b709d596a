// Package store is the coordinator's durable state: registered watch-only
// wallets, the addresses derived from them, and the UTXO set the watcher has
// applied block by block, kept in one embedded SQLite file or in a
// PostgreSQL database that several coordinator processes share.
//
// The store holds no chain logic. In the request → fetch → apply habit the
// watcher decides what a block means for our wallets and hands the store an
// Update; ApplyBlock writes it, the new tip included, in one transaction, and
// DisconnectTip undoes exactly one block the same way. Whatever a caller sees
// is therefore always the state after some whole number of blocks, never a
// block half applied.
//
// On PostgreSQL every write transaction is serializable and is run again
// when it loses a race with another process's (inTx), so two coordinators
// cannot reserve one coin; a lease (AcquireLease) lets one of them run the
// chain watcher; and their one audit log is kept here (AuditLog), appended
// under one lock.
package store
