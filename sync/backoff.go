package sync

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Backoff computes the wait between failed attempts: exponential growth
// from Base, capped at Cap, with full jitter (a uniform random wait in
// [0, ceiling)) so that a province's scanners coming back online after an
// outage do not all retry in the same second. A server's Retry-After is a
// floor: the client never retries sooner than it was asked to.
type Backoff struct {
	Base time.Duration // first ceiling; default 1 s
	Cap  time.Duration // largest ceiling; default 5 min
	// MaxRetryAfter bounds how long a Retry-After may hold the client back
	// (a broken proxy answering "Retry-After: 99999999" must not silence a
	// scanner for years); default 1 h.
	MaxRetryAfter time.Duration

	attempt int
	rand    func() float64 // [0,1); nil = math/rand/v2
}

func (b *Backoff) defaults() (base, limit, maxRA time.Duration) {
	base, limit, maxRA = b.Base, b.Cap, b.MaxRetryAfter
	if base <= 0 {
		base = time.Second
	}
	if limit <= 0 {
		limit = 5 * time.Minute
	}
	if limit < base {
		limit = base
	}
	if maxRA <= 0 {
		maxRA = time.Hour
	}
	return
}

// Ceiling is the upper bound of the next wait before jitter: Base·2^attempt,
// at most Cap.
func (b *Backoff) Ceiling() time.Duration {
	base, limit, _ := b.defaults()
	c := base
	for i := 0; i < b.attempt && c < limit; i++ {
		c *= 2
	}
	return min(c, limit)
}

// Next returns how long to wait after a failure and counts the attempt.
// retryAfter is the server's Retry-After (0 when it gave none).
func (b *Backoff) Next(retryAfter time.Duration) time.Duration {
	_, _, maxRA := b.defaults()
	r := b.rand
	if r == nil {
		r = rand.Float64
	}
	d := time.Duration(r() * float64(b.Ceiling()))
	b.attempt++
	if retryAfter > maxRA {
		retryAfter = maxRA
	}
	return max(d, retryAfter)
}

// Reset is called after a success: the next failure starts from Base again.
func (b *Backoff) Reset() { b.attempt = 0 }

// Attempts is the number of failures since the last success.
func (b *Backoff) Attempts() int { return b.attempt }

// ParseRetryAfter reads a Retry-After header: delay-seconds or an HTTP
// date (RFC 9110 §10.2.3). It returns 0 for a missing or unreadable value.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
