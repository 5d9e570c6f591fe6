package boltstore_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/internal/benchfig"
	"hcscan/protocol"
	"hcscan/server/storetest"
)

// BenchmarkServerIngest measures the server storing records: signed batches
// of 500 over real loopback HTTP into its bbolt file (fsync per batch), from
// four scanners at once. One iteration is one batch. The batches' JSON is
// made before the timer; signing, sending, verifying, decoding, checking
// and storing are timed.
func BenchmarkServerIngest(b *testing.B) {
	e := storetest.NewEnv(b, open, storetest.Options{})
	const scanners = 4
	devs := make([]*storetest.Device, scanners)
	for i := range devs {
		devs[i] = e.Enroll(b, "bench institution", fmt.Sprintf("gate %d", i))
	}
	bodies := make([][]byte, b.N)
	start := time.Now().Add(-time.Hour)
	for i := range bodies {
		d := devs[i%scanners]
		recs := make([]healthcode.Record, protocol.MaxBatch)
		for j := range recs {
			recs[j] = storetest.NewRecord(d, d.Rep.Gate, "operator", start.Add(time.Duration(i*protocol.MaxBatch+j)*time.Millisecond))
			recs[j].Provisional = j%10 == 0
		}
		bodies[i] = storetest.BatchBody(b, recs)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: scanners}}
	b.ResetTimer()
	t0 := time.Now()
	err := storetest.SendBatches(e, devs, client, bodies, "batch", time.Now)
	elapsed := time.Since(t0)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if n := e.CountRecords(b, "bench institution"); n != b.N*protocol.MaxBatch {
		b.Fatalf("%d records stored, want %d", n, b.N*protocol.MaxBatch)
	}
	benchfig.Record(b, "server_ingest_records_per_s", float64(b.N*protocol.MaxBatch)/elapsed.Seconds(), "records/s")
}
