//go:build !fakeclock

package trustclock

// System is the machine's clocks. Nothing in the shipped program can move
// them: only a test build (-tags fakeclock) reads a shift from a file.
func System() Source { return machine() }

// Fake reports whether this is the test build whose wall clock a file moves.
const Fake = false
