// Package loadgen drives a province's servers the way its scanners do, at
// a chosen rate, with the vegeta load generator: thousands of enrolled
// device keys, every request signed by one of them (protocol.SignRequest,
// a new nonce each time), spread round robin over the server processes.
// It reports throughput and latency percentiles as vegeta measures them.
package loadgen

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"hcscan/protocol"
)

// Device is a simulated scanner: its enrolled id and its signing key.
type Device struct {
	ID          string             `json:"id"`
	Institution string             `json:"institution"`
	Gate        string             `json:"gate"`
	Key         ed25519.PrivateKey `json:"key"`
}

// Enroll enrols one device per token at server (several at once), as
// `hcscan enroll` does.
func Enroll(ctx context.Context, client *http.Client, server string, tokens []string) ([]Device, error) {
	devs := make([]Device, len(tokens))
	errs := make(chan error, len(tokens))
	next := atomic.Int64{}
	var wg gosync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(tokens) || ctx.Err() != nil {
					return
				}
				d, err := enrollOne(ctx, client, server, tokens[i])
				if err != nil {
					errs <- fmt.Errorf("enrol device %d: %w", i, err)
					return
				}
				devs[i] = d
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return devs, ctx.Err()
}

func enrollOne(ctx context.Context, client *http.Client, server, token string) (Device, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return Device{}, err
	}
	body, err := json.Marshal(protocol.NewEnrollRequest(token, key, "loadgen"))
	if err != nil {
		return Device{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, server+protocol.PathEnroll, bytes.NewReader(body))
	if err != nil {
		return Device{}, err
	}
	req.Header.Set("Content-Type", protocol.ContentTypeJSON)
	resp, err := client.Do(req)
	if err != nil {
		return Device{}, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var rep protocol.EnrollReply
	if resp.StatusCode != http.StatusOK || json.Unmarshal(data, &rep) != nil {
		return Device{}, fmt.Errorf("%d %s", resp.StatusCode, strings.TrimSpace(string(data)))
	}
	return Device{ID: rep.DeviceID, Institution: rep.Institution, Gate: rep.Gate, Key: key}, nil
}

// signedTarget fills t with a request from dev to server (a base URL)
// for uri, signed now. The request is not built to be signed: signing
// needs only the method, the request URI and the body.
func signedTarget(t *vegeta.Target, method, server, uri string, body []byte, header http.Header, dev Device) error {
	h := make(http.Header, len(header)+5)
	for k, v := range header {
		h[k] = v
	}
	if body != nil {
		h.Set("Content-Type", protocol.ContentTypeJSON)
	}
	if err := protocol.SignHeaders(h, method, uri, body, dev.ID, dev.Key, time.Now()); err != nil {
		return err
	}
	t.Method, t.URL, t.Body, t.Header = method, server+uri, body, h
	return nil
}

// roundRobin picks the server and device of request n: consecutive
// requests go to different servers and devices.
func roundRobin(servers []string, devs []Device, n uint64) (string, Device) {
	return servers[n%uint64(len(servers))], devs[n%uint64(len(devs))]
}

// LiveChecks is a targeter of live status checks (GET /v1/status/{hash},
// what a scanner asks at the door when it is online) for codes picked in
// turn from hashes. It is safe for vegeta's concurrent workers.
func LiveChecks(servers []string, devs []Device, hashes []string) vegeta.Targeter {
	var n atomic.Uint64
	return func(t *vegeta.Target) error {
		i := n.Add(1) - 1
		server, dev := roundRobin(servers, devs, i)
		h := hashes[i%uint64(len(hashes))]
		return signedTarget(t, http.MethodGet, server, protocol.PathStatusLive+h, nil, nil, dev)
	}
}

// Presigned makes the next n requests of tr now and returns a targeter
// that serves them in turn (an error after the n-th). The province's
// scanners sign on their own machines; a load generator that signs
// during the attack takes that work from the server's cores when both
// run on one machine. The requests must be sent within the servers'
// signature window (minutes).
func Presigned(tr vegeta.Targeter, n int) (vegeta.Targeter, error) {
	ts := make([]vegeta.Target, n)
	for i := range ts {
		if err := tr(&ts[i]); err != nil {
			return nil, err
		}
	}
	var next atomic.Uint64
	return func(t *vegeta.Target) error {
		i := next.Add(1) - 1
		if i >= uint64(len(ts)) {
			return vegeta.ErrNoTargets
		}
		*t = ts[i]
		return nil
	}, nil
}

// Batches is a targeter of record uploads: batch n is body(n, device),
// sent by that device with its own Idempotency-Key.
func Batches(servers []string, devs []Device, body func(n uint64, dev Device) []byte) vegeta.Targeter {
	var n atomic.Uint64
	return func(t *vegeta.Target) error {
		i := n.Add(1) - 1
		server, dev := roundRobin(servers, devs, i)
		h := http.Header{}
		h.Set(protocol.HeaderIdempotencyKey, fmt.Sprintf("load-%d", i))
		return signedTarget(t, http.MethodPost, server, protocol.PathRecords, body(i, dev), h, dev)
	}
}

// Report is what one attack measured.
type Report struct {
	Name       string
	Requests   uint64
	Rate       float64 // requests sent per second
	Throughput float64 // successful requests per second
	Success    float64 // fraction of 2xx replies
	P50, P90   time.Duration
	P99, Max   time.Duration
	Codes      map[string]int
	Errors     []string
	// Checked counts the replies check accepted (see Options.Check).
	Checked uint64
	// WarmUp counts the requests sent in the warm-up (Options.WarmUp),
	// which the other figures leave out.
	WarmUp uint64
}

func (r Report) String() string {
	return fmt.Sprintf("%s: %d requests at %.0f/s, %.0f/s succeeded (%.2f%%), latency p50 %s p90 %s p99 %s max %s, codes %v",
		r.Name, r.Requests, r.Rate, r.Throughput, 100*r.Success,
		r.P50.Round(10*time.Microsecond), r.P90.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond), r.Max.Round(10*time.Microsecond), r.Codes)
}

// Options shape an attack.
type Options struct {
	// Rate is requests per second; 0 sends as fast as Workers allow.
	Rate int
	// Duration of the attack.
	Duration time.Duration
	// Workers is how many requests may be in flight (default 64; with
	// Rate 0 exactly this many).
	Workers int
	// Timeout of one request (default 10 s).
	Timeout time.Duration
	// Check, when set, looks at each 2xx reply body and says whether it
	// is what the server must answer (e.g. every record stored).
	Check func(body []byte) bool
	// WarmUp runs the attack this much longer at the same rate, first,
	// without counting what is sent in it: connections are dialled and
	// pools filled as on servers that have been serving for a while.
	WarmUp time.Duration
}

// Attack runs targeter with o and returns what vegeta measured.
func Attack(ctx context.Context, name string, targeter vegeta.Targeter, o Options) Report {
	if o.Workers <= 0 {
		o.Workers = 64
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	// As many kept-alive connections as requests may be in flight: a
	// request finishing on a connection beyond the idle pool would close
	// it and the next one would dial again, which costs the client and
	// the server more than the request itself.
	maxWorkers := o.Workers
	pacer := vegeta.Pacer(vegeta.Rate{Freq: o.Rate, Per: time.Second})
	if o.Rate <= 0 {
		pacer = vegeta.Rate{Freq: 0}
	} else {
		maxWorkers = 4 * o.Workers
	}
	opts := []func(*vegeta.Attacker){
		vegeta.Timeout(o.Timeout), vegeta.KeepAlive(true), vegeta.Connections(maxWorkers), vegeta.MaxConnections(maxWorkers),
		vegeta.Workers(uint64(o.Workers)), vegeta.MaxWorkers(uint64(maxWorkers)), vegeta.Redirects(vegeta.NoFollow),
	}
	if o.Check == nil {
		opts = append(opts, vegeta.MaxBody(0))
	}
	a := vegeta.NewAttacker(opts...)
	var m vegeta.Metrics
	var checked, warm uint64
	counted := time.Now().Add(o.WarmUp)
	results := a.Attack(targeter, pacer, o.WarmUp+o.Duration, name)
	for {
		select {
		case <-ctx.Done():
			a.Stop()
		case r, ok := <-results:
			if !ok {
				m.Close()
				return Report{
					Name: name, Requests: m.Requests, Rate: m.Rate, Throughput: m.Throughput, Success: m.Success,
					P50: m.Latencies.P50, P90: m.Latencies.P90, P99: m.Latencies.P99, Max: m.Latencies.Max,
					Codes: m.StatusCodes, Errors: m.Errors, Checked: checked, WarmUp: warm,
				}
			}
			if r.Timestamp.Before(counted) {
				warm++
				continue
			}
			if o.Check != nil && r.Code/100 == 2 && o.Check(r.Body) {
				checked++
			}
			r.Body = nil
			m.Add(r)
		}
	}
}
