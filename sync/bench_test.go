package sync

import (
	"bytes"
	"strings"
	"syscall"
	"testing"
	"time"

	"hcscan/internal/benchfig"
)

// BenchmarkSync100k uploads 100,000 waiting records to the loopback
// server. The scanner side runs in a child process so that its peak
// resident memory (VmHWM) is its own, not the server's or the test's.
// Figures: sync_100k_s (target ≤ 10 s), sync_100k_rss_mb (≤ 150 MB).
func BenchmarkSync100k(b *testing.B) {
	const records = 100_000
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		w := newWorld(b)
		dir := b.TempDir()
		st := openStore(b, dir)
		if _, err := Enroll(b.Context(), st, EnrollOptions{ServerURL: w.URL, Token: w.token("第一中学", "north gate")}); err != nil {
			b.Fatal(err)
		}
		fill(b, st, records)
		data := st.Path()
		st.Close()
		b.StartTimer()

		var before, after syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &before)
		cmd := childCommand(b, "bench", data)
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		lines := strings.Split(strings.TrimSpace(string(bytes.TrimSpace(out))), "\n")
		r, ok := parseResult(lines[len(lines)-1])
		if !ok || r.Error != "" || r.Stored != records {
			b.Fatalf("child result: %s", lines[len(lines)-1])
		}
		b.StopTimer()
		syscall.Getrusage(syscall.RUSAGE_SELF, &after)
		serverCPU := time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())
		b.Logf("server (this process) used %.2f s CPU meanwhile", serverCPU.Seconds())
		st = openStore(b, dir)
		if n, _ := st.Pending(); n != 0 {
			b.Fatalf("%d records still pending", n)
		}
		st.Close()
		b.Logf("child: %.2f s wall, %.2f s CPU, peak RSS %.1f MB", r.Seconds, r.CPUSeconds, float64(r.HWMKiB)/1024)
		benchfig.Record(b, "sync_100k_s", r.Seconds, "s")
		benchfig.Record(b, "sync_100k_rss_mb", float64(r.HWMKiB)/1024, "MB")
		b.StartTimer()
	}
}
