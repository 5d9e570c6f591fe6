package camera

import (
	"context"
	"image"
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
			t.Logf("scan frame %d step %s: %.20s", s.Frame, s.Step, s.Text)
		}
		t.Fatalf("got %d scans, want %d (one per person)", len(got), len(want))
	}
	for i, s := range got {
		t.Logf("scan %d: frame %d, step %s, decoded in %v", i, s.Frame, s.Step, s.DecodeTime)
		if s.Text != want[i] {
			t.Errorf("scan %d: text %.20s…, want %.20s…", i, s.Text, want[i])
		}
		if s.Frame < 0 || s.Frame >= len(texts) || texts[s.Frame] != s.Text {
			t.Errorf("scan %d: frame %d does not show that code", i, s.Frame)
		}
		// The code sits in the middle of the frame: its outline must surround the centre.
		if !quadContains(s.Corners, 320, 240) {
			t.Errorf("scan %d: corners %v do not surround the code's centre", i, s.Corners)
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
