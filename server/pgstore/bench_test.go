package pgstore

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/internal/benchfig"
	"hcscan/internal/cpustat"
	"hcscan/internal/pgtest"
	"hcscan/protocol"
	"hcscan/server"
	"hcscan/server/storetest"
)

// BenchmarkServerIngestPG is boltstore's BenchmarkServerIngest on
// PostgreSQL: signed batches of 500 records (one in ten a provisional
// pass) over real loopback HTTP from four scanners at once, into a real
// PostgreSQL server started for the benchmark with its durable settings
// (fsync and synchronous commit on; unix socket). One iteration is a fixed
// workload of 80 batches (40,000 records) spread over two days, so day
// partitions are made on the way. The batches' JSON is made before the
// timer; signing, sending, verifying, the shared nonce check, decoding,
// checking and storing are timed.
func BenchmarkServerIngestPG(b *testing.B) {
	pg := pgtest.Start(b, true)
	e := storetest.NewEnv(b, func(t testing.TB, o storetest.Options) server.Store {
		return openTest(t, pg.NewDatabase(t), o)
	}, storetest.Options{})
	const scanners, batches = 4, 80
	devs := make([]*storetest.Device, scanners)
	for i := range devs {
		devs[i] = e.Enroll(b, "bench institution", fmt.Sprintf("gate %d", i))
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: scanners}}
	var elapsed, procCPU, dbCPU time.Duration
	total := 0
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		b.StopTimer()
		bodies := make([][]byte, batches)
		start := e.Clock.Now().Add(-30 * time.Hour)
		for i := range bodies {
			d := devs[i%scanners]
			recs := make([]healthcode.Record, protocol.MaxBatch)
			for j := range recs {
				recs[j] = storetest.NewRecord(d, d.Rep.Gate, "operator", start.Add(time.Duration(i*protocol.MaxBatch+j)*time.Second))
				recs[j].Provisional = j%10 == 0
			}
			bodies[i] = storetest.BatchBody(b, recs)
		}
		b.StartTimer()
		t0, cpu0, db0 := time.Now(), cpustat.Self(), pg.CPUTime(b)
		err := storetest.SendBatches(e, devs, client, bodies, fmt.Sprintf("batch-%d", it), e.Clock.Now)
		elapsed += time.Since(t0)
		procCPU += cpustat.Self() - cpu0
		dbCPU += pg.CPUTime(b) - db0
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		total += batches * protocol.MaxBatch
	}
	if n := e.CountRecords(b, "bench institution"); n != total {
		b.Fatalf("%d records stored, want %d", n, total)
	}
	benchfig.Record(b, "server_ingest_pg_records_per_s", float64(total)/elapsed.Seconds(), "records/s")
	// CPU per record, which the machine's other work hardly changes: the
	// process (server and the four scanners' signing and sending) and
	// PostgreSQL (backends, WAL writer, checkpointer).
	perRecord := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 / float64(total) }
	b.ReportMetric(perRecord(procCPU), "server-µs/record")
	b.ReportMetric(perRecord(dbCPU), "db-µs/record")
	benchfig.Write("server_ingest_pg_server_cpu_us", perRecord(procCPU), "µs/record")
	benchfig.Write("server_ingest_pg_db_cpu_us", perRecord(dbCPU), "µs/record")
}
