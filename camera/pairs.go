package camera

import (
	"image"
	"math"

	"gocv.io/x/gocv"
)

// Pairs. The detector sees a finder pattern only as a closed ring of dark
// around light around dark, so a pattern whose quiet zone is cut (the
// sheet's edge runs along it, a thumb touches it) is not seen, and its
// two companions make no triple. gozxing's finder scans rows for the
// pattern's 1:1:3:1:1 runs instead, which needs no closed ring. So in a
// still, two patterns of one size left over, 10 to 140 modules apart, are
// read again with gozxing's finder on the area where their code can be:
// the third pattern completes the square's corner on either side of the
// pair, whether the pair is a side or the diagonal.
const (
	pairMaxTries   = 4 // pairs read again in one still
	pairMinModules = 10
	pairMaxModules = 140
)

// decodePairs reads again the area around pairs of patterns of fs that no
// code read took (used), and adds what it reads to out.
func (d *cascade) decodePairs(gray gocv.Mat, fs []finder, used []bool, out []found) []found {
	frame := image.Rect(0, 0, gray.Cols(), gray.Rows())
	tries := 0
	for i := range fs {
		for j := i + 1; j < len(fs) && tries < pairMaxTries; j++ {
			a, b := fs[i], fs[j]
			if used[i] || used[j] || a.dark != b.dark || max(a.module, b.module) > 1.5*min(a.module, b.module) {
				continue
			}
			m := (a.module + b.module) / 2
			dist := math.Hypot(a.x-b.x, a.y-b.y)
			if dist < pairMinModules*m || dist > pairMaxModules*m {
				continue
			}
			// Every place the code can be is within the pair's distance of
			// their midpoint, plus the patterns' half and the quiet zone.
			cx, cy := (a.x+b.x)/2, (a.y+b.y)/2
			half := dist + 8*m
			area := image.Rect(int(cx-half), int(cy-half), int(cx+half), int(cy+half)).Intersect(frame)
			if area.Dx() < 16 || area.Dy() < 16 {
				continue
			}
			tries++
			if f, ok := d.readArea(gray, area, m, !a.dark); ok && !readAlready(out, f) {
				out = append(out, f)
				used[i], used[j] = true, true
			}
		}
	}
	return out
}

// stepPair names codes read around a pair of patterns.
const stepPair = "pair"

// readArea reads one code in area of the frame with gozxing's finder
// (every row scanned), the area scaled so a module of about m pixels is
// regionTarget pixels, light-on-dark when invert.
func (d *cascade) readArea(gray gocv.Mat, area image.Rectangle, m float64, invert bool) (found, bool) {
	k := regionTarget / m
	if side := float64(max(area.Dx(), area.Dy())) * k; side > regionMaxSide {
		k *= regionMaxSide / side
	}
	roi := gray.Region(area)
	defer roi.Close()
	interp := gocv.InterpolationArea
	if k > 1 {
		interp = gocv.InterpolationCubic
	}
	gocv.Resize(roi, &d.rs.crop, image.Point{}, k, k, interp)
	p, ok := planeOf(d.rs.crop)
	if !ok {
		return found{}, false
	}
	for _, bin := range []binarizerKind{hybrid, global} {
		r, _, ok := d.qr.read(p, bin, true, invert)
		if !ok {
			continue
		}
		for i, c := range r.corners {
			r.corners[i] = image.Pt(int(float64(c.X)/k)+area.Min.X, int(float64(c.Y)/k)+area.Min.Y)
		}
		return foundOf(r, stepPair), true
	}
	return found{}, false
}
