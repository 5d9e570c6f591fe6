package camera

import (
	"slices"
	"syscall"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

// BenchmarkStreamSteps decodes the 720p gate video's frames, held in
// memory, as live frames are decoded, with each optional step switched off
// in turn: the time per frame each step costs and the frames it reads
// (a third of the frames show nobody).
func BenchmarkStreamSteps(b *testing.B) {
	path, _ := gateVideo720(b)
	fs, err := openSource(Source{Kind: VideoFile, Path: path}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	var frames []gocv.Mat
	bgr := gocv.NewMat()
	for {
		if _, err := fs.read(&bgr); err != nil {
			break
		}
		g := gocv.NewMat()
		toGray(bgr, &g)
		frames = append(frames, g)
	}
	fs.close()
	bgr.Close()
	defer func() {
		for _, f := range frames {
			f.Close()
		}
	}()
	for _, c := range []struct {
		name  string
		steps stepSet
	}{{"all", allSteps}, {"no-regions", allSteps &^ useRegions}, {"no-costly", allSteps &^ useCostly}} {
		b.Run(c.name, func(b *testing.B) {
			d := newCascade()
			defer d.Close()
			d.steps = c.steps
			read := 0
			cpu0 := processCPU()
			b.ResetTimer()
			var took []time.Duration
			for i := range b.N {
				t0 := time.Now()
				if len(d.decodeStream(frames[i%len(frames)])) > 0 {
					read++
				}
				took = append(took, time.Since(t0))
			}
			slices.Sort(took)
			b.ReportMetric(ms(took[len(took)*95/100]), "p95-ms/frame")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/frame")
			// CPU time too: on a machine shared with other work it moves less than wall time.
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/frame")
			b.ReportMetric(float64(read)/float64(b.N)*100, "%read")
		})
	}
}

// processCPU is the user and system time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
