package healthcode

import (
	"runtime"
	"testing"
	"time"

	"hcscan/internal/benchfig"
)

// BenchmarkVerify measures offline verification of static codes on one
// core: the full path, Base45 to verdict, with a real Ed25519 signature.
func BenchmarkVerify(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	w := newWorld(b)
	const n = 64 // distinct codes, so nothing is cached between checks
	codes := make([]string, n)
	for i := range codes {
		codes[i] = w.issue(b, w.claims(b, Green, "zh"))
	}
	v := w.verifier()
	v.Replay = nil
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if r := v.Verify(codes[i%n], w.now); !r.Valid {
			b.Fatal(r.Reason, r.Detail)
		}
	}
	el := time.Since(start)
	benchfig.Record(b, "verify_codes_per_s", float64(b.N)/el.Seconds(), "codes/s")
}
