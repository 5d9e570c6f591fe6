// Package screenwire adapts the scanner's parts to the screen's small
// interfaces (tui.Deps): the data file (store/) to tui.RecordStore, the
// offline verifier with the cached trust and status lists and the online
// status check (sync/) to tui.VerifyFunc, the camera (camera/) to
// tui.Camera, the sync client to tui.Syncer, and the province's seal key to
// tui.SealFunc.
//
// cmd/hcscan wires the screen with these adapters, and the screen tests in
// tui/ use the same ones, so that what the tests draw is what an operator
// sees. The package holds no policy of its own: rules are in healthcode/,
// storage in store/, the protocol in sync/.
package screenwire
