package screenwire

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hcscan/camera"
	"hcscan/internal/qrimage"
	"hcscan/tui"
)

// The demo's camera: "starts at sign-in" until someone signs in, then a folder of
// codes played by real OpenCV, each code one scan in order, "ended" when the
// folder has played.
func TestDelayedCameraPlaysAFolder(t *testing.T) {
	dir := t.TempDir()
	texts := []string{"HCN1:FIRST-PERSON", "HCN1:SECOND-PERSON", "HCN1:THIRD-PERSON"}
	for i, s := range texts {
		if err := qrimage.WritePNG(filepath.Join(dir, fmt.Sprintf("%02d.png", i)), s, 6); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opened := 0
	cam, start := NewDelayedCamera(func() (*camera.Camera, error) {
		opened++
		return camera.Open(ctx, camera.Source{Kind: camera.Folder, Path: dir}, camera.Options{FPS: 10, Cooldown: time.Millisecond})
	})
	defer cam.Close()
	if st := cam.Status(); st.State != tui.CameraWaiting {
		t.Fatalf("before start: %+v, want waiting for sign-in", st)
	}
	if cam.Preview(40, 12) != "" {
		t.Fatal("a preview before the camera was opened")
	}
	start()
	start() // a second sign-in does not open it again
	var got []string
	timeout := time.After(20 * time.Second)
	for done := false; !done; {
		select {
		case sc, ok := <-cam.Scans():
			if !ok {
				done = true
				break
			}
			if sc.Source != tui.SourceCamera || sc.At.IsZero() {
				t.Errorf("scan %+v: want source camera and a frame time", sc)
			}
			got = append(got, sc.Text)
			if len(got) == 1 && cam.Preview(40, 12) == "" {
				t.Error("no preview after a frame with a code")
			}
		case <-timeout:
			t.Fatalf("the folder did not play to its end; scans so far %q", got)
		}
	}
	if strings.Join(got, " ") != strings.Join(texts, " ") {
		t.Fatalf("scans %q, want %q once each in order", got, texts)
	}
	if opened != 1 {
		t.Fatalf("opened %d times", opened)
	}
	if st := cam.Status(); st.State != tui.CameraEnded {
		t.Fatalf("after the folder: %+v, want ended", st)
	}
}

// A camera that cannot open says why; its scans stay open and silent, so
// the handheld scanner and manual entry still work.
func TestCameraThatFailedToOpen(t *testing.T) {
	// As hcscan run opens it: the source is parsed first, then opened.
	var c *camera.Camera
	src, openErr := camera.ParseSource(filepath.Join(t.TempDir(), "missing.avi"))
	if openErr == nil {
		c, openErr = camera.Open(context.Background(), src, camera.Options{})
	}
	if openErr == nil {
		c.Close()
		t.Fatal("a missing video opened")
	}
	cam := NewCamera(c, openErr)
	defer cam.Close()
	st := cam.Status()
	if st.State != tui.CameraFailed || st.Detail != openErr.Error() {
		t.Fatalf("status %+v; want failed with %q", st, openErr)
	}
	select {
	case sc, ok := <-cam.Scans():
		t.Fatalf("scans of a failed camera: %+v open %v", sc, ok)
	case <-time.After(50 * time.Millisecond):
	}
	if cam.Preview(40, 12) != "" {
		t.Fatal("a preview without a camera")
	}
}
