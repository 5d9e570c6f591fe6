package server

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/internal/benchfig"
	"hcscan/protocol"
)

// BenchmarkServerIngestPG is BenchmarkServerIngest on the PostgreSQL
// store: signed batches of 500 records (one in ten a provisional pass)
// over real loopback HTTP from four scanners at once, into a real
// PostgreSQL server started for the benchmark with its durable settings
// (fsync and synchronous commit on; unix socket). One iteration is a fixed
// workload of 80 batches (40,000 records) spread over two days, so day
// partitions are made on the way. The batches' JSON is made before the
// timer; signing, sending, verifying, the shared nonce check, decoding,
// checking and storing are timed.
func BenchmarkServerIngestPG(b *testing.B) {
	pg := startPostgres(b, true)
	k := storeKind{name: "postgres", open: func(t testing.TB, cfg Config) Store { return openPG(t, pg.NewDatabase(t), cfg) }}
	e := newEnvOn(b, k, nil)
	const scanners, batches = 4, 80
	devs := make([]*device, scanners)
	for i := range devs {
		devs[i] = e.enroll(b, "bench institution", fmt.Sprintf("gate %d", i))
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: scanners}}
	var elapsed time.Duration
	total := 0
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		b.StopTimer()
		bodies := make([][]byte, batches)
		start := e.clock.Now().Add(-30 * time.Hour)
		for i := range bodies {
			d := devs[i%scanners]
			recs := make([]healthcode.Record, protocol.MaxBatch)
			for j := range recs {
				recs[j] = newRecord(d, d.rep.Gate, "operator", start.Add(time.Duration(i*protocol.MaxBatch+j)*time.Second))
				recs[j].Provisional = j%10 == 0
			}
			bodies[i] = batchBody(b, recs)
		}
		b.StartTimer()
		t0 := time.Now()
		err := sendBatches(e, devs, client, bodies, fmt.Sprintf("batch-%d", it), e.clock.Now)
		elapsed += time.Since(t0)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		total += batches * protocol.MaxBatch
	}
	if n := e.countRecords(b, "bench institution"); n != total {
		b.Fatalf("%d records stored, want %d", n, total)
	}
	benchfig.Record(b, "server_ingest_pg_records_per_s", float64(total)/elapsed.Seconds(), "records/s")
}
