// Package server is the reference provincial server: device enrolment,
// the signed issuer trust list, code status, idempotent record ingest and
// close-contact tracing, over HTTP (the scanner API under /v1/ and the
// loopback admin API). It holds the server's domain types and the Store
// interface; each database is an adapter in its own package (boltstore,
// pgstore) that the program wiring the server picks, and the institution
// portal is package portal. It also holds the key directory that
// `hcserver keys init` makes and `hcserver issue` uses.
package server
