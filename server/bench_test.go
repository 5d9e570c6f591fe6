package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	gosync "sync"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/internal/benchfig"
	"hcscan/protocol"
)

// BenchmarkServerIngest measures the server storing records: signed batches
// of 500 over real loopback HTTP into its bbolt file (fsync per batch), from
// four scanners at once. One iteration is one batch. The batches' JSON is
// made before the timer; signing, sending, verifying, decoding, checking
// and storing are timed.
func BenchmarkServerIngest(b *testing.B) {
	e := newEnv(b, nil)
	const scanners = 4
	devs := make([]*device, scanners)
	for i := range devs {
		devs[i] = e.enroll(b, "bench institution", fmt.Sprintf("gate %d", i))
	}
	bodies := make([][]byte, b.N)
	start := time.Now().Add(-time.Hour)
	for i := range bodies {
		d := devs[i%scanners]
		recs := make([]healthcode.Record, protocol.MaxBatch)
		for j := range recs {
			recs[j] = newRecord(d, d.rep.Gate, "operator", start.Add(time.Duration(i*protocol.MaxBatch+j)*time.Millisecond))
			recs[j].Provisional = j%10 == 0
		}
		bodies[i] = batchBody(b, recs)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: scanners}}
	b.ResetTimer()
	t0 := time.Now()
	err := sendBatches(e, devs, client, bodies, "batch", time.Now)
	elapsed := time.Since(t0)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if n := e.countRecords(b, "bench institution"); n != b.N*protocol.MaxBatch {
		b.Fatalf("%d records stored, want %d", n, b.N*protocol.MaxBatch)
	}
	benchfig.Record(b, "server_ingest_records_per_s", float64(b.N*protocol.MaxBatch)/elapsed.Seconds(), "records/s")
}

// sendBatches posts the batch bodies from the scanners at once, body i from
// scanner i mod len(devs), each signed and with its own idempotency key; it
// returns the first failure or an answer that did not store the whole batch.
func sendBatches(e *testEnv, devs []*device, client *http.Client, bodies [][]byte, keyPrefix string, now func() time.Time) error {
	var wg gosync.WaitGroup
	errs := make(chan error, len(devs))
	for w := range devs {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			d := devs[w]
			for i := w; i < len(bodies); i += len(devs) {
				req, _ := http.NewRequest("POST", e.http.URL+protocol.PathRecords, bytes.NewReader(bodies[i]))
				req.Header.Set("Content-Type", protocol.ContentTypeJSON)
				req.Header.Set(protocol.HeaderIdempotencyKey, fmt.Sprintf("%s-%d", keyPrefix, i))
				protocol.SignRequest(req, bodies[i], d.id, d.key, now())
				resp, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				data, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var rr protocol.RecordsReply
				if resp.StatusCode != 200 || json.Unmarshal(data, &rr) != nil || rr.Stored != protocol.MaxBatch {
					errs <- fmt.Errorf("batch %d: %d %.200s", i, resp.StatusCode, data)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	return <-errs
}
