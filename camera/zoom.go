package camera

import (
	"image"
	"math"
	"sort"

	"gocv.io/x/gocv"
)

// Zoom. A code whose modules are under about 3 px (a version 2 code 50 px
// wide at the back of the queue, small codes on a card held at arm's
// length in a 550 px photo) often shows the detector only one or two of its
// finder patterns: at that scale the white ring closes up under blur. The
// patterns it did see say where to look: the area around each unread small
// pattern is enlarged (cubic) until a module is about 4 px, and the
// detector runs again there alone. Only those areas are enlarged, never the
// whole frame, so a live frame pays for it only where something small was
// seen.
const (
	zoomMaxModule   = regionMinModule // patterns with smaller modules are looked at again
	zoomTarget      = 4.0             // px a module after enlarging
	zoomMaxScale    = 4.0
	zoomReach       = 60   // modules around a pattern (a version 10 code's farthest pattern is 71 away diagonally; most are nearer)
	zoomMaxSide     = 1600 // px a side after enlarging
	zoomLiveWindows = 2    // areas enlarged in one live frame
)

type zoomWindow struct {
	rect   image.Rectangle
	module float64
	count  int // unread small patterns in it
}

// zoomFinders returns the patterns found in enlarged areas around the
// small patterns of fs that no code read took (used), in frame pixels.
func (d *cascade) zoomFinders(gray gocv.Mat, fs []finder, used []bool, gated bool) []finder {
	frame := image.Rect(0, 0, gray.Cols(), gray.Rows())
	var wins []zoomWindow
	for i, f := range fs {
		if used[i] || f.module >= zoomMaxModule {
			continue
		}
		half := zoomReach * f.module
		r := image.Rect(int(f.x-half), int(f.y-half), int(math.Ceil(f.x+half)), int(math.Ceil(f.y+half))).Intersect(frame)
		merged := false
		for j := range wins {
			w := &wins[j]
			if w.rect.Overlaps(r) && max(w.module, f.module) < 1.5*min(w.module, f.module) {
				w.rect = w.rect.Union(r)
				w.module = (w.module*float64(w.count) + f.module) / float64(w.count+1)
				w.count++
				merged = true
				break
			}
		}
		if !merged {
			wins = append(wins, zoomWindow{rect: r, module: f.module, count: 1})
		}
	}
	sort.SliceStable(wins, func(i, j int) bool { return wins[i].count > wins[j].count })
	if gated && len(wins) > zoomLiveWindows {
		wins = wins[:zoomLiveWindows]
	}
	var out []finder
	for _, w := range wins {
		k := min(zoomMaxScale, zoomTarget/max(w.module, 0.5))
		if side := float64(max(w.rect.Dx(), w.rect.Dy())) * k; side > zoomMaxSide {
			k *= zoomMaxSide / side
		}
		if k < 1.2 || w.rect.Dx() < 8 || w.rect.Dy() < 8 {
			continue
		}
		for _, f := range d.fs.windowFinders(gray, w.rect, k) {
			if !nearAny(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}

// windowFinders runs the detector on rect of the frame enlarged k times
// and returns what it finds in frame pixels.
func (s *finderScratch) windowFinders(gray gocv.Mat, rect image.Rectangle, k float64) []finder {
	roi := gray.Region(rect)
	gocv.Resize(roi, &s.level, image.Point{}, k, k, gocv.InterpolationCubic)
	roi.Close()
	gocv.AdaptiveThreshold(s.level, &s.bin, 255, gocv.AdaptiveThresholdMean, gocv.ThresholdBinaryInv, finderBlock, 4)
	fs := s.levelFinders()
	ox, oy := float64(rect.Min.X), float64(rect.Min.Y)
	for i := range fs {
		f := &fs[i]
		f.x, f.y, f.module = f.x/k+ox, f.y/k+oy, f.module/k
		for j := range f.quad {
			f.quad[j] = vec{(f.quad[j].x+0.5)/k + ox, (f.quad[j].y+0.5)/k + oy}
		}
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].module > fs[j].module })
	return fs
}
