package sync

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"hcscan/protocol"
)

// halfAck keeps the answers for the first half of a batch: the client
// must upload the other half again, and the server must not store twice.
func halfAck(t testing.TB, body []byte) []byte {
	var reply protocol.RecordsReply
	if err := json.Unmarshal(body, &reply); err != nil {
		t.Errorf("half-ack: server reply not JSON: %v", err)
		return body
	}
	reply.Results = reply.Results[:len(reply.Results)/2]
	reply.Stored, reply.Duplicate, reply.Rejected = 0, 0, 0
	for _, r := range reply.Results {
		switch r.Status {
		case protocol.Stored:
			reply.Stored++
		case protocol.Duplicate:
			reply.Duplicate++
		case protocol.Rejected:
			reply.Rejected++
		}
	}
	out, _ := json.Marshal(reply)
	return out
}

func onRecords(r *http.Request) bool { return r.URL.Path == protocol.PathRecords }

// TestUploadSurvivesNetworkFaults runs the background loop through a
// misbehaving proxy. After every scenario every record is on the server
// exactly once and the outbox is empty.
func TestUploadSurvivesNetworkFaults(t *testing.T) {
	const records = 700 // 7 batches of 100
	scenarios := []struct {
		name    string
		want    fault // the fault that must have happened
		timeout time.Duration
		plan    func(n int, r *http.Request) fault
	}{
		{"drop mid-request", faultDropRequest, 0, func(n int, r *http.Request) fault {
			if onRecords(r) && n%2 == 0 && n < 8 {
				return faultDropRequest
			}
			return faultNone
		}},
		{"drop mid-response", faultDropResponse, 0, func(n int, r *http.Request) fault {
			if onRecords(r) && n%2 == 0 && n < 8 {
				return faultDropResponse
			}
			return faultNone
		}},
		{"delay past the client's timeout", faultDelay, 150 * time.Millisecond, func(n int, r *http.Request) fault {
			if onRecords(r) && n < 3 {
				return faultDelay
			}
			return faultNone
		}},
		{"500", fault500, 0, func(n int, r *http.Request) fault {
			if onRecords(r) && n%2 == 0 && n < 6 {
				return fault500
			}
			return faultNone
		}},
		{"503 with Retry-After", fault503, 0, func(n int, r *http.Request) fault {
			if onRecords(r) && n == 1 {
				return fault503
			}
			return faultNone
		}},
		{"half a batch acknowledged", faultHalfAck, 0, func(n int, r *http.Request) fault {
			if onRecords(r) && n < 10 {
				return faultHalfAck
			}
			return faultNone
		}},
		{"garbage reply", faultGarbage, 0, func(n int, r *http.Request) fault {
			if n%2 == 0 && n < 6 { // trust list and status too
				return faultGarbage
			}
			return faultNone
		}},
		{"everything at random", faultNone, 150 * time.Millisecond, func() func(int, *http.Request) fault {
			rng := rand.New(rand.NewPCG(7, 7))
			left := 40
			return func(n int, r *http.Request) fault {
				if left == 0 || rng.IntN(10) < 5 {
					return faultNone
				}
				left--
				return fault(1 + rng.IntN(int(faultGarbage)))
			}
		}()},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			w := newWorld(t)
			p := newFaultProxy(t, w.URL, nil)
			p.halfAck = halfAck
			p.delay = 400 * time.Millisecond
			st := w.scanner(p.URL)
			ids := fill(t, st, records)
			p.setPlan(sc.plan)

			timeout := sc.timeout
			if timeout == 0 {
				timeout = 10 * time.Second
			}
			c := newClient(t, st, Options{BatchSize: 100, RequestTimeout: timeout, Interval: time.Hour,
				Backoff: Backoff{Base: 5 * time.Millisecond, Cap: 50 * time.Millisecond}})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- c.Run(ctx) }()
			s := waitState(t, c, func(s State) bool { return !s.LastSuccess.IsZero() && !s.Syncing && s.Pending == 0 })
			cancel()
			<-done
			w.assertExactlyOnce(t, st, ids)
			if sc.want != faultNone && p.count(sc.want) == 0 {
				t.Fatalf("fault %v never happened", sc.want)
			}
			if sc.want == faultNone && p.count(faultNone) == len(p.requests()) {
				t.Fatal("no fault happened")
			}
			if s.Failures != 0 || s.LastError != "" {
				t.Fatalf("state after recovery: failures %d, error %q", s.Failures, s.LastError)
			}
			if sc.want == faultHalfAck && p.duplicates < records/2 {
				// The unacknowledged halves must have gone again.
				t.Fatalf("the server saw %d records again, want ≥ %d", p.duplicates, records/2)
			}
			if sc.want == fault503 {
				// The client waited at least Retry-After before the next sync
				// (which starts with the trust list; other batches of the
				// same window were already on their way).
				reqs := p.requests()
				for i, q := range reqs {
					if q.fault != fault503 {
						continue
					}
					for _, next := range reqs[i+1:] {
						if next.path == protocol.PathTrustList {
							if gap := next.at.Sub(q.at); gap < time.Second {
								t.Fatalf("retried %v after a 503 with Retry-After: 1", gap)
							}
							break
						}
					}
				}
			}
			t.Logf("faults: %v", faultSummary(p))
		})
	}
}

func faultSummary(p *faultProxy) map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for f, n := range p.counts {
		out[f.String()] = n
	}
	return out
}
