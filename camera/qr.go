package camera

import (
	"image"
	"math"

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
	corners [4]image.Point // top-left, top-right, bottom-right, bottom-left; zero when unknown
}

// qrReader wraps gozxing's QR detector and decoder. It is not safe for
// concurrent use.
type qrReader struct {
	dec   *decoder.Decoder
	plain map[gozxing.DecodeHintType]interface{}
	hard  map[gozxing.DecodeHintType]interface{}
}

func newQRReader() *qrReader {
	return &qrReader{
		dec:   decoder.NewDecoder(),
		plain: map[gozxing.DecodeHintType]interface{}{},
		hard:  map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true},
	}
}

// read decodes one code from p. tryHarder makes the finder scan every row
// instead of every third: slower, and finds small codes in big frames.
// invert reads light-on-dark codes (dark-mode phone screens). seen reports
// whether three finder patterns were found, decoded or not: frames where
// even that fails rarely hold a code, so the costly steps skip them.
func (r *qrReader) read(p plane, bin binarizerKind, tryHarder, invert bool) (res qrResult, seen, ok bool) {
	src, err := gozxing.NewPlanarYUVLuminanceSource(p.pix, p.w, p.h, 0, 0, p.w, p.h, false)
	if err != nil {
		return qrResult{}, false, false
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
	if err != nil {
		return qrResult{}, false, false
	}
	hints := r.plain
	if tryHarder {
		hints = r.hard
	}
	info, err := detector.NewFinderPatternFinder(matrix, nil).Find(hints)
	if err != nil {
		return qrResult{}, false, false
	}
	if res, ok := r.decodeDetected(detector.NewDetector(matrix).ProcessFinderPatternInfo(info)); ok {
		return res, true, true
	}
	// The finder keeps the first three patterns that fit; in a dense code a
	// run of data modules can look like one (about one health code in ten
	// at version 10), so try every plausible triple before giving up.
	dets, err := multidetector.NewMultiDetector(matrix).DetectMulti(hints)
	if err != nil {
		return qrResult{}, true, false
	}
	for _, det := range dets {
		if res, ok := r.decodeDetected(det, nil); ok {
			return res, true, true
		}
	}
	return qrResult{}, true, false
}

func (r *qrReader) decodeDetected(det *common.DetectorResult, err error) (qrResult, bool) {
	if err != nil {
		return qrResult{}, false
	}
	dr, err := r.dec.Decode(det.GetBits(), r.plain)
	if err != nil {
		return qrResult{}, false
	}
	pts := det.GetPoints()
	if md, ok := dr.GetOther().(*decoder.QRCodeDecoderMetaData); ok {
		md.ApplyMirroredCorrection(pts)
	}
	return qrResult{text: dr.GetText(), corners: codeCorners(pts, det.GetBits().GetWidth())}, true
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
