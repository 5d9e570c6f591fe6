package camera

import (
	"image"
	"math"
	"sort"
	"unsafe"

	"gocv.io/x/gocv"
)

// The region detector finds QR codes anywhere in a frame, at any size and
// in either polarity, before any decoding: a finder pattern (the 7×7
// squares in three corners) is a dark ring around a dark core on light
// ground, so in a thresholded image it is three contours nested one in the
// next, with areas near 49 : 25 : 9 module². Contours nest the same way for
// round or dotted designs, under blur and rotation, and for light-on-dark
// codes (the chain then starts at a hole), so one pass finds them all.
// Three patterns of one size that form a right angle are a code's region,
// which is then decoded on its own at a good scale (regions.go). zxing-cpp
// 2 finds its patterns by a similar concentric-ring check; the contour
// hierarchy is OpenCV's way of seeing the rings.

// finder is a finder-pattern candidate in frame pixels.
type finder struct {
	x, y   float64 // centre
	module float64 // estimated module size in pixels
	dark   bool    // dark pattern on light ground (false: light on dark)
	// quad is the pattern's outline as four corners, when it has four.
	quad    [4]vec
	hasQuad bool
}

// Detector bounds. A pyramid level is thresholded with one block size, which
// sees modules of about 1.5 to 6 px; each halving covers twice as large.
const (
	finderMaxSide   = 1280 // frames larger than this are shrunk for level 0
	finderMinSide   = 200  // no level smaller than this
	finderBlock     = 17   // adaptive threshold block, px (odd)
	finderMinArea   = 36   // outer contour area at a level, px² (a 6×6 pattern)
	finderMaxCount  = 250  // keep the largest this many per frame (a sheet of 60 codes has 180)
	finderMaxLevels = 3
)

// finderScratch holds the detector's Mats between frames.
type finderScratch struct {
	level, bin, hier gocv.Mat
}

func newFinderScratch() finderScratch {
	return finderScratch{level: gocv.NewMat(), bin: gocv.NewMat(), hier: gocv.NewMat()}
}

func (s *finderScratch) close() {
	s.level.Close()
	s.bin.Close()
	s.hier.Close()
}

// findFinders returns the finder-pattern candidates of a grey frame, in
// frame pixels, largest first. Levels before firstLevel are skipped (a
// live frame whose code was read already looks only for codes of similar
// size, at a quarter of the cost). fine adds a level at twice level 0's
// scale for frames more than twice finderMaxSide: a code of a few hundred
// pixels in a 12-megapixel photograph has modules too small at level 0.
func (s *finderScratch) findFinders(gray gocv.Mat, firstLevel int, fine bool) []finder {
	w, h := gray.Cols(), gray.Rows()
	scale := 1.0 // level pixels per frame pixel
	levels := finderMaxLevels
	if m := max(w, h); m > finderMaxSide {
		scale = float64(finderMaxSide) / float64(m)
		if fine && m > 2*finderMaxSide {
			scale, levels, firstLevel = 2*scale, levels+1, 0
		}
	}
	var out []finder
	for lv := 0; lv < levels; lv++ {
		lw, lh := int(float64(w)*scale), int(float64(h)*scale)
		if min(lw, lh) < finderMinSide && lv > 0 {
			break
		}
		if lv < firstLevel {
			scale /= 2
			continue
		}
		src := gray
		if scale != 1 {
			gocv.Resize(gray, &s.level, image.Pt(lw, lh), 0, 0, gocv.InterpolationArea)
			src = s.level
		}
		gocv.AdaptiveThreshold(src, &s.bin, 255, gocv.AdaptiveThresholdMean, gocv.ThresholdBinaryInv, finderBlock, 4)
		for _, f := range s.levelFinders() {
			f.x, f.y, f.module = f.x/scale, f.y/scale, f.module/scale
			for i := range f.quad {
				f.quad[i] = vec{(f.quad[i].x + 0.5) / scale, (f.quad[i].y + 0.5) / scale}
			}
			out = append(out, f)
		}
		scale /= 2
	}
	// One pattern is often found at two levels, and a large one's hollowed
	// core can look like a light-on-dark pattern inside it: keep the largest
	// of those at one centre.
	sort.Slice(out, func(i, j int) bool { return out[i].module > out[j].module })
	kept := out[:0]
	for _, f := range out {
		if !nearAny(kept, f) {
			kept = append(kept, f)
		}
	}
	if len(kept) > finderMaxCount {
		kept = kept[:finderMaxCount]
	}
	return kept
}

// nearAny reports whether a pattern at least as large sits at f's centre.
func nearAny(fs []finder, f finder) bool {
	for _, g := range fs {
		if math.Hypot(g.x-f.x, g.y-f.y) < 1.5*g.module {
			return true
		}
	}
	return false
}

// levelFinders finds the nested-contour chains in the binary image s.bin.
func (s *finderScratch) levelFinders() []finder {
	cs := gocv.FindContoursWithParams(s.bin, &s.hier, gocv.RetrievalTree, gocv.ChainApproxSimple)
	defer cs.Close()
	n := cs.Size()
	if n < 3 || s.hier.Empty() {
		return nil
	}
	raw, err := s.hier.DataPtrUint8()
	if err != nil || len(raw) < n*16 {
		return nil
	}
	// Each entry is next, previous, first child, parent (int32).
	hier := unsafe.Slice((*int32)(unsafe.Pointer(&raw[0])), n*4)
	child := func(i int) int { return int(hier[4*i+2]) }
	parent := func(i int) int { return int(hier[4*i+3]) }
	var out []finder
	for i := range n {
		c := child(i)
		if c < 0 {
			continue
		}
		g := child(c)
		if g < 0 {
			continue
		}
		// Cheap size test on the outer contour before any area is computed.
		outer := cs.At(i)
		r := gocv.BoundingRect(outer)
		if r.Dx()*r.Dy() < finderMinArea || r.Dx() > 4*r.Dy() || r.Dy() > 4*r.Dx() {
			continue
		}
		a0 := gocv.ContourArea(outer)
		if a0 < finderMinArea {
			continue
		}
		a1, a2 := gocv.ContourArea(cs.At(c)), gocv.ContourArea(cs.At(g))
		if a1 <= 0 || a2 <= 0 {
			continue
		}
		// 49 : 25 : 9 for a clean square pattern; blur and thresholding move
		// the borders by up to half a module.
		if r01, r02 := a0/a1, a0/a2; r01 < 1.3 || r01 > 4.5 || r02 < 2.2 || r02 > 16 {
			continue
		}
		// A pattern is solid: its outline nearly fills its hull.
		if a0 < 0.6*float64(r.Dx()*r.Dy()) && a0 < 0.45*rotatedArea(outer) {
			continue
		}
		cx, cy, ok := centroid(cs.At(g))
		if !ok {
			continue
		}
		ox, oy, _ := centroid(outer)
		// Thresholding moves every border by the same amount: the outer
		// side minus the core's (7−3 modules) and the outer side plus the
		// hole's (7+5) do not depend on it.
		s0, s1, s2 := math.Sqrt(a0), math.Sqrt(a1), math.Sqrt(a2)
		m := ((s0-s2)/4 + (s0+s1)/12) / 2
		if m <= 0 {
			continue
		}
		if math.Hypot(cx-ox, cy-oy) > 1.2*m {
			continue // the core is not in the middle of the ring
		}
		depth := 0
		for p := parent(i); p >= 0; p = parent(p) {
			depth++
		}
		f := finder{x: (cx + ox) / 2, y: (cy + oy) / 2, module: m, dark: depth%2 == 0}
		approx := gocv.ApproxPolyDP(outer, 0.06*gocv.ArcLength(outer, true), true)
		if approx.Size() == 4 {
			for k := range 4 {
				p := approx.At(k)
				f.quad[k] = vec{float64(p.X), float64(p.Y)}
			}
			f.hasQuad = true
		}
		approx.Close()
		out = append(out, f)
	}
	return out
}

func rotatedArea(pv gocv.PointVector) float64 {
	rr := gocv.MinAreaRect(pv)
	return float64(rr.Width * rr.Height)
}

// centroid is the area centroid of a closed polygon.
func centroid(pv gocv.PointVector) (x, y float64, ok bool) {
	pts := pv.ToPoints()
	var a, cx, cy float64
	for i := range pts {
		p, q := pts[i], pts[(i+1)%len(pts)]
		cross := float64(p.X*q.Y - q.X*p.Y)
		a += cross
		cx += float64(p.X+q.X) * cross
		cy += float64(p.Y+q.Y) * cross
	}
	if math.Abs(a) < 1e-9 {
		return 0, 0, false
	}
	// +0.5: contour points are pixel indices; the pixel's centre is at +0.5.
	return cx/(3*a) + 0.5, cy/(3*a) + 0.5, true
}
