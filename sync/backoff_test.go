package sync

import (
	"net/http"
	"testing"
	"time"
)

func TestBackoffFullJitterCapped(t *testing.T) {
	b := &Backoff{Base: 100 * time.Millisecond, Cap: time.Second}
	// With the random source at its top, the wait is the ceiling: it
	// doubles from Base and stops at Cap.
	b.rand = func() float64 { return 0.999999999 }
	want := []time.Duration{100, 200, 400, 800, 1000, 1000, 1000}
	for i, w := range want {
		got := b.Next(0)
		if got < (w*time.Millisecond)*99/100 || got > w*time.Millisecond {
			t.Fatalf("attempt %d: wait %v, want ≈%v", i, got, w*time.Millisecond)
		}
	}
	// Full jitter: the wait is anywhere from zero to the ceiling.
	b.rand = func() float64 { return 0 }
	if got := b.Next(0); got != 0 {
		t.Fatalf("jitter at 0 gave %v, want 0", got)
	}
	b.Reset()
	b.rand = func() float64 { return 0.5 }
	if got := b.Next(0); got != 50*time.Millisecond {
		t.Fatalf("after Reset: %v, want 50ms", got)
	}
	// Real randomness stays within [0, ceiling) and is not constant.
	b.rand = nil
	seen := map[time.Duration]bool{}
	for range 50 {
		b.attempt = 10
		d := b.Next(0)
		if d < 0 || d >= time.Second {
			t.Fatalf("random wait %v outside [0,1s)", d)
		}
		seen[d] = true
	}
	if len(seen) < 10 {
		t.Fatalf("only %d distinct waits in 50 draws: not jittered", len(seen))
	}
}

func TestBackoffHonoursRetryAfter(t *testing.T) {
	b := &Backoff{Base: 100 * time.Millisecond, Cap: time.Second, MaxRetryAfter: time.Minute}
	b.rand = func() float64 { return 0.1 }
	if got := b.Next(30 * time.Second); got != 30*time.Second {
		t.Fatalf("Retry-After 30s gave %v", got)
	}
	if got := b.Next(time.Hour); got != time.Minute {
		t.Fatalf("Retry-After 1h with MaxRetryAfter 1m gave %v", got)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"":        0,
		"3":       3 * time.Second,
		" 120 ":   2 * time.Minute,
		"-5":      0,
		"soon":    0,
		"9999999": 24 * time.Hour,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Minute).Format(http.TimeFormat):     0,
	}
	for in, want := range cases {
		if got := ParseRetryAfter(in, now); got != want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}
