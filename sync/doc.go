// Package sync is the scanner's side of the provincial protocol: device
// enrolment, pulling the signed trust list and status deltas into the
// store, uploading the record outbox in idempotent batches, the online
// status check, and the background loop with backoff that keeps the
// scanner in step with the province while it runs.
//
// It never writes to the terminal; it logs through the *slog.Logger it is
// given. The package name shadows the standard library's sync: import it
// as hcsync where both are needed.
package sync
