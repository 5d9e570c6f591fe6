package camera

import (
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"
)

// TestEveryHealthCodeDecodes renders 60 realistic health-code payloads as
// clean images and reads each one. Plain gozxing misses about one in ten of
// these (its finder takes a run of data modules for a finder pattern); the
// cascade must read them all.
func TestEveryHealthCodeDecodes(t *testing.T) {
	r := NewReader()
	defer r.Close()
	dir := t.TempDir()
	for seed := int64(0); seed < 60; seed++ {
		text := healthPayload(seed)
		m := qrMat(t, text)
		path := filepath.Join(dir, "code.png")
		ok := gocv.IMWrite(path, m)
		m.Close()
		if !ok {
			t.Fatal("write png")
		}
		s, err := r.DecodeImageFile(path)
		if err != nil || one(s).Text != text {
			t.Errorf("payload %d: got %q, %v", seed, SafeText(one(s).Text), err)
		}
	}
}
