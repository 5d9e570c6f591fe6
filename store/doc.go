// Package store is the scanner's one data file: a bbolt database holding
// the record outbox, acknowledged-upload marks, dead letters, the trust and
// status list caches, operators (PIN verifiers), the device identity,
// counters, alerts and settings.
//
// Layout (schema 3; every key that orders by insertion is an 8-byte
// big-endian sequence number, so cursors walk oldest first):
//
//	meta         "schema" → u64, "created" → RFC 3339 time
//	records      seq → JSON healthcode.Record (the wire format)
//	ids          record id → seq
//	outbox       seq → (empty)                 waiting for upload
//	acked        recordTime(u64 ns) ‖ seq → ack time   uploaded; purge walks it oldest first
//	dead         seq → JSON DeadLetter         rejected by the server
//	provisional  codeHash ‖ seq → (empty)      provisional passes, for late status alerts
//	alerts       seq → JSON Alert
//	counters     "pending", "records" → u64; "day/2006-01-02" → healthcode.Tally as 9 u64:
//	             total, passed, stopped, invalid, fever, manual, provisional,
//	             repeats, abandoned (an older file's 7 read the last two as 0); the
//	             day is the local day of the check's time (healthcode.Record.When;
//	             schema 3, the laptop's clock before)
//	cache        trust list and status list: raw, seq, fetched
//	status       codeHash → colour(1) ‖ updated(u64 ns) ‖ seq(u64)
//	operators    name → JSON PIN verifier (argon2id), never the PIN
//	device       "identity" → JSON Device (the key is also in device.key, 0600)
//	settings     key → value
//
// A record is in exactly one of three states: pending (outbox), uploaded
// (acked) or rejected (dead). Appends go through one writer goroutine that
// commits whatever is queued in a single fsynced transaction (group commit).
// The package never prints; it logs through Options.Logger.
package store
