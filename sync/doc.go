// Package sync is the scanner's side of the provincial protocol: device
// enrolment, pulling the signed trust list and status deltas into the
// store, uploading the record outbox in idempotent batches, the online
// status check, and the background loop with backoff that keeps the
// scanner in step with the province while it runs.
//
// It reads and writes the scanner's data file only through the small
// interfaces in data.go (Outbox, TrustCache, StatusCache, Identity,
// Settings), which *store.Store implements; it knows nothing of bbolt
// transactions, and a change to how the file keeps things stays in store/.
//
// It never writes to the terminal; it logs through the *slog.Logger it is
// given. The package name shadows the standard library's sync: import it
// as hcsync where both are needed.
package sync
