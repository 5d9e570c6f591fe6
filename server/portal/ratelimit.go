package portal

import (
	gosync "sync"
	"time"

	"golang.org/x/time/rate"
)

// LoginLimits slow down wrong logins, per client address and per token
// prefix (guesses at one login from many addresses): each wrong login
// spends one of Burst, which refill one per Every. A right login spends
// nothing, and a person who mistyped waits seconds, not minutes.
type LoginLimits struct {
	PerClientEvery time.Duration // default 3 s
	PerClientBurst int           // default 10
	PerPrefixEvery time.Duration // default 2 s
	PerPrefixBurst int           // default 20
}

type loginLimiter struct {
	lim    LoginLimits
	now    func() time.Time
	mu     gosync.Mutex
	client map[string]*rate.Limiter
	prefix map[string]*rate.Limiter
	swept  time.Time
}

func newLoginLimiter(l LoginLimits, now func() time.Time) *loginLimiter {
	if l.PerClientEvery <= 0 {
		l.PerClientEvery = 3 * time.Second
	}
	if l.PerClientBurst <= 0 {
		l.PerClientBurst = 10
	}
	if l.PerPrefixEvery <= 0 {
		l.PerPrefixEvery = 2 * time.Second
	}
	if l.PerPrefixBurst <= 0 {
		l.PerPrefixBurst = 20
	}
	return &loginLimiter{lim: l, now: now, client: map[string]*rate.Limiter{}, prefix: map[string]*rate.Limiter{}}
}

// wait is how long the client must wait before its next try (0: now).
func (l *loginLimiter) wait(client, prefix string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w := waitOf(l.client[client], now)
	if pw := waitOf(l.prefix[prefix], now); pw > w {
		w = pw
	}
	return w
}

func waitOf(lim *rate.Limiter, now time.Time) time.Duration {
	if lim == nil {
		return 0
	}
	if lim.TokensAt(now) >= 1 {
		return 0
	}
	r := lim.ReserveN(now, 1)
	d := r.DelayFrom(now)
	r.CancelAt(now)
	return d
}

// failed counts a wrong login.
func (l *loginLimiter) failed(client, prefix string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweep(now)
	get := func(m map[string]*rate.Limiter, k string, every time.Duration, burst int) *rate.Limiter {
		lim := m[k]
		if lim == nil {
			lim = rate.NewLimiter(rate.Every(every), burst)
			m[k] = lim
		}
		return lim
	}
	get(l.client, client, l.lim.PerClientEvery, l.lim.PerClientBurst).AllowN(now, 1)
	get(l.prefix, prefix, l.lim.PerPrefixEvery, l.lim.PerPrefixBurst).AllowN(now, 1)
}

// sweep forgets limiters that are full again, every few minutes, so the
// maps do not grow with every address ever seen.
func (l *loginLimiter) sweep(now time.Time) {
	if now.Sub(l.swept) < 5*time.Minute {
		return
	}
	l.swept = now
	for _, m := range []map[string]*rate.Limiter{l.client, l.prefix} {
		for k, lim := range m {
			if lim.TokensAt(now) >= float64(lim.Burst()) {
				delete(m, k)
			}
		}
	}
}
