package camera

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/draw"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"hcscan/internal/qrimage"
)

func TestVideoWriterRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gate.avi")
	v, err := CreateVideo(path, 4, 320, 240)
	if err != nil {
		t.Fatal(err)
	}
	code, err := qrimage.Render("HCN1:VIDEOFILE-TEST", 4)
	if err != nil {
		t.Fatal(err)
	}
	frame := image.NewGray(image.Rect(0, 0, 320, 240))
	draw.Draw(frame, frame.Bounds(), image.NewUniform(color.Gray{Y: 220}), image.Point{}, draw.Src)
	draw.Draw(frame, code.Bounds().Add(image.Pt(60, 40)), code, image.Point{}, draw.Src)
	for range 6 {
		if err := v.Write(frame); err != nil {
			t.Fatal(err)
		}
	}
	if err := v.Write(image.NewGray(image.Rect(0, 0, 10, 10))); err == nil {
		t.Error("a frame of the wrong size was accepted")
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	r := NewReader()
	defer r.Close()
	decoded := 0
	st, err := r.DecodeVideo(context.Background(), path, func(s Scan) {
		if one(s).Text == "HCN1:VIDEOFILE-TEST" {
			decoded++
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Frames != 6 || decoded != 6 || st.Format.FPS != 4 || st.Format.Width != 320 {
		t.Errorf("read back %+v, %d frames decoded", st, decoded)
	}
	if _, err := CreateVideo(filepath.Join(t.TempDir(), "missing", "x.avi"), 4, 320, 240); err == nil {
		t.Error("a video in a missing folder was created")
	}
}

// OpenCV reads OPENCV_LOG_LEVEL before Go code runs, so a scanner started
// without it (not through make) must still print nothing: the package sets
// the level through OpenCV's API too. A failing video writer is noisy.
func TestOpenCVQuietWithoutEnvironment(t *testing.T) {
	if os.Getenv("HCSCAN_NOISE_CHILD") == "1" {
		if _, err := CreateVideo(filepath.Join(t.TempDir(), "missing", "x.avi"), 4, 320, 240); err == nil {
			t.Fatal("no error")
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestOpenCVQuietWithoutEnvironment$")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OPENCV_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "HCSCAN_NOISE_CHILD=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v %s", err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("OpenCV wrote to stderr: %q", stderr.String())
	}
}
