package camera

import (
	"math"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// Local grids. One perspective transform from the three finder patterns
// and one alignment pattern places every module of a flat code, but not of
// a label round a bottle, a page that bows, or a dense code seen through a
// phone's lens: in the middle of a version 10 code the transform is then
// off by more than half a module. Codes of version 7 and up carry a grid of
// alignment patterns (3×3 at versions 7–13, up to 7×7), so here each is
// found where its neighbours say it should be, and every cell between four
// of them is sampled through its own transform. The version comes from the
// code's version information, not from the distance between the finder
// patterns, which a bent code also gets wrong. zxing-cpp 2 samples its
// codes of version 7 and up the same way.

// localGridMinDim is the size of a version 7 code, the first with a grid
// of alignment patterns and with version information.
const localGridMinDim = 45

// localGridSearch is how far from its expected place an alignment pattern
// is looked for, in modules.
const localGridSearch = 3.5

// readLocalGrid reads the code whose finder pattern centres are tl, tr and
// bl, with module size ms (pixels) and about dim modules a side. br is
// the bottom-right alignment pattern when one was found, else nil.
func (r *qrReader) readLocalGrid(matrix *gozxing.BitMatrix, tl, tr, bl vec, br *vec, dim int, ms float64) (qrResult, bool) {
	if !r.localGrid || dim < localGridMinDim-8 || ms < 1 {
		return qrResult{}, false
	}
	project := globalTransform(tl, tr, bl, br, dim)
	v, ok := readVersion(matrix, project, dim)
	if !ok {
		return qrResult{}, false
	}
	if d := v.GetDimensionForVersion(); d != dim {
		dim = d
		project = globalTransform(tl, tr, bl, br, dim)
	}
	centres := v.GetAlignmentPatternCenters()
	n := len(centres)
	// Where each alignment pattern is, nil until located; the three at
	// finder corners are where the finders' transform puts them.
	at := make([][]*vec, n)
	for i := range at {
		at[i] = make([]*vec, n)
	}
	proj := func(x, y int) vec { return applyTransform(project, float64(centres[x])+0.5, float64(centres[y])+0.5) }
	for _, c := range [][2]int{{0, 0}, {n - 1, 0}, {0, n - 1}} {
		p := proj(c[0], c[1])
		at[c[0]][c[1]] = &p
	}
	guessOf := func(x, y int) vec {
		if at[x][y] != nil {
			return *at[x][y]
		}
		return proj(x, y)
	}
	// In reading order each pattern is looked for where its left, upper and
	// upper-left neighbours put it: the bend is followed step by step.
	for y := range n {
		for x := range n {
			if at[x][y] != nil {
				continue
			}
			g := proj(x, y)
			local := ms
			if x > 0 && y > 0 {
				g = guessOf(x-1, y).add(guessOf(x, y-1)).sub(guessOf(x-1, y-1))
				// The module here is what the neighbours' spacing says:
				// a bend squeezes it towards the code's sides.
				h, v := g.sub(guessOf(x-1, y)), g.sub(guessOf(x, y-1))
				local = (math.Hypot(h.x, h.y)/float64(centres[x]-centres[x-1]) + math.Hypot(v.x, v.y)/float64(centres[y]-centres[y-1])) / 2
			}
			if p, ok := r.locate(matrix, g, local, project, centres[x], centres[y]); ok {
				at[x][y] = &p
			}
		}
	}
	// A pattern not found lies where the lines through its row's and its
	// column's nearest found patterns cross, or else where the finders' transform puts it.
	for y := range n {
		for x := range n {
			if at[x][y] != nil {
				continue
			}
			var row, col []vec
			for i := 1; i < 2*n && (len(row) < 2 || len(col) < 2); i++ {
				o := (i + 1) / 2
				if i%2 == 0 {
					o = -o
				}
				if xi := x + o; len(row) < 2 && xi >= 0 && xi < n && at[xi][y] != nil {
					row = append(row, *at[xi][y])
				}
				if yi := y + o; len(col) < 2 && yi >= 0 && yi < n && at[x][yi] != nil {
					col = append(col, *at[x][yi])
				}
			}
			p := proj(x, y)
			if len(row) == 2 && len(col) == 2 {
				if q, ok := intersect(row[0], row[1], col[0], col[1]); ok {
					p = q
					if f, ok := r.locate(matrix, q, ms, project, centres[x], centres[y]); ok {
						p = f
					}
				}
			}
			at[x][y] = &p
		}
	}
	pts := []gozxing.ResultPoint{gozxing.NewResultPoint(bl.x, bl.y), gozxing.NewResultPoint(tl.x, tl.y), gozxing.NewResultPoint(tr.x, tr.y)}
	if bits, ok := sampleCells(matrix, dim, centres, at); ok {
		if res, ok := r.decodeDetected(common.NewDetectorResult(bits, pts), nil); ok {
			return res, true
		}
	}
	if r.grey.pix == nil {
		return qrResult{}, false
	}
	bits, ok := sampleCellsGrey(r.grey, dim, centres, at, r.greyInvert)
	if !ok {
		return qrResult{}, false
	}
	return r.decodeDetected(common.NewDetectorResult(bits, pts), nil)
}

// locate finds the alignment pattern near g (module size ms; module
// (mx, my) of the code by the finders' transform t): on the binarized
// matrix, else on the grey plane the matrix came from.
func (r *qrReader) locate(matrix *gozxing.BitMatrix, g vec, ms float64, t *common.PerspectiveTransform, mx, my int) (vec, bool) {
	if p, ok := locateAlignment(matrix, g, ms); ok {
		return p, true
	}
	if r.grey.pix == nil {
		return vec{}, false
	}
	c := applyTransform(t, float64(mx)+0.5, float64(my)+0.5)
	hx := applyTransform(t, float64(mx)+1.5, float64(my)+0.5).sub(c)
	vy := applyTransform(t, float64(mx)+0.5, float64(my)+1.5).sub(c)
	return locateAlignmentGrey(r.grey, g, hx, vy, r.greyInvert)
}

// globalTransform maps module coordinates to pixels through the finder
// centres (3.5 modules in from the corners) and the bottom-right alignment
// pattern (6.5 in) when known, else the parallelogram's fourth corner.
func globalTransform(tl, tr, bl vec, br *vec, dim int) *common.PerspectiveTransform {
	n := float64(dim)
	c, k := tr.add(bl).sub(tl), n-3.5
	if br != nil {
		c, k = *br, n-6.5
	}
	return common.PerspectiveTransform_QuadrilateralToQuadrilateral(3.5, 3.5, n-3.5, 3.5, k, k, 3.5, n-3.5,
		tl.x, tl.y, tr.x, tr.y, c.x, c.y, bl.x, bl.y)
}

func applyTransform(t *common.PerspectiveTransform, x, y float64) vec {
	p := []float64{x, y}
	t.TransformPoints(p)
	return vec{p[0], p[1]}
}

// readVersion reads the code's version from its two copies of the version
// information (6×3 modules beside the top-right and bottom-left finders);
// a code smaller than version 7 has none and its size is its version.
func readVersion(matrix *gozxing.BitMatrix, t *common.PerspectiveTransform, dim int) (*decoder.Version, bool) {
	if dim < localGridMinDim {
		return nil, false
	}
	get := func(x, y int) (int, bool) {
		p := applyTransform(t, float64(x)+0.5, float64(y)+0.5)
		px, py := int(p.x), int(p.y)
		if px < 0 || py < 0 || px >= matrix.GetWidth() || py >= matrix.GetHeight() {
			return 0, false
		}
		if matrix.Get(px, py) {
			return 1, true
		}
		return 0, true
	}
	for _, mirror := range []bool{false, true} {
		bits, ok := 0, true
		for y := 5; y >= 0 && ok; y-- {
			for x := dim - 9; x >= dim-11 && ok; x-- {
				var b int
				if mirror {
					b, ok = get(y, x)
				} else {
					b, ok = get(x, y)
				}
				bits = bits<<1 | b
			}
		}
		if !ok {
			continue
		}
		if v, err := decoder.Version_decodeVersionInformation(bits); err == nil && abs(v.GetDimensionForVersion()-dim) <= 8 {
			return v, true
		}
	}
	return nil, false
}

// locateAlignment finds the alignment pattern nearest g, within
// localGridSearch modules.
func locateAlignment(matrix *gozxing.BitMatrix, g vec, ms float64) (vec, bool) {
	half := localGridSearch * ms
	x0, y0 := int(math.Max(0, g.x-half)), int(math.Max(0, g.y-half))
	x1 := int(math.Min(float64(matrix.GetWidth()-1), g.x+half))
	y1 := int(math.Min(float64(matrix.GetHeight()-1), g.y+half))
	if x1-x0 < int(3*ms) || y1-y0 < int(3*ms) {
		return vec{}, false
	}
	var best *detector.AlignmentPattern
	bestD := math.Inf(1)
	consider := func(p gozxing.ResultPoint) {
		ap, ok := p.(*detector.AlignmentPattern)
		if !ok {
			return
		}
		if d := math.Hypot(ap.GetX()-g.x, ap.GetY()-g.y); d < bestD {
			best, bestD = ap, d
		}
	}
	f := detector.NewAlignmentPatternFinder(matrix, x0, y0, x1-x0, y1-y0, ms, consider)
	if p, err := f.Find(); err == nil {
		consider(p)
	}
	if best == nil || bestD > 2.5*ms {
		return vec{}, false
	}
	return vec{best.GetX(), best.GetY()}, true
}

// sampleCells reads every module through the transform of the cell of
// alignment patterns it lies in: cell (x, y) spans the modules from centre
// x to centre x+1 and y to y+1, the outer cells reach the code's edges.
func sampleCells(matrix *gozxing.BitMatrix, dim int, centres []int, at [][]*vec) (*gozxing.BitMatrix, bool) {
	bits, err := gozxing.NewSquareBitMatrix(dim)
	if err != nil {
		return nil, false
	}
	w, h := matrix.GetWidth(), matrix.GetHeight()
	inside := forEachCellModule(dim, centres, at, func(x, y int, p vec) bool {
		px, py := int(p.x), int(p.y)
		if px < 0 || py < 0 || px >= w || py >= h {
			return false
		}
		if matrix.Get(px, py) {
			bits.Set(x, y)
		}
		return true
	})
	if !inside {
		return nil, false
	}
	return bits, true
}
