package camera

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSafeTextEscapesWhatCouldHurtATerminal(t *testing.T) {
	cases := map[string]string{
		"HCN1:ABC 123":            "HCN1:ABC 123",
		"张*三 110***1234":          "张*三 110***1234",
		"\x1b[2J\x1b]0;pwned\x07": `\x1b[2J\x1b]0;pwned\x07`,
		"line1\r\nline2\t.":       `line1\x0d\nline2\t.`,
		"abc\u202edcb":            `abc\u202edcb`, // right-to-left override
		"\u009b31m":               `\u009b31m`,    // C1 control sequence introducer
		"bad\xffutf8":             `bad\xffutf8`,
		`back\slash`:              `back\\slash`,
	}
	for in, want := range cases {
		if got := SafeText(in); got != want {
			t.Errorf("SafeText(%q) = %q, want %q", in, got, want)
		}
		if s := (Code{Text: in}).Safe(); strings.ContainsAny(s, "\x1b\r\x07\u202e\u009b") {
			t.Errorf("Safe(%q) = %q still holds control characters", in, s)
		}
	}
}

func TestParseSource(t *testing.T) {
	dir := t.TempDir()
	video := filepath.Join(dir, "gate.avi")
	img := filepath.Join(dir, "code.PNG")
	for _, p := range []string{video, img} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		in   string
		want Source
	}{
		{"0", Source{Kind: Webcam, Index: 0}},
		{" 2 ", Source{Kind: Webcam, Index: 2}},
		{"/dev/video3", Source{Kind: Webcam, Index: 3}},
		{"rtsp://10.0.0.5/stream", Source{Kind: URL, Path: "rtsp://10.0.0.5/stream"}},
		{"HTTPS://cam.local/mjpg", Source{Kind: URL, Path: "HTTPS://cam.local/mjpg"}},
		{dir, Source{Kind: Folder, Path: dir}},
		{video, Source{Kind: VideoFile, Path: video}},
		{img, Source{Kind: ImageFile, Path: img}},
	}
	for _, c := range cases {
		got, err := ParseSource(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseSource(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "-1", "ftp://x/y", filepath.Join(dir, "missing.avi")} {
		if _, err := ParseSource(bad); err == nil {
			t.Errorf("ParseSource(%q) accepted", bad)
		}
	}
}

// TestPreviewShowsFrameAndOutline renders the preview of a frame with a code
// and checks its size and that the code's outline is drawn.
func TestPreviewShowsFrameAndOutline(t *testing.T) {
	path, _ := scene(t, "preview", 320, 240, 30, []shot{{text: healthPayload(5), frames: 2, size: 160}})
	cam, err := Open(context.Background(), Source{Kind: VideoFile, Path: path}, Options{Unpaced: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cam.Close()
	if got := cam.Preview(40, 10); got != "" && !strings.Contains(got, "▀") {
		t.Fatalf("preview before a frame: %q", got)
	}
	if _, ok := <-cam.Scans(); !ok {
		t.Fatal("no scan")
	}
	p := cam.Preview(40, 10)
	lines := strings.Split(p, "\n")
	if len(lines) != 10 {
		t.Fatalf("preview has %d lines, want 10 (320×240 into 40×10 cells fits the height)", len(lines))
	}
	for i, l := range lines {
		if n := strings.Count(l, "▀"); n == 0 || n > 40 {
			t.Errorf("line %d has %d cells", i, n)
		}
		if !strings.HasSuffix(l, "\x1b[0m") {
			t.Errorf("line %d does not reset attributes", i)
		}
	}
	if !strings.Contains(p, "38;5;46m") && !strings.Contains(p, "48;5;46m") {
		t.Error("no green outline around the code just read")
	}
	if !strings.Contains(p, "38;5;231m") && !strings.Contains(p, "38;5;25") {
		t.Error("no light pixels: the frame itself is not drawn")
	}
}
