//go:build !linux || !cgo

package camera

// pinMallocThreshold does nothing off glibc or without cgo.
func pinMallocThreshold() bool { return false }

// largeBlocksMapped is false where the allocator is not glibc's.
func largeBlocksMapped() bool { return false }
