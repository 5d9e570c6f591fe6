package tui_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"sort"
	gosync "sync"
	"syscall"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"hcscan/healthcode"
	"hcscan/internal/benchfig"
	"hcscan/internal/screenwire"
	"hcscan/internal/trustclock"
	"hcscan/tui"
)

// markWriter is the terminal of the benchmarks: it tells when a frame
// containing the awaited text was written.
type markWriter struct {
	mu   gosync.Mutex
	want []byte
	hit  chan struct{}
}

func (w *markWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	if w.want != nil && bytes.Contains(p, w.want) {
		w.want = nil
		close(w.hit)
	}
	w.mu.Unlock()
	return len(p), nil
}

// await arms the writer for text and returns a channel closed when it is drawn.
func (w *markWriter) await(text string) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.want, w.hit = []byte(text), make(chan struct{})
	return w.hit
}

// benchProgram runs the real screen (real store, the production adapters)
// as hcscan run does (tui.Immediate), output to a terminal stand-in.
func benchProgram(b *testing.B, adjust func(*tui.Settings)) (*tea.Program, *markWriter, *world, *scanner) {
	b.Helper()
	w := newWorld(b)
	w.fetched = time.Now()
	set := testSettings("zh")
	if adjust != nil {
		adjust(&set)
	}
	sc := w.openScanner(b, time.Now, set.Policy)
	// As hcscan run wires it: the trusted clock over the data file, its
	// watch for a moved laptop clock.
	clk := trustclock.New(trustclock.System(), trustclock.Options{Settings: sc.st, Seen: sc.st.LatestSeen})
	sc.checker = screenwire.NewChecker(sc.st, screenwire.CheckerOptions{Fixed: w.trust, Policy: set.Policy, Clock: clk})
	deps := sc.deps(nil)
	deps.Clock, deps.ClockEvents = clk, clk.Watch(b.Context(), time.Second)
	m := tui.New(context.Background(), deps, set)
	out := &markWriter{}
	// As hcscan run draws: the screen's own change-driven drawing.
	p := tea.NewProgram(tui.NewImmediate(m, out), tea.WithoutRenderer(), tea.WithInput(nil), tea.WithOutput(io.Discard), tea.WithoutSignals())
	done := make(chan struct{})
	go func() { defer close(done); _, _ = p.Run() }()
	b.Cleanup(func() { p.Quit(); <-done })
	p.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
	ready := out.await(text("zh", "ready.hint"))
	p.Send(tui.SignedIn("王芳"))
	<-ready
	return p, out, w, sc
}

// BenchmarkScreenVerdict measures a scan's arrival (as the camera feed
// delivers it) to the verdict being written to the terminal: verification,
// the policy, the update and the drawing, at the gate's 80×24. Each person
// has a distinct name, whose appearance on the terminal marks the verdict.
func BenchmarkScreenVerdict(b *testing.B) {
	p, out, w, sc := benchProgram(b, func(s *tui.Settings) { s.Policy.TakeTemperature = false; s.AutoNext = time.Minute })
	is := w.issuer
	lat := make([]time.Duration, 0, b.N)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		c, err := healthcode.NewClaims(rand.Reader, 110105, healthcode.Green, "x", "110105199001011234", "zh", time.Now().Add(-time.Hour), 24*time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		c.Name = fmt.Sprintf("测%05d*", i)
		payload, err := is.Issue(rand.Reader, c)
		if err != nil {
			b.Fatal(err)
		}
		drawn := out.await(c.Name)
		b.StartTimer()
		t0 := time.Now()
		p.Send(tui.Scanned(tui.Scan{Text: payload, At: t0, Source: tui.SourceCamera}))
		<-drawn
		lat = append(lat, time.Since(t0))
		b.StopTimer()
		for n, _ := sc.st.Count(); n < i+1; n, _ = sc.st.Count() { // the record is durable before the next person
			time.Sleep(200 * time.Microsecond)
		}
		b.StartTimer()
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p95 := lat[(len(lat)*95+99)/100-1]
	benchfig.Record(b, "screen_verdict_p95_ms", float64(p95.Microseconds())/1000, "ms")
}

// BenchmarkIdleCPU runs the screen signed in and idle (the clock ticking,
// the status bar refreshed from the store every second) for 5 s and
// measures the process's CPU time: what the screen costs a laptop when
// nobody is at the gate. The camera's own decoding is not in this figure.
func BenchmarkIdleCPU(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		_, _, _, _ = benchProgram(b, nil)
		time.Sleep(500 * time.Millisecond) // past start-up
		b.StartTimer()
		var r0, r1 syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
		t0 := time.Now()
		time.Sleep(5 * time.Second)
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
		wall := time.Since(t0)
		cpu := time.Duration(r1.Utime.Nano()-r0.Utime.Nano()) + time.Duration(r1.Stime.Nano()-r0.Stime.Nano())
		benchfig.Record(b, "idle_cpu_percent", 100*cpu.Seconds()/wall.Seconds(), "%")
	}
}
