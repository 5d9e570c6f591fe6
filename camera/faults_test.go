//go:build linux

package camera

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

// captureOutput runs fn with file descriptors 1 and 2 pointing at a file, so
// that what OpenCV's C++ code writes there is caught too, and returns it.
func captureOutput(t *testing.T, fn func()) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved := [2]int{}
	for i, fd := range []int{1, 2} {
		if saved[i], err = syscall.Dup(fd); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Dup3(int(f.Fd()), fd, 0); err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		for i, fd := range []int{1, 2} {
			_ = syscall.Dup3(saved[i], fd, 0)
			syscall.Close(saved[i])
		}
	}()
	fn()
	b, _ := os.ReadFile(f.Name())
	return string(b)
}

// TestOpenFaultsAreErrorsNotNoise: every bad source is a clear error from
// Open, and nothing at all reaches stdout or stderr on the way.
func TestOpenFaultsAreErrorsNotNoise(t *testing.T) {
	dir := t.TempDir()
	notVideo := filepath.Join(dir, "notes.avi")
	mustWrite(t, notVideo, "this is not a video")
	junk := filepath.Join(dir, "junk")
	mustWrite(t, filepath.Join(junk, "readme.txt"), "no images here")
	mustWrite(t, filepath.Join(junk, "fake.png"), "not a PNG either")
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		src  Source
		want error
	}{
		{"missing webcam", Source{Kind: Webcam, Index: 63}, ErrNoDevice},
		{"file that is not a video", Source{Kind: VideoFile, Path: notVideo}, ErrNotVideo},
		{"missing video file", Source{Kind: VideoFile, Path: filepath.Join(dir, "gone.avi")}, fs.ErrNotExist},
		{"folder with non-images", Source{Kind: Folder, Path: junk}, ErrNoImages},
		{"empty folder", Source{Kind: Folder, Path: empty}, ErrNoImages},
		{"image that is not an image", Source{Kind: ImageFile, Path: filepath.Join(junk, "fake.png")}, ErrNotImage},
	}
	errs := make([]error, len(cases))
	out := captureOutput(t, func() {
		for i, c := range cases {
			cam, err := Open(context.Background(), c.src, Options{})
			if cam != nil {
				cam.Close()
			}
			errs[i] = err
		}
		r := NewReader()
		defer r.Close()
		_, err := r.DecodeImageFile(filepath.Join(junk, "fake.png"))
		errs = append(errs, err)
		_, err = r.DecodeVideo(context.Background(), notVideo, nil)
		errs = append(errs, err)
	})
	for i, c := range cases {
		if !errors.Is(errs[i], c.want) {
			t.Errorf("%s: Open error = %v, want %v", c.name, errs[i], c.want)
		}
	}
	if !errors.Is(errs[len(cases)], ErrNotImage) {
		t.Errorf("DecodeImageFile(fake.png) = %v, want ErrNotImage", errs[len(cases)])
	}
	if !errors.Is(errs[len(cases)+1], ErrNotVideo) {
		t.Errorf("DecodeVideo(notes.avi) = %v, want ErrNotVideo", errs[len(cases)+1])
	}
	if out != "" {
		t.Errorf("OpenCV wrote to stdout/stderr:\n%s", out)
	}
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestStreamLostThenReconnected reads a real video over HTTP (FFmpeg's
// network input). When the stream ends the camera reports it lost and
// reconnects by itself; while the server is gone it keeps retrying.
func TestStreamLostThenReconnected(t *testing.T) {
	code := healthPayload(40)
	path, _ := scene(t, "stream", 320, 240, 30, []shot{{frames: 3}, {text: code, frames: 10, size: 150}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, path)
	}))
	defer srv.Close()
	src, err := ParseSource(srv.URL + "/door.avi")
	if err != nil || src.Kind != URL {
		t.Fatalf("ParseSource = %+v, %v", src, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var cam *Camera
	out := captureOutput(t, func() {
		cam, err = Open(ctx, src, Options{RetryMin: 20 * time.Millisecond, RetryMax: 50 * time.Millisecond})
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cam.Close()
	if out != "" {
		t.Errorf("output while opening a stream: %q", out)
	}

	// Running → (stream ends) Lost → Running again, and the code is read once.
	wantKinds := []StateKind{Running, Lost, Running}
	var kinds []StateKind
	for len(kinds) < len(wantKinds) {
		select {
		case st := <-cam.States():
			if len(kinds) > 0 && kinds[len(kinds)-1] == st.Kind {
				continue
			}
			kinds = append(kinds, st.Kind)
			if st.Kind == Lost && st.Err == nil {
				t.Error("lost state without a reason")
			}
		case <-ctx.Done():
			t.Fatalf("states so far %v, want %v", kinds, wantKinds)
		}
	}
	for i := range wantKinds {
		if kinds[i] != wantKinds[i] {
			t.Fatalf("states %v, want %v", kinds, wantKinds)
		}
	}
	select {
	case s := <-cam.Scans():
		if one(s).Text != code {
			t.Errorf("scan %.20s…, want %.20s…", one(s).Text, code)
		}
	case <-ctx.Done():
		t.Fatal("no scan from the stream")
	}

	// The server goes away: the camera stays lost and counts its attempts.
	srv.Close()
	for {
		select {
		case st := <-cam.States():
			if st.Kind == Lost && st.Attempt >= 3 {
				cam.Close()
				if got := cam.State().Kind; got != Stopped {
					t.Errorf("state after Close = %v, want stopped", got)
				}
				return
			}
		case <-ctx.Done():
			t.Fatalf("no repeated reconnection attempts; state %+v", cam.State())
		}
	}
}

// TestFolderPlaysImagesInNameOrder: a folder of photographs is a video whose
// frames are the images in name order; a broken image among them is skipped.
func TestFolderPlaysImagesInNameOrder(t *testing.T) {
	dir := t.TempDir()
	texts := []string{healthPayload(21), healthPayload(22), healthPayload(23)}
	for i, name := range []string{"c.png", "a.jpg", "b.png"} {
		m := qrMat(t, texts[i])
		if !gocv.IMWrite(filepath.Join(dir, name), m) {
			t.Fatalf("write %s", name)
		}
		m.Close()
	}
	mustWrite(t, filepath.Join(dir, "a2.png"), "broken")
	mustWrite(t, filepath.Join(dir, "notes.txt"), "ignored")
	cam, err := Open(context.Background(), Source{Kind: Folder, Path: dir}, Options{Unpaced: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cam.Close()
	var got []string
	for s := range cam.Scans() {
		got = append(got, one(s).Text)
	}
	want := []string{texts[1], texts[2], texts[0]} // a.jpg, b.png, c.png
	if len(got) != len(want) {
		for _, g := range got {
			t.Logf("got %.20s", g)
		}
		for _, g := range want {
			t.Logf("want %.20s", g)
		}
		t.Logf("stats %+v", cam.Stats())
		t.Fatalf("got %d scans, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("scan %d is %.20s…, want %.20s…", i, got[i], want[i])
		}
	}
}
