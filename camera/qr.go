package camera

import (
	"image"
	"math"
	"sort"
	"unicode/utf8"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
	multidetector "github.com/makiuchi-d/gozxing/multi/qrcode/detector"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// plane is an 8-bit grey image in row-major order with no padding. Its pixels
// may live in C memory owned by a Mat, so a plane never outlives the call it
// is passed to.
type plane struct {
	pix  []byte
	w, h int
}

// binarizerKind picks how gozxing turns grey into black and white.
type binarizerKind int

const (
	hybrid binarizerKind = iota // local thresholds per 8×8 block: shadows, glare
	global                      // one threshold from the histogram: blur, low contrast
)

// qrResult is one decoded code in the coordinates of the plane it was found in.
type qrResult struct {
	text    string
	raw     []byte         // the code's content when the text is not that content as UTF-8, else nil
	corners [4]image.Point // top-left, top-right, bottom-right, bottom-left; zero when unknown
}

// qrReader wraps gozxing's QR detector and decoder. It is not safe for
// concurrent use.
type qrReader struct {
	dec   *decoder.Decoder
	plain map[gozxing.DecodeHintType]interface{}
	hard  map[gozxing.DecodeHintType]interface{}
	// localGrid samples codes of version 7 and up cell by cell where one
	// transform fails (off only to measure what it is worth).
	localGrid bool
	// fourth searches for the fourth corner of small codes (off only to
	// measure what it is worth).
	fourth bool
	// grey is the plane the matrices being read were binarized from (for
	// sampling grey levels where binarizing lost detail), light-on-dark
	// when greyInvert; a zero plane when there is none.
	grey       plane
	greyInvert bool
}

func newQRReader() *qrReader {
	return &qrReader{
		dec:       decoder.NewDecoder(),
		plain:     map[gozxing.DecodeHintType]interface{}{},
		hard:      map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true},
		localGrid: true,
		fourth:    true,
	}
}

// read decodes one code from p. tryHarder makes the finder scan every row
// instead of every third: slower, and finds small codes in big frames.
// invert reads light-on-dark codes (dark-mode phone screens). seen reports
// whether three finder patterns were found, decoded or not: frames where
// even that fails rarely hold a code, so the costly steps skip them.
func (r *qrReader) read(p plane, bin binarizerKind, tryHarder, invert bool) (res qrResult, seen, ok bool) {
	matrix, ok := binarize(p, bin, invert)
	if !ok {
		return qrResult{}, false, false
	}
	r.grey, r.greyInvert = p, invert
	defer func() { r.grey = plane{} }()
	return r.readMatrix(matrix, tryHarder)
}

// binarize turns a grey plane into gozxing's black-and-white matrix.
func binarize(p plane, bin binarizerKind, invert bool) (*gozxing.BitMatrix, bool) {
	src, err := gozxing.NewPlanarYUVLuminanceSource(p.pix, p.w, p.h, 0, 0, p.w, p.h, false)
	if err != nil {
		return nil, false
	}
	if invert {
		src = src.Invert()
	}
	var b gozxing.Binarizer
	if bin == global {
		b = gozxing.NewGlobalHistgramBinarizer(src)
	} else {
		b = gozxing.NewHybridBinarizer(src)
	}
	matrix, err := b.GetBlackMatrix()
	return matrix, err == nil
}

// readMatrix finds and decodes one code in a binarized image with gozxing's
// finder, and the retries below where it fails.
func (r *qrReader) readMatrix(matrix *gozxing.BitMatrix, tryHarder bool) (res qrResult, seen, ok bool) {
	hints := r.plain
	if tryHarder {
		hints = r.hard
	}
	finder := detector.NewFinderPatternFinder(matrix, nil)
	info, err := finder.Find(hints)
	if err != nil {
		if info = relaxedTriple(finder.GetPossibleCenters()); info == nil {
			return qrResult{}, false, false
		}
	}
	if res, ok := r.readInfo(matrix, info); ok {
		return res, true, true
	}
	// The finder keeps the first three patterns that fit; in a dense code a
	// run of data modules can look like one (about one health code in ten
	// at version 10), so try every plausible triple before giving up.
	dets, merr := multidetector.NewMultiDetector(matrix).DetectMulti(hints)
	if merr != nil {
		return qrResult{}, true, false
	}
	for _, det := range dets {
		if res, ok := r.decodeDetected(det, nil); ok {
			return res, true, true
		}
	}
	return qrResult{}, true, false
}

// readInfo samples and decodes the code whose finder patterns are info,
// trying other alignment patterns when the first grid fails.
func (r *qrReader) readInfo(matrix *gozxing.BitMatrix, info *detector.FinderPatternInfo) (qrResult, bool) {
	det, err := detector.NewDetector(matrix).ProcessFinderPatternInfo(info)
	if res, ok := r.decodeDetected(det, err); ok {
		return res, true
	}
	if err != nil {
		return qrResult{}, false
	}
	if res, ok := r.retryAlignment(matrix, det); ok {
		return res, true
	}
	dim := det.GetBits().GetWidth()
	if r.fourth && dim <= cornerSearchMaxDim {
		// A small code seen in perspective: its fourth corner is not
		// where the parallelogram of the finders puts it.
		return r.searchFourth(matrix, info, dim)
	}
	// A large code that is not flat: sample it cell by cell.
	pts := det.GetPoints()
	var br *vec
	if len(pts) > 3 {
		br = &vec{pts[3].GetX(), pts[3].GetY()}
	}
	ms := (info.GetTopLeft().GetEstimatedModuleSize() + info.GetTopRight().GetEstimatedModuleSize() + info.GetBottomLeft().GetEstimatedModuleSize()) / 3
	return r.readLocalGrid(matrix, vecOf(info.GetTopLeft()), vecOf(info.GetTopRight()), vecOf(info.GetBottomLeft()), br, det.GetBits().GetWidth(), ms)
}

func vecOf(p gozxing.ResultPoint) vec { return vec{p.GetX(), p.GetY()} }

func (r *qrReader) decodeDetected(det *common.DetectorResult, err error) (qrResult, bool) {
	if err != nil {
		return qrResult{}, false
	}
	dr, err := r.dec.Decode(det.GetBits(), r.plain)
	if err != nil {
		return qrResult{}, false
	}
	if dr.GetText() == "" {
		// All-zero codewords pass Reed-Solomon: a grid sampled over a
		// blank area reads as an empty code. No code worth showing is empty.
		return qrResult{}, false
	}
	pts := det.GetPoints()
	if md, ok := dr.GetOther().(*decoder.QRCodeDecoderMetaData); ok {
		md.ApplyMirroredCorrection(pts)
	}
	dim := det.GetBits().GetWidth()
	text := dr.GetText()
	return qrResult{text: text, raw: rawUnlessText(contentBytes(dr.GetRawBytes(), (dim-17)/4), text), corners: codeCorners(pts, dim)}, true
}

// rawUnlessText is the code's content when the text is not simply that
// content read as UTF-8 (a Shift_JIS or GB2312 code, binary data: the text
// is then a reading with a guessed or declared charset); nil when the text
// is the whole truth or the content could not be read back.
func rawUnlessText(content []byte, text string) []byte {
	if content == nil || utf8.Valid(content) && string(content) == text {
		return nil
	}
	return content
}

// Alignment retry bounds: how far from gozxing's estimate to look (in
// modules), the side of each search tile, and how many candidates to try.
const (
	alignSearchModules = 8
	alignTileModules   = 6
	alignMaxCandidates = 12
)

// retryAlignment re-reads a code whose finder patterns were found but whose
// grid did not decode, trying other alignment patterns. gozxing samples the
// grid through one alignment pattern, looked for where it would be if the
// code were a parallelogram, and keeps the first pattern-like spot it
// confirms. Under a keystone (a phone turned away) the real one lies
// several modules off and a run of data modules that looks like one is
// nearer: in the 720p gate video the code turned 12° with a 10 % keystone
// had its alignment pattern taken 26 px (4 modules) from the real one. Here
// every candidate within alignSearchModules is collected and each tried,
// nearest first; the Reed-Solomon check decides.
func (r *qrReader) retryAlignment(matrix *gozxing.BitMatrix, det *common.DetectorResult) (qrResult, bool) {
	pts := det.GetPoints()
	dim := det.GetBits().GetWidth()
	if len(pts) < 3 || dim < 25 { // version 1 has no alignment pattern
		return qrResult{}, false
	}
	var tried gozxing.ResultPoint
	if len(pts) > 3 {
		tried = pts[3]
	}
	ms := 0.0
	for _, p := range pts[:3] {
		if fp, ok := p.(*detector.FinderPattern); ok {
			ms += fp.GetEstimatedModuleSize() / 3
		}
	}
	return r.readAligned(matrix, pts[0], pts[1], pts[2], dim, ms, tried, nil)
}

// readAligned samples a dim-module grid through each alignment-pattern
// candidate near where the pattern should be, nearest first, skipping one
// already tried, and decodes it. at is where the pattern should be; nil
// puts it where it would be if the code were a parallelogram.
func (r *qrReader) readAligned(matrix *gozxing.BitMatrix, bl, tl, tr gozxing.ResultPoint, dim int, ms float64, tried gozxing.ResultPoint, at *vec) (qrResult, bool) {
	if ms < 1 || dim < 25 {
		return qrResult{}, false
	}
	k := 1 - 3/float64(dim-7)
	estX := tl.GetX() + k*(tr.GetX()-tl.GetX()+bl.GetX()-tl.GetX())
	estY := tl.GetY() + k*(tr.GetY()-tl.GetY()+bl.GetY()-tl.GetY())
	if at != nil {
		estX, estY = at.x, at.y
	}

	var cands []gozxing.ResultPoint
	add := func(p gozxing.ResultPoint) {
		if tried != nil && gozxing.ResultPoint_Distance(p, tried) < 1.5*ms {
			return
		}
		for _, c := range cands {
			if gozxing.ResultPoint_Distance(p, c) < 1.5*ms {
				return
			}
		}
		cands = append(cands, p)
	}
	radius, tile := alignSearchModules*ms, alignTileModules*ms
	step := tile * 2 / 3
	w, h := float64(matrix.GetWidth()), float64(matrix.GetHeight())
	for y := estY - radius; y < estY+radius; y += step {
		for x := estX - radius; x < estX+radius; x += step {
			x0, y0 := max(0, x), max(0, y)
			x1, y1 := min(w-1, x+tile), min(h-1, y+tile)
			if x1-x0 < 3*ms || y1-y0 < 3*ms {
				continue
			}
			f := detector.NewAlignmentPatternFinder(matrix, int(x0), int(y0), int(x1-x0), int(y1-y0), ms, add)
			if p, err := f.Find(); err == nil {
				add(p)
			}
		}
	}
	est := gozxing.NewResultPoint(estX, estY)
	sort.Slice(cands, func(i, j int) bool {
		return gozxing.ResultPoint_Distance(cands[i], est) < gozxing.ResultPoint_Distance(cands[j], est)
	})
	for i, c := range cands {
		if i == alignMaxCandidates {
			break
		}
		ap, ok := c.(*detector.AlignmentPattern)
		if !ok {
			continue
		}
		if res, ok := r.readTransformed(matrix, bl, tl, tr, ap, dim); ok {
			return res, true
		}
	}
	return qrResult{}, false
}

// readTransformed samples the grid through the three finder centres and
// an alignment pattern (nil: the parallelogram's fourth corner) and decodes it.
func (r *qrReader) readTransformed(matrix *gozxing.BitMatrix, bl, tl, tr gozxing.ResultPoint, ap *detector.AlignmentPattern, dim int) (qrResult, bool) {
	tf := detector.Detector_createTransform(tl, tr, bl, ap, dim)
	bits, err := detector.Detector_sampleGrid(matrix, tf, dim)
	if err != nil {
		return qrResult{}, false
	}
	pts := []gozxing.ResultPoint{bl, tl, tr}
	if ap != nil {
		pts = append(pts, ap)
	}
	return r.decodeDetected(common.NewDetectorResult(bits, pts), nil)
}

// relaxedMaxSizeRatio is how much larger one finder pattern's module may be
// than another's in relaxedTriple. gozxing allows 1.4; a phone turned 20 %
// away, binarised, already measures more than that.
const relaxedMaxSizeRatio = 2.0

// relaxedMaxDistortion bounds how far the chosen triangle may be from an
// isosceles right one (|c²−2b²|+|c²−2a²| over c², 0 for a square code).
const relaxedMaxDistortion = 0.6

// relaxedTriple picks the three finder-pattern candidates that best form a
// code's corner triangle, as gozxing's SelectBestPatterns does, but allowing
// module sizes up to relaxedMaxSizeRatio apart and rejecting triangles far
// from right and isosceles. It is used only where gozxing found none.
func relaxedTriple(cs []*detector.FinderPattern) *detector.FinderPatternInfo {
	if len(cs) < 3 || len(cs) > 24 {
		return nil
	}
	best, bestD := [3]*detector.FinderPattern{}, math.MaxFloat64
	for i := 0; i < len(cs); i++ {
		for j := i + 1; j < len(cs); j++ {
			for k := j + 1; k < len(cs); k++ {
				a, b, c := cs[i], cs[j], cs[k]
				lo := min(a.GetEstimatedModuleSize(), b.GetEstimatedModuleSize(), c.GetEstimatedModuleSize())
				hi := max(a.GetEstimatedModuleSize(), b.GetEstimatedModuleSize(), c.GetEstimatedModuleSize())
				if hi > lo*relaxedMaxSizeRatio {
					continue
				}
				s := []float64{sqDist(a, b), sqDist(b, c), sqDist(a, c)}
				sort.Float64s(s)
				// 0 for an isosceles right triangle, relative to the hypotenuse.
				d := (math.Abs(s[2]-2*s[1]) + math.Abs(s[2]-2*s[0])) / s[2]
				// The two legs must span at least 7 modules (14 with the finders).
				if d < bestD && math.Sqrt(s[0]) > 14*lo {
					best, bestD = [3]*detector.FinderPattern{a, b, c}, d
				}
			}
		}
	}
	if best[0] == nil || bestD > relaxedMaxDistortion {
		return nil
	}
	bl, tl, tr := gozxing.ResultPoint_OrderBestPatterns(best[0], best[1], best[2])
	return detector.NewFinderPatternInfo(bl.(*detector.FinderPattern), tl.(*detector.FinderPattern), tr.(*detector.FinderPattern))
}

func sqDist(a, b gozxing.ResultPoint) float64 {
	dx, dy := a.GetX()-b.GetX(), a.GetY()-b.GetY()
	return dx*dx + dy*dy
}

// codeCorners turns the three finder-pattern centres (bottom-left, top-left,
// top-right, as gozxing orders them) of a code with dim modules a side into
// the code's four outer corners.
func codeCorners(pts []gozxing.ResultPoint, dim int) [4]image.Point {
	if len(pts) < 3 || dim <= 7 {
		return [4]image.Point{}
	}
	bl := vec{pts[0].GetX(), pts[0].GetY()}
	tl := vec{pts[1].GetX(), pts[1].GetY()}
	tr := vec{pts[2].GetX(), pts[2].GetY()}
	// Finder centres sit 3.5 modules inside the corners; the centres span dim-7 modules.
	k := 3.5 / float64(dim-7)
	right := tr.sub(tl).scale(k)
	down := bl.sub(tl).scale(k)
	br := tr.add(bl).sub(tl)
	return [4]image.Point{
		tl.sub(right).sub(down).point(),
		tr.add(right).sub(down).point(),
		br.add(right).add(down).point(),
		bl.sub(right).add(down).point(),
	}
}

type vec struct{ x, y float64 }

func (a vec) add(b vec) vec       { return vec{a.x + b.x, a.y + b.y} }
func (a vec) sub(b vec) vec       { return vec{a.x - b.x, a.y - b.y} }
func (a vec) scale(k float64) vec { return vec{a.x * k, a.y * k} }
func (a vec) point() image.Point  { return image.Pt(int(math.Round(a.x)), int(math.Round(a.y))) }
