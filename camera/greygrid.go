package camera

import (
	"math"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
)

// Grey-level sampling. A defocused or shaken code loses contrast in its
// smallest features first: a lone light module among dark ones, or the
// one-module rings of an alignment pattern, come out of any binarization
// of the whole crop as dark. They are still lighter than what is around
// them. So where a grid is known (the finder centres and the local
// grid's anchors), the grey level is read at each module's centre and
// compared with the mean of the modules around it, and alignment patterns
// are looked for as the place where a ring of samples is darkest against
// the ring inside it.

// localThresholdRadius is the half-size, in modules, of the window whose
// mean decides a module (7×7 modules).
const localThresholdRadius = 3

// sampleCellsGrey is sampleCells on the grey plane.
func sampleCellsGrey(p plane, dim int, centres []int, at [][]*vec, invert bool) (*gozxing.BitMatrix, bool) {
	g := make([]float64, dim*dim)
	ok := forEachCellModule(dim, centres, at, func(x, y int, q vec) bool {
		v, in := p.bilinear(q.x, q.y)
		g[y*dim+x] = v
		return in
	})
	if !ok {
		return nil, false
	}
	return thresholdModules(g, dim, invert)
}

// forEachCellModule calls fn with every module and where its centre lies,
// through the transform of the cell of alignment patterns it is in (cell
// (x, y) spans the modules from centre x to centre x+1 and y to y+1, the
// outer cells reach the code's edges). It stops when fn returns false.
func forEachCellModule(dim int, centres []int, at [][]*vec, fn func(x, y int, q vec) bool) bool {
	n := len(centres)
	for cy := 0; cy < n-1; cy++ {
		for cx := 0; cx < n-1; cx++ {
			a0, a1 := float64(centres[cx])+0.5, float64(centres[cx+1])+0.5
			b0, b1 := float64(centres[cy])+0.5, float64(centres[cy+1])+0.5
			p00, p10, p11, p01 := *at[cx][cy], *at[cx+1][cy], *at[cx+1][cy+1], *at[cx][cy+1]
			t := common.PerspectiveTransform_QuadrilateralToQuadrilateral(a0, b0, a1, b0, a1, b1, a0, b1,
				p00.x, p00.y, p10.x, p10.y, p11.x, p11.y, p01.x, p01.y)
			xs, xe := centres[cx], centres[cx+1]
			if cx == 0 {
				xs = 0
			}
			if cx == n-2 {
				xe = dim
			}
			ys, ye := centres[cy], centres[cy+1]
			if cy == 0 {
				ys = 0
			}
			if cy == n-2 {
				ye = dim
			}
			for y := ys; y < ye; y++ {
				for x := xs; x < xe; x++ {
					if !fn(x, y, applyTransform(t, float64(x)+0.5, float64(y)+0.5)) {
						return false
					}
				}
			}
		}
	}
	return true
}

// thresholdModules sets the modules darker than the mean of the modules
// around them (lighter, for invert).
func thresholdModules(g []float64, dim int, invert bool) (*gozxing.BitMatrix, bool) {
	bits, err := gozxing.NewSquareBitMatrix(dim)
	if err != nil {
		return nil, false
	}
	// A summed-area table gives each window's sum in four reads.
	w := dim + 1
	sum := make([]float64, w*w)
	for y := range dim {
		for x := range dim {
			sum[(y+1)*w+x+1] = g[y*dim+x] + sum[y*w+x+1] + sum[(y+1)*w+x] - sum[y*w+x]
		}
	}
	const r = localThresholdRadius
	for y := range dim {
		for x := range dim {
			x0, y0, x1, y1 := max(0, x-r), max(0, y-r), min(dim, x+r+1), min(dim, y+r+1)
			s := sum[y1*w+x1] - sum[y0*w+x1] - sum[y1*w+x0] + sum[y0*w+x0]
			if (g[y*dim+x] < s/float64((x1-x0)*(y1-y0))) != invert {
				bits.Set(x, y)
			}
		}
	}
	return bits, true
}

// bilinear is the grey level at (x, y), pixel centres at +0.5.
func (p plane) bilinear(x, y float64) (float64, bool) {
	x, y = x-0.5, y-0.5
	x0, y0 := int(math.Floor(x)), int(math.Floor(y))
	if x0 < 0 || y0 < 0 || x0+1 >= p.w || y0+1 >= p.h {
		return 0, false
	}
	fx, fy := x-float64(x0), y-float64(y0)
	at := func(x, y int) float64 { return float64(p.pix[y*p.w+x]) }
	top := at(x0, y0)*(1-fx) + at(x0+1, y0)*fx
	bot := at(x0, y0+1)*(1-fx) + at(x0+1, y0+1)*fx
	return top*(1-fy) + bot*fy, true
}

// locateAlignmentGrey looks for an alignment pattern within 2 modules of g
// on the grey plane, where hx and vy are one module's step along the
// code's rows and columns there. At each place (a quarter module apart) it
// reads the pattern's 25 module centres and scores the light inner ring
// against the dark outer ring and centre; the best place counts if its
// score is at least a quarter of the grey range around it (the light and
// dark of the code itself) and dark is dark (light-on-dark codes: invert).
func locateAlignmentGrey(p plane, g, hx, vy vec, invert bool) (vec, bool) {
	best, bestScore := vec{}, math.Inf(-1)
	lo, hi := math.Inf(1), math.Inf(-1)
	for b := -2.0; b <= 2.0; b += 0.25 {
		for a := -2.0; a <= 2.0; a += 0.25 {
			c := g.add(hx.scale(a)).add(vy.scale(b))
			var dark, light float64
			ok := true
			for j := -2; j <= 2 && ok; j++ {
				for i := -2; i <= 2; i++ {
					q := c.add(hx.scale(float64(i))).add(vy.scale(float64(j)))
					v, in := p.bilinear(q.x, q.y)
					if !in {
						ok = false
						break
					}
					lo, hi = min(lo, v), max(hi, v)
					if abs(i) == 2 || abs(j) == 2 || i == 0 && j == 0 {
						dark += v / 17
					} else {
						light += v / 8
					}
				}
			}
			if !ok {
				continue
			}
			score := light - dark
			if invert {
				score = -score
			}
			if score > bestScore {
				best, bestScore = c, score
			}
		}
	}
	if bestScore < 0.25*(hi-lo) || hi <= lo {
		return vec{}, false
	}
	return best, true
}
