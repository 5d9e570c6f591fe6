package camera

import (
	"sort"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// Grids from a code's outer corners, and the fourth corner of a small
// code. Codes up to version 3 have no alignment pattern (or one too small
// to find), so nothing marks their bottom-right corner: it is extrapolated
// from the finder patterns, and under a keystone it is off by about a
// module for every tenth of the code the near side is larger. The places
// around it are tried, nearest first, and Reed-Solomon decides.

// alignmentAt is where the bottom-right alignment pattern of a dim-module
// code with these outer corners lies (its centre is 6.5 modules in from
// the bottom-right corner).
func alignmentAt(c [4]vec, dim int) vec {
	n := float64(dim)
	tf := common.PerspectiveTransform_QuadrilateralToQuadrilateral(0, 0, n, 0, n, n, 0, n,
		c[0].x, c[0].y, c[1].x, c[1].y, c[2].x, c[2].y, c[3].x, c[3].y)
	p := []float64{n - 6.5, n - 6.5}
	tf.TransformPoints(p)
	return vec{p[0], p[1]}
}

// readCorners samples a dim-module grid spanned by the code's four outer
// corners (top-left, top-right, bottom-right, bottom-left) and decodes it.
func (r *qrReader) readCorners(matrix *gozxing.BitMatrix, info *detector.FinderPatternInfo, c [4]vec, dim int) (qrResult, bool) {
	n := float64(dim)
	tf := common.PerspectiveTransform_QuadrilateralToQuadrilateral(0, 0, n, 0, n, n, 0, n,
		c[0].x, c[0].y, c[1].x, c[1].y, c[2].x, c[2].y, c[3].x, c[3].y)
	bits, err := common.GridSampler_GetInstance().SampleGridWithTransform(matrix, dim, dim, tf)
	if err != nil {
		return qrResult{}, false
	}
	pts := []gozxing.ResultPoint{info.GetBottomLeft(), info.GetTopLeft(), info.GetTopRight()}
	return r.decodeDetected(common.NewDetectorResult(bits, pts), nil)
}

// cornerSearchMaxDim is the largest code whose fourth corner is searched
// for: larger ones have an alignment pattern for that.
const cornerSearchMaxDim = 29

// readCornersNear tries readCorners with the fourth (bottom-right) corner
// moved by up to a module along the code's rows and columns, in half
// modules, nearest first.
func (r *qrReader) readCornersNear(matrix *gozxing.BitMatrix, info *detector.FinderPatternInfo, c [4]vec, dim int) (qrResult, bool) {
	n := float64(dim)
	row, col := c[2].sub(c[3]).scale(1/n), c[2].sub(c[1]).scale(1/n)
	steps := []float64{0, -0.5, 0.5, -1, 1}
	for _, a := range steps {
		for _, b := range steps {
			if a == 0 && b == 0 {
				continue // readCorners tried it
			}
			moved := c
			moved[2] = c[2].add(row.scale(a)).add(col.scale(b))
			if res, ok := r.readCorners(matrix, info, moved, dim); ok {
				return res, true
			}
		}
	}
	return qrResult{}, false
}

// searchFourth samples a small code (no alignment pattern, or one too
// small to find) through its finder centres and a fourth point moved from
// the parallelogram's by up to fourthSearch modules along its rows and
// columns, nearest first: under a keystone that point is off by about a
// module for every tenth of the code the near side is larger.
func (r *qrReader) searchFourth(matrix *gozxing.BitMatrix, info *detector.FinderPatternInfo, dim int) (qrResult, bool) {
	tl, tr, bl := vecOf(info.GetTopLeft()), vecOf(info.GetTopRight()), vecOf(info.GetBottomLeft())
	n := float64(dim) - 7 // modules between the finder centres
	row, col := tr.sub(tl).scale(1/n), bl.sub(tl).scale(1/n)
	base := tr.add(bl).sub(tl)
	type off struct{ a, b float64 }
	var offs []off
	for a := -fourthSearch; a <= fourthSearch; a += 0.5 {
		for b := -fourthSearch; b <= fourthSearch; b += 0.5 {
			if a != 0 || b != 0 {
				offs = append(offs, off{a, b})
			}
		}
	}
	sort.Slice(offs, func(i, j int) bool {
		return offs[i].a*offs[i].a+offs[i].b*offs[i].b < offs[j].a*offs[j].a+offs[j].b*offs[j].b
	})
	pts := []gozxing.ResultPoint{info.GetBottomLeft(), info.GetTopLeft(), info.GetTopRight()}
	k := float64(dim) - 3.5
	for _, o := range offs {
		br := base.add(row.scale(o.a)).add(col.scale(o.b))
		t := common.PerspectiveTransform_QuadrilateralToQuadrilateral(3.5, 3.5, k, 3.5, k, k, 3.5, k,
			tl.x, tl.y, tr.x, tr.y, br.x, br.y, bl.x, bl.y)
		bits, err := common.GridSampler_GetInstance().SampleGridWithTransform(matrix, dim, dim, t)
		if err != nil {
			continue
		}
		if res, ok := r.decodeDetected(common.NewDetectorResult(bits, pts), nil); ok {
			return res, true
		}
	}
	return qrResult{}, false
}

// fourthSearch is how far (modules) searchFourth moves the fourth point.
const fourthSearch = 1.5
