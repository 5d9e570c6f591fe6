//go:build !linux || !cgo

package camera

func pinMallocThreshold() {}
