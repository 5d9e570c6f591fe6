package camera

import (
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hcscan/internal/benchfig"
)

// gateShots is a queue filmed at 720p: n people, each showing a code for
// 12 frames (0.4 s at 30 fps) with 6 empty frames between them, so that a
// third of the frames show nobody, as at a real door between people.
func gateShots(n int) []shot {
	var shots []shot
	for i := range n {
		shots = append(shots, shot{frames: 6}, shot{text: healthPayload(int64(100 + i)), frames: 12, rot: float64(i%5*6 - 12), tilt: float64(i%3) * 0.05})
	}
	return append(shots, shot{frames: 6})
}

var video720 struct {
	once  sync.Once
	dir   string
	path  string
	texts []string
}

// gateVideo720 writes the 1280×720 test video once per test binary.
func gateVideo720(b *testing.B) (string, []string) {
	video720.once.Do(func() {
		dir, err := os.MkdirTemp("", "hcscan-bench")
		if err != nil {
			b.Fatal(err)
		}
		video720.dir = dir
		tb := &dirTB{B: b, dir: dir}
		video720.path, video720.texts = scene(tb, "gate720", 1280, 720, 30, gateShots(20))
	})
	if video720.path == "" {
		b.Fatal("720p test video was not written")
	}
	return video720.path, video720.texts
}

// dirTB hands scene a TempDir that outlives one benchmark.
type dirTB struct {
	*testing.B
	dir string
}

func (d *dirTB) TempDir() string { return d.dir }

func TestMain(m *testing.M) {
	code := m.Run()
	if video720.dir != "" {
		os.RemoveAll(video720.dir)
	}
	if stress.dir != "" {
		os.RemoveAll(stress.dir)
	}
	os.Exit(code)
}

// BenchmarkVideo720Decode1Core reads and decodes every frame of the 720p
// video as fast as one core allows (what `hcscan decode` does).
func BenchmarkVideo720Decode1Core(b *testing.B) {
	path, texts := gateVideo720(b)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	r := NewReader()
	defer r.Close()
	b.ResetTimer()
	frames, decoded := 0, 0
	start := time.Now()
	for range b.N {
		st, err := r.DecodeVideo(context.Background(), path, nil)
		if err != nil {
			b.Fatal(err)
		}
		frames += st.Frames
		decoded += st.Decoded
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if frames != b.N*len(texts) {
		b.Fatalf("read %d frames, want %d", frames, b.N*len(texts))
	}
	benchfig.Record(b, "video720_fps_1core", float64(frames)/elapsed.Seconds(), "fps")
	b.ReportMetric(float64(decoded)/float64(b.N), "decoded/pass")
}

// BenchmarkVideo720ScanLatency1Core plays the 720p video at its own 30 fps
// through the live pipeline on one core and measures, for each person, the
// time from the first frame that shows their code to the scan's arrival.
func BenchmarkVideo720ScanLatency1Core(b *testing.B) {
	path, texts := gateVideo720(b)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var lat []time.Duration
	missed := 0
	for range b.N {
		cam, err := Open(context.Background(), Source{Kind: VideoFile, Path: path}, Options{})
		if err != nil {
			b.Fatal(err)
		}
		// The first frame of each person, in media time from the start.
		firstFrame := map[string]int{}
		for i, t := range texts {
			if _, ok := firstFrame[t]; t != "" && !ok {
				firstFrame[t] = i
			}
		}
		fps := cam.Format().FPS
		var start time.Time
		for s := range cam.Scans() {
			if start.IsZero() {
				start = s.FrameTime.Add(-time.Duration(float64(s.Frame) / fps * float64(time.Second)))
			}
			first := start.Add(time.Duration(float64(firstFrame[one(s).Text]) / fps * float64(time.Second)))
			lat = append(lat, time.Since(first))
			delete(firstFrame, one(s).Text)
		}
		missed += len(firstFrame)
		cam.Close()
	}
	b.StopTimer()
	if len(lat) == 0 {
		b.Fatal("no scans")
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p95 := lat[(len(lat)*95+99)/100-1]
	benchfig.Record(b, "video720_scan_p95_ms", ms(p95), "ms")
	b.ReportMetric(ms(lat[len(lat)/2]), "median_ms")
	b.ReportMetric(float64(missed)/float64(b.N), "missed/pass")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// rssMB is the process's resident memory from /proc (Linux).
func rssMB() float64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseFloat(f[1], 64)
	return pages * float64(os.Getpagesize()) / (1 << 20)
}

// BenchmarkStream10MinMemory pushes a 10-minute stream's worth of 720p
// frames (18,000: 30 fps of stream time, decoded as fast as they come)
// through one Camera, looping the test video (the loop rewinds the open
// capture, as a webcam stream is one capture), and samples memory at every
// stream minute (1,800 frames) after a collection that returns free Go
// memory to the system. It reports resident growth from minute 1 to minute
// 10 and the spread (largest minus smallest) over those ten samples, and the
// Go heap's growth. Leaked Mats would show as tens of MB (a 720p frame is
// 2.7 MB; `go test -tags matprofile` counts them exactly); allocator growth
// as the steps that glibc's dynamic mmap threshold caused (malloc_linux.go).
func BenchmarkStream10MinMemory(b *testing.B) {
	TuneAllocator() // as hcscan run does before it streams
	path, _ := gateVideo720(b)
	const minute, minutes = 1800, 10
	var growth, spread, heapGrowth float64
	for range b.N {
		ctx, cancel := context.WithCancel(context.Background())
		cam, err := Open(ctx, Source{Kind: VideoFile, Path: path}, Options{Unpaced: true, Loop: true, Cooldown: time.Millisecond})
		if err != nil {
			b.Fatal(err)
		}
		go func() {
			for range cam.Scans() {
			}
		}()
		var rss, heap []float64
		for next := int64(minute); len(rss) < minutes; {
			if cam.Stats().Frames < next {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			debug.FreeOSMemory()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			rss = append(rss, rssMB())
			heap = append(heap, float64(ms.HeapInuse)/(1<<20))
			b.Logf("minute %2d (frame %5d): rss %.1f MB, Go heap in use %.1f MB", len(rss), cam.Stats().Frames, rss[len(rss)-1], heap[len(heap)-1])
			next += minute
		}
		cancel()
		cam.Close()
		growth = rss[minutes-1] - rss[0]
		spread = slices.Max(rss) - slices.Min(rss)
		heapGrowth = heap[minutes-1] - heap[0]
	}
	benchfig.Record(b, "video720_10min_rss_growth_mb", growth, "MB")
	// Its own unit name: ReportMetric keeps one value per unit.
	b.ReportMetric(spread, "spread_MB")
	benchfig.Write("video720_10min_rss_spread_mb", spread, "MB")
	b.ReportMetric(heapGrowth, "heap_growth_MB")
}
