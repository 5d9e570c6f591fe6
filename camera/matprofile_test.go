//go:build matprofile

package camera

import (
	"context"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

// TestNoMatLeaks runs the live pipeline, a looped file, the preview, the still and video
// readers and the fault paths, then checks that every Mat they made was
// closed. Run with `go test -tags matprofile ./camera`.
func TestNoMatLeaks(t *testing.T) {
	path, _ := scene(t, "leak", 320, 240, 30, []shot{{frames: 4}, {text: healthPayload(9), frames: 8, size: 150}, {frames: 4}})
	before := gocv.MatProfile.Count()

	cam, err := Open(context.Background(), Source{Kind: VideoFile, Path: path}, Options{Unpaced: true})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range cam.Scans() {
		n++
		_ = cam.Preview(40, 12)
	}
	cam.Close()
	if n != 1 {
		t.Errorf("%d scans, want 1", n)
	}
	// A looped file rewinds its capture (and re-reads its first frame).
	loop, err := Open(context.Background(), Source{Kind: VideoFile, Path: path}, Options{Unpaced: true, Loop: true, Cooldown: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		<-loop.Scans()
	}
	loop.Close()
	r := NewReader()
	if _, err := r.DecodeVideo(context.Background(), path, nil); err != nil {
		t.Error(err)
	}
	_, _ = r.DecodeImageFile(path) // not an image: an error, and no Mat left behind
	// Four codes in a busy scene: the region detector and region decoding.
	scenePath, _ := fourCodeScene(t, issuedCodes(t, 4))
	if s, err := r.DecodeImageFile(scenePath); err != nil || len(s.Codes) != 4 {
		t.Errorf("scene: %d codes, %v", len(s.Codes), err)
	}
	r.Close()
	if _, err := Open(context.Background(), Source{Kind: Webcam, Index: 63}, Options{}); err == nil {
		t.Error("opened a missing webcam")
	}

	if after := gocv.MatProfile.Count(); after != before {
		var b []byte
		gocv.MatProfile.WriteTo(&bytesWriter{&b}, 1)
		t.Errorf("%d Mats left open:\n%s", after-before, b)
	}
}

type bytesWriter struct{ b *[]byte }

func (w *bytesWriter) Write(p []byte) (int, error) { *w.b = append(*w.b, p...); return len(p), nil }
