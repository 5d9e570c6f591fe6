//go:build stepworth

package camera

import (
	"bytes"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

type xform struct {
	name string
	fn   func(src gocv.Mat, dst *gocv.Mat)
}

type rdr struct {
	name      string
	bin       binarizerKind
	hard, inv bool
}

func TestStepWorth(t *testing.T) {
	dir := corpusDir(t)
	imgs := loadCorpus(t, dir)
	clahe := gocv.NewCLAHEWithParams(2, image.Pt(8, 8))
	xforms := []xform{
		{"id", func(s gocv.Mat, d *gocv.Mat) { s.CopyTo(d) }},
		{"half", func(s gocv.Mat, d *gocv.Mat) { gocv.Resize(s, d, image.Point{}, 0.5, 0.5, gocv.InterpolationArea) }},
		{"x2lin", func(s gocv.Mat, d *gocv.Mat) { gocv.Resize(s, d, image.Point{}, 2, 2, gocv.InterpolationLinear) }},
		{"x2cub", func(s gocv.Mat, d *gocv.Mat) { gocv.Resize(s, d, image.Point{}, 2, 2, gocv.InterpolationCubic) }},
		{"x1.5", func(s gocv.Mat, d *gocv.Mat) { gocv.Resize(s, d, image.Point{}, 1.5, 1.5, gocv.InterpolationLinear) }},
		{"x0.75", func(s gocv.Mat, d *gocv.Mat) { gocv.Resize(s, d, image.Point{}, 0.75, 0.75, gocv.InterpolationArea) }},
		{"clahe", func(s gocv.Mat, d *gocv.Mat) { clahe.Apply(s, d) }},
		{"eqhist", func(s gocv.Mat, d *gocv.Mat) { gocv.EqualizeHist(s, d) }},
		{"blur3", func(s gocv.Mat, d *gocv.Mat) { gocv.GaussianBlur(s, d, image.Pt(3, 3), 0, 0, gocv.BorderDefault) }},
		{"blur5", func(s gocv.Mat, d *gocv.Mat) { gocv.GaussianBlur(s, d, image.Pt(5, 5), 0, 0, gocv.BorderDefault) }},
		{"median3", func(s gocv.Mat, d *gocv.Mat) { gocv.MedianBlur(s, d, 3) }},
		{"otsu", func(s gocv.Mat, d *gocv.Mat) { gocv.Threshold(s, d, 0, 255, gocv.ThresholdBinary|gocv.ThresholdOtsu) }},
		{"blur-otsu", func(s gocv.Mat, d *gocv.Mat) {
			m := gocv.NewMat()
			defer m.Close()
			gocv.GaussianBlur(s, &m, image.Pt(5, 5), 0, 0, gocv.BorderDefault)
			gocv.Threshold(m, d, 0, 255, gocv.ThresholdBinary|gocv.ThresholdOtsu)
		}},
		{"adapt31", func(s gocv.Mat, d *gocv.Mat) {
			gocv.AdaptiveThreshold(s, d, 255, gocv.AdaptiveThresholdMean, gocv.ThresholdBinary, 31, 5)
		}},
		{"blur-adapt51", func(s gocv.Mat, d *gocv.Mat) {
			m := gocv.NewMat()
			defer m.Close()
			gocv.GaussianBlur(s, &m, image.Pt(3, 3), 0, 0, gocv.BorderDefault)
			gocv.AdaptiveThreshold(m, d, 255, gocv.AdaptiveThresholdGaussian, gocv.ThresholdBinary, 51, 2)
		}},
		{"sharpen", func(s gocv.Mat, d *gocv.Mat) {
			m := gocv.NewMat()
			defer m.Close()
			gocv.GaussianBlur(s, &m, image.Pt(0, 0), 2, 2, gocv.BorderDefault)
			gocv.AddWeighted(s, 1.8, m, -0.8, 0, d)
		}},
		{"x3lin", func(s gocv.Mat, d *gocv.Mat) { gocv.Resize(s, d, image.Point{}, 3, 3, gocv.InterpolationLinear) }},
		{"x2-blur", func(s gocv.Mat, d *gocv.Mat) {
			m := gocv.NewMat()
			defer m.Close()
			gocv.Resize(s, &m, image.Point{}, 2, 2, gocv.InterpolationLinear)
			gocv.GaussianBlur(m, d, image.Pt(5, 5), 0, 0, gocv.BorderDefault)
		}},
		{"x2-adapt", func(s gocv.Mat, d *gocv.Mat) {
			m := gocv.NewMat()
			defer m.Close()
			gocv.Resize(s, &m, image.Point{}, 2, 2, gocv.InterpolationLinear)
			gocv.AdaptiveThreshold(m, d, 255, gocv.AdaptiveThresholdMean, gocv.ThresholdBinary, 41, 3)
		}},
		{"x2-clahe", func(s gocv.Mat, d *gocv.Mat) {
			m := gocv.NewMat()
			defer m.Close()
			gocv.Resize(s, &m, image.Point{}, 2, 2, gocv.InterpolationLinear)
			clahe.Apply(m, d)
		}},
		{"adapt15", func(s gocv.Mat, d *gocv.Mat) {
			gocv.AdaptiveThreshold(s, d, 255, gocv.AdaptiveThresholdMean, gocv.ThresholdBinary, 15, 3)
		}},
		{"adapt61", func(s gocv.Mat, d *gocv.Mat) {
			gocv.AdaptiveThreshold(s, d, 255, gocv.AdaptiveThresholdMean, gocv.ThresholdBinary, 61, 5)
		}},
		{"close3", func(s gocv.Mat, d *gocv.Mat) {
			k := gocv.GetStructuringElement(gocv.MorphRect, image.Pt(3, 3))
			defer k.Close()
			gocv.MorphologyEx(s, d, gocv.MorphClose, k)
		}},
		{"open3", func(s gocv.Mat, d *gocv.Mat) {
			k := gocv.GetStructuringElement(gocv.MorphRect, image.Pt(3, 3))
			defer k.Close()
			gocv.MorphologyEx(s, d, gocv.MorphOpen, k)
		}},
	}
	rdrs := []rdr{
		{"hy", hybrid, false, false}, {"hyH", hybrid, true, false},
		{"gl", global, false, false}, {"glH", global, true, false},
		{"hyI", hybrid, false, true}, {"glI", global, false, true},
	}
	type cell struct {
		ok bool
		d  time.Duration
	}
	names := []string{}
	res := map[string][]cell{}
	r := newQRReader()
	for _, x := range xforms {
		for _, rd := range rdrs {
			n := x.name + "/" + rd.name
			names = append(names, n)
			res[n] = make([]cell, len(imgs))
		}
	}
	for i, im := range imgs {
		for _, x := range xforms {
			dst := gocv.NewMat()
			t0 := time.Now()
			x.fn(im.gray, &dst)
			xd := time.Since(t0)
			pix, _ := dst.DataPtrUint8()
			p := plane{pix, dst.Cols(), dst.Rows()}
			for _, rd := range rdrs {
				t1 := time.Now()
				q, _, ok := r.read(p, rd.bin, rd.hard, rd.inv)
				d := time.Since(t1) + xd
				res[x.name+"/"+rd.name][i] = cell{ok && q.text == im.want, d}
			}
			dst.Close()
		}
	}
	// Solo counts and greedy cascade by gain per unit time.
	sort.Slice(names, func(a, b int) bool {
		return count(res[names[a]], func(c cell) bool { return c.ok }) > count(res[names[b]], func(c cell) bool { return c.ok })
	})
	for _, n := range names[:30] {
		var tot time.Duration
		for _, c := range res[n] {
			tot += c.d
		}
		fmt.Printf("%-20s %3d  mean %.2fms\n", n, count(res[n], func(c cell) bool { return c.ok }), float64(tot.Microseconds())/1000/float64(len(imgs)))
	}
	got := make([]bool, len(imgs))
	var chain []string
	for step := 0; step < 10; step++ {
		best, bestGain := "", 0
		for _, n := range names {
			g := 0
			for i, c := range res[n] {
				if c.ok && !got[i] {
					g++
				}
			}
			if g > bestGain {
				best, bestGain = n, g
			}
		}
		if best == "" {
			break
		}
		chain = append(chain, best)
		var gained []string
		for i, c := range res[best] {
			if c.ok && !got[i] {
				got[i] = true
				gained = append(gained, imgs[i].name)
			}
		}
		if len(gained) > 12 {
			gained = gained[:12]
		}
		fmt.Printf("greedy +%-3d %-20s %s\n", bestGain, best, strings.Join(gained, " "))
	}
	fmt.Println("total", count(got, func(b bool) bool { return b }))
	for i, g := range got {
		if !g {
			fmt.Println("never:", imgs[i].name)
		}
	}
}

func count[T any](xs []T, f func(T) bool) int {
	n := 0
	for _, x := range xs {
		if f(x) {
			n++
		}
	}
	return n
}

type corpusImage struct {
	name string
	gray gocv.Mat
	want string
}

func loadCorpus(t *testing.T, dir string) []corpusImage {
	var out []corpusImage
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".png") {
			return err
		}
		want, err := os.ReadFile(strings.TrimSuffix(p, ".png") + ".txt")
		if err != nil {
			return nil
		}
		g := gocv.IMRead(p, gocv.IMReadGrayScale)
		rel, _ := filepath.Rel(dir, p)
		out = append(out, corpusImage{rel, g, string(bytes.Clone(want))})
		return nil
	})
	return out
}
