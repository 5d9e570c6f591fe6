package store

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"hcscan/healthcode"
	"hcscan/internal/benchfig"
)

// BenchmarkAppend measures one durable (fsynced) append at a time, as the
// verdict screen makes them, and reports the 99th percentile latency.
func BenchmarkAppend(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "hcscan.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := rec(i, time.Now(), healthcode.VerdictPass)
		start := time.Now()
		if err := s.Append(context.Background(), r); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p99 := lat[(len(lat)*99)/100]
	if len(lat) >= 100 {
		benchfig.Record(b, "store_append_p99_ms", float64(p99.Microseconds())/1000, "ms")
	}
}

const bulkBatch = 5000

// BenchmarkBulkImport measures records per second imported in batches of
// 5000, as an importer would: two goroutines each encode a batch while the
// writer commits (fsyncs) the other's, one transaction per commit.
func BenchmarkBulkImport(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "hcscan.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var next atomic.Int64
	var wg gosync.WaitGroup
	errs := make(chan error, 2)
	b.ResetTimer()
	start := time.Now()
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				from := int(next.Add(bulkBatch)) - bulkBatch
				if from >= b.N {
					return
				}
				n := min(bulkBatch, b.N-from)
				batch := make([]*healthcode.Record, n)
				for i := range batch {
					batch[i] = rec(from+i, t0.Add(time.Duration(from+i)*time.Second), healthcode.VerdictPass)
				}
				if err := s.AppendBatch(context.Background(), batch); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	if n, _ := s.Count(); n != b.N {
		b.Fatalf("count = %d, imported %d", n, b.N)
	}
	if b.N >= 10*bulkBatch {
		benchfig.Record(b, "store_bulk_records_per_s", float64(b.N)/el.Seconds(), "records/s")
	}
}

const million = 1_000_000

// millionFile builds (once, cached in the temp dir by schema version) a
// data file holding 1,000,000 records, all waiting for upload.
func millionFile(b *testing.B) string {
	path := filepath.Join(os.TempDir(), fmt.Sprintf("hcscan-bench-1m-schema%d.db", SchemaVersion))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	tmp := path + ".building"
	os.Remove(tmp)
	s, err := Open(tmp, Options{})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for done := 0; done < million; done += 5000 {
		batch := make([]*healthcode.Record, 5000)
		for i := range batch {
			batch[i] = rec(done+i, t0.Add(time.Duration(done+i)*time.Second), healthcode.VerdictPass)
		}
		if err := s.AppendBatch(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %s with %d records in %s", path, million, time.Since(start).Round(time.Second))
	return path
}

// BenchmarkOpen1M measures, in a fresh child process with the file evicted
// from the page cache, opening a 1,000,000-record file and reading the
// pending count, and the child's peak resident memory. The worst run is
// reported.
func BenchmarkOpen1M(b *testing.B) {
	path := millionFile(b)
	var worst time.Duration
	var worstRSS float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestStoreChild$")
		cmd.Env = append(os.Environ(), childEnv+"=open", "HCSCAN_STORE_PATH="+path)
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		var ns int64
		var pending int
		var hwm float64
		if _, err := fmt.Sscanf(strings.TrimSpace(lastLine(string(out))), "OPEN %d %d %f", &ns, &pending, &hwm); err != nil {
			b.Fatalf("child said %q: %v", out, err)
		}
		if pending != million {
			b.Fatalf("pending = %d, want %d", pending, million)
		}
		worst = max(worst, time.Duration(ns))
		worstRSS = max(worstRSS, hwm)
	}
	b.StopTimer()
	benchfig.Record(b, "store_open_1m_s", worst.Seconds(), "s")
	benchfig.Record(b, "store_open_1m_rss_mb", worstRSS, "MB")
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// openChild is the "open" role of TestStoreChild: evict the file from the
// page cache, open it, count pending, print the time and peak RSS (MB).
func openChild(path string) {
	if f, err := os.Open(path); err == nil {
		_ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
		f.Close()
	}
	start := time.Now()
	s, err := Open(path, Options{ReadOnly: false})
	if err != nil {
		fmt.Printf("FAILED open: %v\n", err)
		os.Exit(3)
	}
	n, err := s.Pending()
	if err != nil {
		fmt.Printf("FAILED pending: %v\n", err)
		os.Exit(3)
	}
	el := time.Since(start)
	s.Close()
	fmt.Printf("OPEN %d %d %.1f\n", el.Nanoseconds(), n, vmHWM())
	os.Exit(0)
}

// vmHWM is this process's peak resident set size in MB.
func vmHWM() float64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return -1
}
