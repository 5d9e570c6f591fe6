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
	rect := rg.area().Intersect(image.Rect(0, 0, gray.Cols(), gray.Rows()))
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
		bl, tl, tr := info.GetBottomLeft(), info.GetTopLeft(), info.GetTopRight()
		timed := timingDims(p, vecOf(tl), vecOf(tr), vecOf(bl), mk)
		if hasCorners {
			// The corners place the alignment pattern well even under a
			// keystone; through it the grid is right where extrapolating
			// the patterns' short sides to the fourth corner is not.
			for _, dim := range mergeDims(timed, cornerDims) {
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
			// The fourth corner, which no pattern marks, is extrapolated
			// from short outlines and can be a module off; a small code
			// has no alignment pattern to correct it, so the corners near
			// it are tried (Reed-Solomon decides).
			for _, dim := range mergeDims(timed, cornerDims) {
				if dim > cornerSearchMaxDim || d.steps&useFourth == 0 {
					continue
				}
				if r, ok := d.qr.readCornersNear(matrix, info, cropCorners, dim); ok {
					return back(r, step)
				}
			}
		}
		// gozxing measures the module on the binarized patterns and refuses
		// sizes that are not 4v+17; the region's own estimate, and the sizes
		// next to it, are tried instead.
		// A large code that is not flat, cell by cell (its version
		// information says its size).
		for _, dim := range mergeDims(timed, mergeDims(cornerDims, regionDims(rg))) {
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
		for _, dim := range mergeDims(timed, regionDims(rg)) {
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
	d.qr.grey, d.qr.greyInvert = p, !rg.dark
	defer func() { d.qr.grey = plane{} }()
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

// area is the part of the frame a region's code and quiet zone lie in.
func (rg region) area() image.Rectangle {
	fourth := finder{x: rg.tr.x + rg.bl.x - rg.tl.x, y: rg.tr.y + rg.bl.y - rg.tl.y}
	pad := regionMargin*rg.module + regionSlack*max(math.Hypot(rg.tr.x-rg.tl.x, rg.tr.y-rg.tl.y), math.Hypot(rg.bl.x-rg.tl.x, rg.bl.y-rg.tl.y))
	x0 := min(rg.bl.x, rg.tl.x, rg.tr.x, fourth.x) - pad
	y0 := min(rg.bl.y, rg.tl.y, rg.tr.y, fourth.y) - pad
	x1 := max(rg.bl.x, rg.tl.x, rg.tr.x, fourth.x) + pad
	y1 := max(rg.bl.y, rg.tl.y, rg.tr.y, fourth.y) + pad
	return image.Rect(int(math.Floor(x0)), int(math.Floor(y0)), int(math.Ceil(x1)), int(math.Ceil(y1)))
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

// timingDims measures a code's size on its timing patterns: row and
// column 6 alternate dark and light between the finder patterns, a period
// of two modules, and blur lowers their contrast but keeps their period.
// The finder patterns' own module estimate does not survive blur as well
// (their dark rings widen: a defocused version 12 code measured as version
// 10). The grey levels along each timing pattern (a line 3 modules in from
// the finder centres, at three offsets around it since the estimate may be
// off) give the period where their autocorrelation peaks, and the legs'
// length over it the size. It returns the sizes nearest the best-defined
// measurements.
func timingDims(p plane, tl, tr, bl vec, ms float64) []int {
	type est struct{ dim, score float64 }
	var ests []est
	for _, leg := range [2][2]vec{{tr, bl}, {bl, tr}} {
		end, across := leg[0], leg[1]
		in := across.sub(tl)
		in = in.scale(1 / math.Hypot(in.x, in.y))
		best := est{}
		for _, off := range []float64{2.6, 3, 3.4} {
			o := in.scale(off * ms)
			if period, score := timingPeriod(p, tl.add(o), end.add(o), ms); score > best.score {
				d := end.sub(tl)
				best = est{math.Hypot(d.x, d.y)/(period/2) + 7, score}
			}
		}
		if best.score > timingMinScore {
			ests = append(ests, best)
		}
	}
	sort.Slice(ests, func(i, j int) bool { return ests[i].score > ests[j].score })
	var dims []int
	for _, e := range ests {
		dims = mergeDims(dims, dimsAround(e.dim)[:2])
	}
	return dims
}

// timingMinScore is the autocorrelation a timing pattern's period must
// reach: data modules have none to speak of.
const timingMinScore = 0.3

// timingPeriod is the period (pixels) of the grey levels along a→b between
// the finder patterns (4.5 modules in from each end), where their
// normalised autocorrelation peaks between 1.2 and 3.2 module estimates,
// and that peak.
func timingPeriod(p plane, a, b vec, ms float64) (float64, float64) {
	d := b.sub(a)
	length := math.Hypot(d.x, d.y)
	u := d.scale(1 / length)
	const step = 0.5
	from, to := 4.5*ms, length-4.5*ms
	if to-from < 8*ms {
		return 0, 0
	}
	var xs []float64
	for t := from; t <= to; t += step {
		q := a.add(u.scale(t))
		x, y := int(q.x), int(q.y)
		if x < 0 || y < 0 || x >= p.w || y >= p.h {
			return 0, 0
		}
		xs = append(xs, float64(p.pix[y*p.w+x]))
	}
	mean := 0.0
	for _, v := range xs {
		mean += v
	}
	mean /= float64(len(xs))
	var energy float64
	for i := range xs {
		xs[i] -= mean
		energy += xs[i] * xs[i]
	}
	if energy == 0 {
		return 0, 0
	}
	lo, hi := int(1.2*ms/step), int(3.2*ms/step)+1
	ac := make([]float64, hi+2)
	for lag := max(1, lo-1); lag <= hi+1 && lag < len(xs)/2; lag++ {
		var s float64
		for i := 0; i+lag < len(xs); i++ {
			s += xs[i] * xs[i+lag]
		}
		ac[lag] = s / energy * float64(len(xs)) / float64(len(xs)-lag)
	}
	bestLag, best := 0, 0.0
	for lag := max(2, lo); lag <= hi && lag+1 < len(ac); lag++ {
		if ac[lag] > best && ac[lag] >= ac[lag-1] && ac[lag] >= ac[lag+1] {
			bestLag, best = lag, ac[lag]
		}
	}
	if bestLag == 0 {
		return 0, 0
	}
	// The peak between samples, by a parabola through the three around it.
	l, c, r := ac[bestLag-1], ac[bestLag], ac[bestLag+1]
	shift := 0.0
	if den := l - 2*c + r; den < 0 {
		shift = 0.5 * (l - r) / den
	}
	return (float64(bestLag) + shift) * step, best
}
