// Package benchfig records the named figures that `make bench` prints as
// "bench: NAME VALUE UNIT" lines. Benchmarks run several times with growing
// b.N; each call overwrites the figure, so the last (longest) run wins.
package benchfig

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Record reports value as a benchmark metric and, when HCSCAN_BENCH_DIR is
// set (make bench sets it), writes the line for the summary.
func Record(b testing.TB, name string, value float64, unit string) {
	if bb, ok := b.(*testing.B); ok {
		bb.ReportMetric(value, unit)
	}
	Write(name, value, unit)
}

// Write stores one figure without a testing.TB, for scripts and commands.
func Write(name string, value float64, unit string) {
	dir := os.Getenv("HCSCAN_BENCH_DIR")
	if dir == "" {
		return
	}
	line := fmt.Sprintf("bench: %s %s %s\n", name, format(value), unit)
	_ = os.WriteFile(filepath.Join(dir, name+".txt"), []byte(line), 0o644)
}

// WriteLine stores a figure whose value is not a single number, e.g. "158 of 179".
func WriteLine(name, value string) {
	dir := os.Getenv("HCSCAN_BENCH_DIR")
	if dir == "" {
		return
	}
	_ = os.WriteFile(filepath.Join(dir, name+".txt"), []byte(fmt.Sprintf("bench: %s %s\n", name, value)), 0o644)
}

func format(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}
