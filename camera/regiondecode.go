package camera

import (
	"image"
	"math"
	"slices"
	"sort"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
	"gocv.io/x/gocv"
)

// Region decoding scale: modules smaller than regionMinModule px are
// enlarged to regionTarget, larger than regionMaxModule shrunk to it; a
// region's crop is at most regionMaxSide px a side after scaling.
const (
	regionMinModule = 3.0
	regionMaxModule = 8.0
	regionTarget    = 4.0
	regionMaxSide   = 1400
	// The crop reaches regionMargin modules beyond the finder centres and
	// the fourth corner (3.5 to the code's edge, 4 of quiet zone), plus
	// regionSlack of the code's span: under a keystone the far side is
	// larger than the patterns' modules say. With 6 modules and no slack a
	// close-up turned 45° lost its corner and quiet zone to the crop's edge.
	regionMargin = 7.5
	regionSlack  = 0.1
)

// regionScratch holds a region's Mats between calls.
type regionScratch struct {
	crop, blur, bin gocv.Mat
}

func newRegionScratch() regionScratch {
	return regionScratch{crop: gocv.NewMat(), blur: gocv.NewMat(), bin: gocv.NewMat()}
}

func (s *regionScratch) close() {
	s.crop.Close()
	s.blur.Close()
	s.bin.Close()
}

// Region steps, as Code.Step names them.
const (
	stepRegionHybrid   = "region-hybrid"
	stepRegionOtsu     = "region-otsu"
	stepRegionAdaptive = "region-adaptive"
)

// decodeRegion crops the region from the frame at a scale where a module is
// a few pixels, and decodes it with the region's own patterns and with
// gozxing's finder, under three binarizations: gozxing's local one, Otsu
// after a blur of a third of a module (dots and noise merge into modules),
// and an adaptive mean over about four modules (uneven light, low contrast).
func (d *cascade) decodeRegion(gray gocv.Mat, rg region) (found, bool) {
	m := rg.module
	fourth := finder{x: rg.tr.x + rg.bl.x - rg.tl.x, y: rg.tr.y + rg.bl.y - rg.tl.y}
	pad := regionMargin*m + regionSlack*max(math.Hypot(rg.tr.x-rg.tl.x, rg.tr.y-rg.tl.y), math.Hypot(rg.bl.x-rg.tl.x, rg.bl.y-rg.tl.y))
	x0 := min(rg.bl.x, rg.tl.x, rg.tr.x, fourth.x) - pad
	y0 := min(rg.bl.y, rg.tl.y, rg.tr.y, fourth.y) - pad
	x1 := max(rg.bl.x, rg.tl.x, rg.tr.x, fourth.x) + pad
	y1 := max(rg.bl.y, rg.tl.y, rg.tr.y, fourth.y) + pad
	rect := image.Rect(int(x0), int(y0), int(math.Ceil(x1)), int(math.Ceil(y1))).Intersect(image.Rect(0, 0, gray.Cols(), gray.Rows()))
	if rect.Dx() < 16 || rect.Dy() < 16 {
		return found{}, false
	}
	k := 1.0
	switch {
	case m < regionMinModule:
		k = regionTarget / m
	case m > regionMaxModule:
		k = regionTarget / m
	}
	if side := float64(max(rect.Dx(), rect.Dy())) * k; side > regionMaxSide {
		k *= regionMaxSide / side
	}
	roi := gray.Region(rect)
	switch {
	case k > 1:
		gocv.Resize(roi, &d.rs.crop, image.Point{}, k, k, gocv.InterpolationCubic)
	case k < 1:
		gocv.Resize(roi, &d.rs.crop, image.Point{}, k, k, gocv.InterpolationArea)
	default:
		roi.CopyTo(&d.rs.crop)
	}
	roi.Close()
	p, ok := planeOf(d.rs.crop)
	if !ok {
		return found{}, false
	}
	// The region's patterns in crop pixels, for sampling without gozxing's finder.
	at := func(f finder) *detector.FinderPattern {
		return detector.NewFinderPattern1((f.x-float64(rect.Min.X))*k, (f.y-float64(rect.Min.Y))*k, m*k)
	}
	info := detector.NewFinderPatternInfo(at(rg.bl), at(rg.tl), at(rg.tr))
	back := func(r qrResult, step string) (found, bool) {
		for i, c := range r.corners {
			r.corners[i] = image.Pt(int(float64(c.X)/k)+rect.Min.X, int(float64(c.Y)/k)+rect.Min.Y)
		}
		return foundOf(r, step), true
	}
	mk := m * k
	corners, hasCorners := rg.outerCorners()
	cornerDims := dimsAround(rg.cornerModules(corners))
	var cropCorners [4]vec
	for i, c := range corners {
		cropCorners[i] = vec{(c.x - float64(rect.Min.X)) * k, (c.y - float64(rect.Min.Y)) * k}
	}
	try := func(matrix *gozxing.BitMatrix, step string) (found, bool) {
		if matrix == nil {
			return found{}, false
		}
		if r, ok := d.qr.readInfo(matrix, info); ok {
			return back(r, step)
		}
		if hasCorners {
			// The corners place the alignment pattern well even under a
			// keystone; through it the grid is right where extrapolating
			// the patterns' short sides to the fourth corner is not.
			for _, dim := range cornerDims {
				if r, ok := d.qr.readCorners(matrix, info, cropCorners, dim); ok {
					return back(r, step)
				}
				if dim >= 25 {
					at := alignmentAt(cropCorners, dim)
					if r, ok := d.qr.readAligned(matrix, info.GetBottomLeft(), info.GetTopLeft(), info.GetTopRight(), dim, mk, nil, &at); ok {
						return back(r, step)
					}
				}
			}
		}
		// gozxing measures the module on the binarized patterns and refuses
		// sizes that are not 4v+17; the region's own estimate, and the sizes
		// next to it, are tried instead.
		bl, tl, tr := info.GetBottomLeft(), info.GetTopLeft(), info.GetTopRight()
		// A large code that is not flat, cell by cell (its version
		// information says its size).
		for _, dim := range mergeDims(cornerDims, regionDims(rg)) {
			if dim < localGridMinDim {
				continue
			}
			var br *vec
			if hasCorners {
				at := alignmentAt(cropCorners, dim)
				br = &at
			}
			if r, ok := d.qr.readLocalGrid(matrix, vecOf(tl), vecOf(tr), vecOf(bl), br, dim, mk); ok {
				return back(r, step)
			}
		}
		for _, dim := range regionDims(rg) {
			if r, ok := d.qr.readAligned(matrix, bl, tl, tr, dim, mk, nil, nil); ok {
				return back(r, step)
			}
			if r, ok := d.qr.readTransformed(matrix, bl, tl, tr, nil, dim); ok {
				return back(r, step)
			}
		}
		if r, _, ok := d.qr.readMatrix(matrix, true); ok {
			return back(r, step)
		}
		return found{}, false
	}
	if mx, ok := binarize(p, hybrid, !rg.dark); ok {
		if f, ok := try(mx, stepRegionHybrid); ok {
			return f, true
		}
	}
	// The code's own grey levels, inside the triangle of its patterns, set
	// the global threshold: the crop's corners may be a dark table or a
	// phone's body, which would pull Otsu's threshold away from the modules.
	inner := image.Rect(
		int((min(rg.bl.x, rg.tl.x, rg.tr.x)-float64(rect.Min.X))*k), int((min(rg.bl.y, rg.tl.y, rg.tr.y)-float64(rect.Min.Y))*k),
		int((max(rg.bl.x, rg.tl.x, rg.tr.x)-float64(rect.Min.X))*k), int((max(rg.bl.y, rg.tl.y, rg.tr.y)-float64(rect.Min.Y))*k),
	).Intersect(image.Rect(0, 0, p.w, p.h))
	for _, blur := range []float64{mk / 6, mk / 3} {
		sigma := max(0.5, blur)
		gocv.GaussianBlur(d.rs.crop, &d.rs.blur, image.Point{}, sigma, sigma, gocv.BorderReplicate)
		if inner.Dx() < 8 || inner.Dy() < 8 {
			break
		}
		sub := d.rs.blur.Region(inner)
		t := gocv.Threshold(sub, &d.rs.bin, 0, 255, gocv.ThresholdBinary|gocv.ThresholdOtsu)
		sub.Close()
		gocv.Threshold(d.rs.blur, &d.rs.bin, t, 255, gocv.ThresholdBinary)
		if f, ok := try(matrixOf(d.rs.bin, !rg.dark), stepRegionOtsu); ok {
			return f, true
		}
	}
	sigma := max(0.5, mk/6)
	gocv.GaussianBlur(d.rs.crop, &d.rs.blur, image.Point{}, sigma, sigma, gocv.BorderReplicate)
	block := 2*int(2*mk) + 1
	gocv.AdaptiveThreshold(d.rs.blur, &d.rs.bin, 255, gocv.AdaptiveThresholdMean, gocv.ThresholdBinary, max(block, 7), 2)
	return try(matrixOf(d.rs.bin, !rg.dark), stepRegionAdaptive)
}

// regionDimTries is how many code sizes are tried per region.
const regionDimTries = 3

// regionDims are the code sizes (4v+17 modules) to try for a region,
// nearest its own estimate first: the legs' length in modules, each leg
// measured with the module size of the patterns at its ends.
func regionDims(rg region) []int {
	leg := func(a, b finder) float64 {
		return math.Hypot(a.x-b.x, a.y-b.y) / ((a.module + b.module) / 2)
	}
	return dimsAround((leg(rg.tl, rg.tr)+leg(rg.tl, rg.bl))/2 + 7)
}

// mergeDims lists the sizes of a and then those of b not in a.
func mergeDims(a, b []int) []int {
	out := append([]int(nil), a...)
	for _, d := range b {
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// dimsAround lists the code sizes (4v+17) nearest est, at most regionDimTries.
func dimsAround(est float64) []int {
	v := int(math.Round((est - 17) / 4))
	var dims []int
	for dv := -2; dv <= 2; dv++ {
		if w := v + dv; w >= 1 && w <= 40 {
			dims = append(dims, 4*w+17)
		}
	}
	sort.Slice(dims, func(i, j int) bool { return math.Abs(float64(dims[i])-est) < math.Abs(float64(dims[j])-est) })
	return dims[:min(len(dims), regionDimTries)]
}

// matrixOf turns a 0/255 Mat into gozxing's matrix (dark pixels set, or
// light ones for a light-on-dark code).
func matrixOf(bin gocv.Mat, invert bool) *gozxing.BitMatrix {
	p, ok := planeOf(bin)
	if !ok {
		return nil
	}
	mx, err := gozxing.NewBitMatrix(p.w, p.h)
	if err != nil {
		return nil
	}
	for y := range p.h {
		row := p.pix[y*p.w : (y+1)*p.w]
		for x, v := range row {
			if (v < 128) != invert {
				mx.Set(x, y)
			}
		}
	}
	return mx
}
