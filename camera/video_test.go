package camera

import (
	"context"
	"image"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// doorShots is a queue at a gate: each condition operators complain about,
// people with nobody between them, and empty frames.
func doorShots() []shot {
	return []shot{
		{frames: 8},
		{text: healthPayload(1), frames: 14}, // held straight
		{frames: 6},
		{text: healthPayload(2), frames: 14, tilt: 0.2, rot: 25}, // phone held at an angle
		{frames: 6},
		{text: healthPayload(3), frames: 14, blur: 9}, // moving when it comes into view
		{frames: 6},
		{text: healthPayload(4), frames: 14, light: 0.35}, // dark room
		{frames: 6},
		{text: healthPayload(5), frames: 14, glare: true}, // reflection on the screen
		{frames: 6},
		{text: healthPayload(6), frames: 14, dark: true}, // dark-mode phone
		{text: healthPayload(7), frames: 14, rot: -10},   // next person right behind
		{frames: 8},
	}
}

// TestVideoEachPersonScannedOnce plays a real MJPG video through the whole
// pipeline and expects each person's code exactly once, in order, from a
// frame that shows it, with corners around the code.
func TestVideoEachPersonScannedOnce(t *testing.T) {
	shots := doorShots()
	path, texts := scene(t, "door", 640, 480, 30, shots)
	src, err := ParseSource(path)
	if err != nil || src.Kind != VideoFile {
		t.Fatalf("ParseSource(%s) = %+v, %v", path, src, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cam, err := Open(ctx, src, Options{Unpaced: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cam.Close()
	if f := cam.Format(); f.Width != 640 || f.Height != 480 || f.FPS != 30 {
		t.Errorf("format = %+v, want 640x480 @ 30", f)
	}
	var got []Scan
	for s := range cam.Scans() {
		got = append(got, s)
	}
	var want []string
	for _, s := range shots {
		if s.text != "" {
			want = append(want, s.text)
		}
	}
	if len(got) != len(want) {
		for _, s := range got {
			t.Logf("scan frame %d step %s: %.20s", s.Frame, one(s).Step, one(s).Text)
		}
		t.Fatalf("got %d scans, want %d (one per person)", len(got), len(want))
	}
	for i, s := range got {
		t.Logf("scan %d: frame %d, step %s, decoded in %v", i, s.Frame, one(s).Step, s.DecodeTime)
		if one(s).Text != want[i] {
			t.Errorf("scan %d: text %.20s…, want %.20s…", i, one(s).Text, want[i])
		}
		if s.Frame < 0 || s.Frame >= len(texts) || texts[s.Frame] != one(s).Text {
			t.Errorf("scan %d: frame %d does not show that code", i, s.Frame)
		}
		// The code sits in the middle of the frame: its outline must surround the centre.
		if !quadContains(one(s).Corners, 320, 240) {
			t.Errorf("scan %d: corners %v do not surround the code's centre", i, one(s).Corners)
		}
	}
	if st := cam.State(); st.Kind != Ended {
		t.Errorf("state after the file = %v, want ended", st.Kind)
	}
	if st := cam.Stats(); st.Frames != int64(len(texts)) || st.Decoded != st.Frames || st.Dropped != 0 {
		t.Errorf("stats %+v: unpaced must decode all %d frames", st, len(texts))
	}
}

// quadContains reports whether (x, y) is inside the convex quadrilateral q.
func quadContains(q [4]image.Point, x, y int) bool {
	sign := 0
	for i := range q {
		a, b := q[i], q[(i+1)%4]
		cross := (b.X-a.X)*(y-a.Y) - (b.Y-a.Y)*(x-a.X)
		s := 1
		if cross < 0 {
			s = -1
		}
		if cross == 0 {
			return false
		}
		if sign == 0 {
			sign = s
		} else if s != sign {
			return false
		}
	}
	return true
}

// TestVideoKeystoneReadOnce films two phones held at a strong angle at 720p:
// a version 10 code turned 12° with a 10 % keystone (gozxing alone takes a
// run of data modules for its alignment pattern and never reads it) and one
// turned 20° with a 25 % keystone (gozxing's finder rejects its three
// patterns as too different in size). Each must be scanned exactly once.
func TestVideoKeystoneReadOnce(t *testing.T) {
	shots := []shot{
		{frames: 3},
		{text: healthPayload(114), frames: 10, rot: 12, tilt: 0.1},
		{frames: 3},
		{text: healthPayload(301), frames: 10, rot: -20, tilt: 0.25},
		{frames: 3},
	}
	path, texts := scene(t, "keystone", 1280, 720, 30, shots)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cam, err := Open(ctx, Source{Kind: VideoFile, Path: path}, Options{Unpaced: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cam.Close()
	var got []Scan
	for s := range cam.Scans() {
		got = append(got, s)
	}
	if len(got) != 2 || one(got[0]).Text != shots[1].text || one(got[1]).Text != shots[3].text {
		for _, s := range got {
			t.Logf("scan frame %d step %s: %.20s", s.Frame, one(s).Step, one(s).Text)
		}
		t.Fatalf("got %d scans, want the two tilted codes once each, in order", len(got))
	}
	for i, s := range got {
		if texts[s.Frame] != one(s).Text || !quadContains(one(s).Corners, 640, 360) {
			t.Errorf("scan %d: frame %d, corners %v: not the frame or place of the code", i, s.Frame, one(s).Corners)
		}
	}
}

// TestLoopRewindsWithoutReopening plays a short video three times over
// through one Camera: the file is sought back to its first frame (no new
// capture), every frame is decoded, and the code is scanned on each pass.
func TestLoopRewindsWithoutReopening(t *testing.T) {
	shots := []shot{{frames: 2}, {text: healthPayload(8), frames: 4, size: 200}, {frames: 2}}
	path, texts := scene(t, "loop", 320, 240, 30, shots)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// Frames of one pass are 33 ms apart in media time: a 100 ms cool-down
	// keeps one scan a pass; each pass starts its media time afresh.
	cam, err := Open(ctx, Source{Kind: VideoFile, Path: path}, Options{Unpaced: true, Loop: true, Cooldown: 100 * time.Millisecond, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	scans := 0
	for s := range cam.Scans() {
		if one(s).Text != shots[1].text || texts[s.Frame%len(texts)] != one(s).Text {
			t.Errorf("scan at frame %d: %.20s", s.Frame, one(s).Text)
		}
		if scans++; scans == 3 {
			break
		}
	}
	if st := cam.Stats(); st.Frames < int64(2*len(texts)) {
		t.Errorf("stats %+v: three scans before the third pass", st)
	}
	if st := cam.State(); st.Kind != Running {
		t.Errorf("state %v while looping, want running", st.Kind)
	}
	cam.Close()
	if l := logs.String(); !strings.Contains(l, "rewound") || strings.Contains(l, "reopening") {
		t.Errorf("the loop should rewind the open capture, log:\n%s", l)
	}
}
