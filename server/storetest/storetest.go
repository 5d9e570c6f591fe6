// Package storetest is the behaviour every server.Store must have, run by
// each adapter's own tests (boltstore on a file in t.TempDir(), pgstore on
// a real PostgreSQL server): storetest.Run(t, open). Each case drives a
// real server on loopback HTTP, as scanners and browsers do. The helpers
// (Env, Device, Upload, ...) are exported for the adapters' own tests and
// benchmarks.
//
// A new Store method gets a case here, so both adapters must pass it.
package storetest

import (
	"testing"
	"time"

	"hcscan/server"
)

// Options are what a case asks of a new, empty store.
type Options struct {
	// StatusHistory is how many status changes the store keeps for deltas
	// (0: the store's default).
	StatusHistory int
	// Now is the test's clock (PostgreSQL makes day partitions by it).
	Now func() time.Time
}

// Open makes a new, empty store for t; the server that gets it closes it.
type Open func(t testing.TB, o Options) server.Store

// cases are what every store must do.
var cases = []struct {
	name string
	fn   func(*testing.T, Open)
}{
	{"enrolment token single use", testEnrolmentTokenIsSingleUse},
	{"signed requests", testSignedRequestsAreChecked},
	{"status delta snapshot live", testStatusDeltaSnapshotAndLive},
	{"status in pages", testStatusInPages},
	{"ingest idempotent and strict", testIngestIsIdempotentAndStrict},
	{"provisional then red alert", testProvisionalPassThenRedRaisesAlert},
	{"alert acknowledged at the gate", testAlertAcknowledgedAtTheGate},
	{"records go by the corrected time", testRecordsGoByTheCorrectedTime},
	{"close contacts and portal", testCloseContactsAndPortal},
	{"records newest first", testRecordsNewestFirstInPages},
	{"record filters pages and counts", testRecordFiltersPagesAndCounts},
	{"institutions staff and logins", testInstitutionsStaffAndLogins},
	{"stored record is what was sent", testStoredRecordIsWhatWasSent},
	{"record unique across days", testRecordUniqueAcrossDays},
	{"sealed identity", testSealedIdentity},
	{"sessions expire and prune", testSessionsExpire},
	{"ended context stores nothing", testEndedContextStoresNothing},
	{"roster linked by CSV and scan", testRosterLinkedByCSVAndScan},
	{"morning view counts", testMorningViewCounts},
	{"roster status turns without a scan", testRosterStatusTurnsWithoutAScan},
	{"group contacts", testGroupContacts},
	{"people pages", testPeoplePages},
	{"school morning", testSchoolMorning},
}

// Run runs every case on stores from open, each as a subtest.
func Run(t *testing.T, open Open) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open) })
	}
}
