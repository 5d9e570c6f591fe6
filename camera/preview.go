package camera

import (
	"fmt"
	"image"
	"strings"
	"time"

	"gocv.io/x/gocv"
)

// thumb is a small grey copy of a recent frame for the preview, in Go
// memory so that Preview never touches a Mat.
type thumb struct {
	pix      []byte
	w, h     int
	scale    float64          // thumbnail pixels per frame pixel
	corners  [][4]image.Point // outlines of the codes last read
	hasCode  bool
	codeAt   time.Time
	taken    time.Time
	scratchM gocv.Mat
}

const (
	thumbWidth    = 160                    // enough for a terminal preview of up to 160 columns
	thumbInterval = 100 * time.Millisecond // refresh at most 10 times a second
	outlineHold   = time.Second            // keep drawing a code's outline this long after it was read
)

// updatePreview runs on the decoder goroutine after each frame.
func (c *Camera) updatePreview(f *frame, got []found) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &c.preview
	ok := len(got) > 0
	if ok {
		t.corners, t.hasCode, t.codeAt = t.corners[:0], false, f.at
		for _, g := range got {
			if g.corners != [4]image.Point{} {
				t.corners, t.hasCode = append(t.corners, g.corners), true
			}
		}
	}
	now := time.Now()
	if !t.taken.IsZero() && now.Sub(t.taken) < thumbInterval && !ok {
		return
	}
	w, h := f.gray.Cols(), f.gray.Rows()
	if w == 0 || h == 0 {
		return
	}
	tw := min(thumbWidth, w)
	th := max(1, h*tw/w)
	if t.scratchM.Ptr() == nil {
		t.scratchM = gocv.NewMat()
	}
	gocv.Resize(f.gray, &t.scratchM, image.Pt(tw, th), 0, 0, gocv.InterpolationArea)
	small, err := t.scratchM.DataPtrUint8() // copied below: no per-frame C-to-Go copy
	if err != nil || !t.scratchM.IsContinuous() {
		return
	}
	t.pix = append(t.pix[:0], small...)
	t.w, t.h = tw, th
	t.scale = float64(tw) / float64(w)
	t.taken = now
}

func (t *thumb) close() {
	if t.scratchM.Ptr() != nil {
		t.scratchM.Close()
	}
}

// Preview renders the latest frame in cols×rows terminal cells with
// half-block characters (two pixels a cell, 256-colour grey ANSI escapes),
// with the outline of each code read in the last second drawn in green. Each
// line ends with an attribute reset; lines are joined with "\n". It returns
// "" before the first frame.
func (c *Camera) Preview(cols, rows int) string {
	c.mu.Lock()
	t := c.preview
	pix := append([]byte(nil), t.pix...)
	outlines := append([][4]image.Point(nil), t.corners...)
	c.mu.Unlock()
	if len(pix) == 0 || cols <= 0 || rows <= 0 {
		return ""
	}
	showOutline := t.hasCode && time.Since(t.codeAt) < outlineHold
	for k, q := range outlines {
		for i, p := range q {
			outlines[k][i] = image.Pt(int(float64(p.X)*t.scale), int(float64(p.Y)*t.scale))
		}
	}
	if !showOutline {
		outlines = nil
	}
	return renderHalfBlocks(pix, t.w, t.h, cols, rows, outlines)
}

// renderHalfBlocks draws a w×h grey image into cols×rows cells, keeping the
// aspect ratio (a cell is about twice as tall as wide, i.e. two pixels).
func renderHalfBlocks(pix []byte, w, h, cols, rows int, outlines [][4]image.Point) string {
	// Fit the image: one column per pixel across, two pixel rows per line.
	scale := min(float64(cols)/float64(w), float64(2*rows)/float64(h))
	ow, oh := max(1, int(float64(w)*scale)), max(2, int(float64(h)*scale))
	oh += oh % 2
	mask := make([]bool, ow*oh)
	for _, corners := range outlines {
		var pts [4]image.Point
		for i, p := range corners {
			pts[i] = image.Pt(int(float64(p.X)*scale), int(float64(p.Y)*scale))
		}
		for i := range pts {
			drawLine(mask, ow, oh, pts[i], pts[(i+1)%4])
		}
	}
	sample := func(x, y int) byte {
		sx := min(w-1, int(float64(x)/scale))
		sy := min(h-1, int(float64(y)/scale))
		return pix[sy*w+sx]
	}
	var b strings.Builder
	for y := 0; y < oh; y += 2 {
		for x := 0; x < ow; x++ {
			b.WriteString(cellColour(sample(x, y), mask[y*ow+x], true))
			b.WriteString(cellColour(sample(x, y+1), mask[(y+1)*ow+x], false))
			b.WriteString("▀")
		}
		b.WriteString("\x1b[0m")
		if y+2 < oh {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// cellColour picks the xterm-256 grey nearest to v, or green on the outline.
func cellColour(v byte, onOutline, fg bool) string {
	code := 46 // bright green
	if !onOutline {
		code = 232 + int(v)*23/255 // 232..255 is the grey ramp
		if v < 4 {
			code = 16 // black
		} else if v > 250 {
			code = 231 // white
		}
	}
	if fg {
		return fmt.Sprintf("\x1b[38;5;%dm", code)
	}
	return fmt.Sprintf("\x1b[48;5;%dm", code)
}

// drawLine marks the cells on the segment a-b (Bresenham), clipped to w×h.
func drawLine(mask []bool, w, h int, a, b image.Point) {
	dx, dy := abs(b.X-a.X), -abs(b.Y-a.Y)
	sx, sy := 1, 1
	if a.X > b.X {
		sx = -1
	}
	if a.Y > b.Y {
		sy = -1
	}
	err := dx + dy
	for {
		if a.X >= 0 && a.X < w && a.Y >= 0 && a.Y < h {
			mask[a.Y*w+a.X] = true
		}
		if a == b {
			return
		}
		e2 := 2 * err
		if e2 >= dy {
			err += dy
			a.X += sx
		}
		if e2 <= dx {
			err += dx
			a.Y += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
