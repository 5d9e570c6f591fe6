package storetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	gosync "sync"
	"time"

	"hcscan/protocol"
)

// SendBatches posts the batch bodies (of protocol.MaxBatch records each)
// from the scanners at once, body i from scanner i mod len(devs), each
// signed at now() and with its own idempotency key; it returns the first
// failure or an answer that did not store the whole batch. The ingest
// benchmarks of both adapters send with it.
func SendBatches(e *Env, devs []*Device, client *http.Client, bodies [][]byte, keyPrefix string, now func() time.Time) error {
	var wg gosync.WaitGroup
	errs := make(chan error, len(devs))
	for w := range devs {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			d := devs[w]
			for i := w; i < len(bodies); i += len(devs) {
				req, _ := http.NewRequest("POST", e.HTTP.URL+protocol.PathRecords, bytes.NewReader(bodies[i]))
				req.Header.Set("Content-Type", protocol.ContentTypeJSON)
				req.Header.Set(protocol.HeaderIdempotencyKey, fmt.Sprintf("%s-%d", keyPrefix, i))
				protocol.SignRequest(req, bodies[i], d.ID, d.Key, now())
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
