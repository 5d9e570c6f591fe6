package camera

import (
	"image"
	"math"

	"gocv.io/x/gocv"
)

// decodeCandidates decodes the regions that the patterns fs form, best
// triple first, adding each code read to out. Each pattern belongs to one
// code: once a triple is read (or lies in a code read already) its
// patterns are taken; a failed triple leaves them to the next. At most
// tries regions are decoded. It returns out, which patterns were taken and
// how many triples there were.
func (d *cascade) decodeCandidates(gray gocv.Mat, fs []finder, out []found, tries int) ([]found, []bool, int) {
	cands := regionCandidates(fs)
	used := make([]bool, len(fs))
	for _, c := range cands {
		if used[c.ids[0]] || used[c.ids[1]] || used[c.ids[2]] {
			continue
		}
		if covered(out, c.r) {
			used[c.ids[0]], used[c.ids[1]], used[c.ids[2]] = true, true, true
			continue
		}
		if tries == 0 {
			break
		}
		tries--
		f, ok := d.decodeRegion(gray, c.r)
		if !ok {
			continue
		}
		// The patterns of the code read are taken: the triple's own, and
		// any other inside it (a triple across two codes may read either).
		if f.corners == [4]image.Point{} {
			used[c.ids[0]], used[c.ids[1]], used[c.ids[2]] = true, true, true
		} else {
			for i, p := range fs {
				if quadHas(f.corners, vec{p.x, p.y}) {
					used[i] = true
				}
			}
		}
		if !readAlready(out, f) {
			out = append(out, f)
		}
	}
	return out, used, len(cands)
}

// covered reports whether a region is a code already read: its corner
// pattern's centre lies 3.5 modules diagonally in from one of that code's
// corners. A code printed inside another (qrcode-2/16 in the corpus) is
// not covered and is read too.
func covered(fs []found, rg region) bool {
	for _, f := range fs {
		for _, c := range f.corners {
			if f.corners != [4]image.Point{} && math.Hypot(float64(c.X)-rg.tl.x, float64(c.Y)-rg.tl.y) < 7*rg.module {
				return true
			}
		}
	}
	return false
}

// readAlready reports whether f is a code in fs: the same text where one
// of them lies (two codes with the same text in different places, as on a
// sheet of labels, are both reported).
func readAlready(fs []found, f found) bool {
	for _, g := range fs {
		if g.text != f.text {
			continue
		}
		if g.corners == [4]image.Point{} || f.corners == [4]image.Point{} ||
			quadHas(g.corners, centreOf(f.corners)) || quadHas(f.corners, centreOf(g.corners)) {
			return true
		}
	}
	return false
}

func centreOf(q [4]image.Point) vec {
	var c vec
	for _, p := range q {
		c = c.add(vec{float64(p.X), float64(p.Y)}.scale(0.25))
	}
	return c
}

// quadHas reports whether p lies inside the convex quadrilateral q.
func quadHas(q [4]image.Point, p vec) bool {
	sign := 0.0
	for i := range q {
		a, b := q[i], q[(i+1)%4]
		cross := float64(b.X-a.X)*(p.y-float64(a.Y)) - float64(b.Y-a.Y)*(p.x-float64(a.X))
		if cross*sign < 0 {
			return false
		}
		if cross != 0 {
			sign = cross
		}
	}
	return true
}
