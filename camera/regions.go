package camera

import (
	"math"
	"sort"
)

// region is three finder patterns that form one code's corner triangle.
type region struct {
	bl, tl, tr finder
	module     float64
	dark       bool
}

// Triple bounds: how unequal a code's three patterns and its two sides may
// be (a phone turned away by 35 % still passes) and how far from a right
// angle the corner may be.
const (
	tripleMaxModuleRatio = 2.0
	tripleMaxLegRatio    = 1.8
	tripleMaxCos         = 0.5 // 60°..120°
	tripleMinLegModules  = 10  // version 1: 14 modules between centres
	tripleMaxLegModules  = 180 // version 40: 170
)

// regionTriple is a candidate region and the patterns (indices) it is made of.
type regionTriple struct {
	r     region
	score float64
	ids   [3]int
}

// regionNeighbours is how many of its nearest patterns of like size and
// polarity each pattern is grouped with: a code's other two patterns are
// among them even where codes stand in rows (60 codes on one sheet).
const regionNeighbours = 12

// regionCandidates lists every triple of patterns that looks like a code's
// corners, best first. A pattern may be in several triples: under a
// strong keystone a triple across two neighbouring codes can look squarer
// than the true one, so decoding, not the score alone, decides which is
// the code.
func regionCandidates(fs []finder) []regionTriple {
	var cands []regionTriple
	seen := map[[3]int]bool{}
	for i := range fs {
		nb := nearestLike(fs, i, regionNeighbours)
		for a := 0; a < len(nb); a++ {
			for b := a + 1; b < len(nb); b++ {
				ids := [3]int{i, nb[a], nb[b]}
				sort.Ints(ids[:])
				if seen[ids] {
					continue
				}
				seen[ids] = true
				x, y, z := fs[ids[0]], fs[ids[1]], fs[ids[2]]
				lo, hi := min(x.module, y.module, z.module), max(x.module, y.module, z.module)
				if hi > tripleMaxModuleRatio*lo {
					continue
				}
				if r, score, ok := asRegion(x, y, z); ok {
					cands = append(cands, regionTriple{r, score + (hi/lo-1)/2, ids})
				}
			}
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score < cands[j].score })
	return cands
}

// nearestLike lists up to k patterns nearest fs[i] with its polarity and a
// module size within tripleMaxModuleRatio, nearest first.
func nearestLike(fs []finder, i, k int) []int {
	f := fs[i]
	var nb []int
	for j, g := range fs {
		if j == i || g.dark != f.dark || max(f.module, g.module) > tripleMaxModuleRatio*min(f.module, g.module) {
			continue
		}
		nb = append(nb, j)
	}
	d := func(j int) float64 { return math.Hypot(fs[j].x-f.x, fs[j].y-f.y) }
	sort.Slice(nb, func(a, b int) bool { return d(nb[a]) < d(nb[b]) })
	return nb[:min(len(nb), k)]
}

// asRegion orders three patterns as bottom-left, top-left (the right-angle
// corner) and top-right, and scores how far they are from a square code's.
func asRegion(a, b, c finder) (region, float64, bool) {
	d := func(p, q finder) float64 { return math.Hypot(p.x-q.x, p.y-q.y) }
	// The corner is opposite the longest side.
	ab, bc, ac := d(a, b), d(b, c), d(a, c)
	switch {
	case ab >= bc && ab >= ac:
		a, c = c, a // corner c
	case ac >= ab && ac >= bc:
		a, b = b, a // corner b
	}
	// Now a is the corner; b and c the ends of its legs.
	l1, l2 := d(a, b), d(a, c)
	m := (a.module + b.module + c.module) / 3
	if min(l1, l2) < tripleMinLegModules*m || max(l1, l2) > tripleMaxLegModules*m {
		return region{}, 0, false
	}
	if max(l1, l2) > tripleMaxLegRatio*min(l1, l2) {
		return region{}, 0, false
	}
	ux, uy := b.x-a.x, b.y-a.y
	vx, vy := c.x-a.x, c.y-a.y
	cos := (ux*vx + uy*vy) / (l1 * l2)
	if math.Abs(cos) > tripleMaxCos {
		return region{}, 0, false
	}
	// With y downwards, top-right × bottom-left is positive.
	tr, bl := b, c
	if ux*vy-uy*vx < 0 {
		tr, bl = c, b
	}
	score := math.Abs(cos) + math.Abs(1-l1/l2)/2
	return region{bl: bl, tl: a, tr: tr, module: m, dark: a.dark}, score, true
}

// outerCorners finds the code's four outer corners (top-left, top-right,
// bottom-right, bottom-left) from the outlines of its patterns: three are
// the patterns' own outer corners, and the fourth, which no pattern marks,
// is where the line of the top-right pattern's outer side meets the line
// of the bottom-left pattern's lower side. Under a keystone this is where
// the corner really is; the parallelogram of the three centres misses it by
// several modules, which a version 1 code (no alignment pattern) does not
// survive.
func (rg region) outerCorners() ([4]vec, bool) {
	if !rg.tl.hasQuad || !rg.tr.hasQuad || !rg.bl.hasQuad {
		return [4]vec{}, false
	}
	u := vec{rg.tr.x - rg.tl.x, rg.tr.y - rg.tl.y}
	v := vec{rg.bl.x - rg.tl.x, rg.bl.y - rg.tl.y}
	extreme := func(q [4]vec, dir vec) (int, int) { // the two points furthest along dir, best first
		best, second := -1, -1
		for i, p := range q {
			switch {
			case best < 0 || dot(p, dir) > dot(q[best], dir):
				best, second = i, best
			case second < 0 || dot(p, dir) > dot(q[second], dir):
				second = i
			}
		}
		return best, second
	}
	tl, _ := extreme(rg.tl.quad, vec{-u.x - v.x, -u.y - v.y})
	tr, _ := extreme(rg.tr.quad, u.sub(v))
	bl, _ := extreme(rg.bl.quad, v.sub(u))
	r1, r2 := extreme(rg.tr.quad, u)
	b1, b2 := extreme(rg.bl.quad, v)
	br, ok := intersect(rg.tr.quad[r1], rg.tr.quad[r2], rg.bl.quad[b1], rg.bl.quad[b2])
	if !ok {
		return [4]vec{}, false
	}
	// The four must make a code seen in perspective, or the outlines were
	// wrong: a convex quadrilateral whose opposite sides differ at most
	// 2.5 times (a sheet seen at a grazing angle).
	c := [4]vec{rg.tl.quad[tl], rg.tr.quad[tr], br, rg.bl.quad[bl]}
	if !convex(c) {
		return [4]vec{}, false
	}
	side := func(i, j int) float64 { d := c[j].sub(c[i]); return math.Hypot(d.x, d.y) }
	for _, r := range []float64{side(1, 2) / side(0, 3), side(3, 2) / side(0, 1)} {
		if r < 1/outerMaxSideRatio || r > outerMaxSideRatio {
			return [4]vec{}, false
		}
	}
	return c, true
}

// outerMaxSideRatio bounds how much longer one side of a code's outline
// may be than the opposite side.
const outerMaxSideRatio = 2.5

// convex reports whether the quadrilateral turns the same way at every corner.
func convex(q [4]vec) bool {
	sign := 0.0
	for i := range q {
		a, b, c := q[i], q[(i+1)%4], q[(i+2)%4]
		cross := (b.x-a.x)*(c.y-b.y) - (b.y-a.y)*(c.x-b.x)
		if cross == 0 || sign != 0 && (cross > 0) != (sign > 0) {
			return false
		}
		sign = cross
	}
	return true
}

// cornerModules estimates a code's size in modules from its outer corners:
// each edge from a pattern's corner to the next over the pattern's own
// side at each end (7 modules), which follows the keystone's scale change
// along the edge better than one module size for the whole code.
func (rg region) cornerModules(c [4]vec) float64 {
	side := func(f finder, dir vec) float64 { // the pattern's extent along dir
		lo, hi := math.Inf(1), math.Inf(-1)
		n := math.Hypot(dir.x, dir.y)
		for _, p := range f.quad {
			t := dot(p, dir) / n
			lo, hi = min(lo, t), max(hi, t)
		}
		return hi - lo
	}
	u, v := c[1].sub(c[0]), c[3].sub(c[0])
	top := math.Hypot(u.x, u.y) / ((side(rg.tl, u) + side(rg.tr, u)) / 2 / 7)
	left := math.Hypot(v.x, v.y) / ((side(rg.tl, v) + side(rg.bl, v)) / 2 / 7)
	return (top + left) / 2
}

func dot(a, b vec) float64 { return a.x*b.x + a.y*b.y }

// intersect is where line a1-a2 meets line b1-b2.
func intersect(a1, a2, b1, b2 vec) (vec, bool) {
	d1, d2 := a2.sub(a1), b2.sub(b1)
	den := d1.x*d2.y - d1.y*d2.x
	if math.Abs(den) < 1e-9 {
		return vec{}, false
	}
	t := ((b1.x-a1.x)*d2.y - (b1.y-a1.y)*d2.x) / den
	return a1.add(d1.scale(t)), true
}
