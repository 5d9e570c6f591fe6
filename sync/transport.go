package sync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"time"

	"hcscan/protocol"
)

// maxReplyBody bounds what the client reads from one reply: a status
// snapshot of a whole province is the largest (about 150 bytes a code).
const maxReplyBody = 64 << 20

// ServerError is a reply the server gave with an error status.
type ServerError struct {
	Op         string // what the client was doing, e.g. "upload records"
	Status     int
	Code       string // protocol.Err*
	Message    string
	RetryAfter time.Duration // from Retry-After; 0 when none
}

func (e *ServerError) Error() string {
	var why string
	switch e.Code {
	case protocol.ErrUnknownDevice:
		why = "the province does not know this scanner; enrol it again with `hcscan enroll`"
	case protocol.ErrDeviceDisabled:
		why = "the province has disabled this scanner; ask the provincial office"
	case protocol.ErrStaleTime:
		why = "this computer's clock is more than 5 minutes away from the province's; set the clock"
	case protocol.ErrBadSignature, protocol.ErrUnsigned:
		why = "the server did not accept this scanner's signature (" + e.Message + ")"
	case protocol.ErrStorageFull:
		why = "the province's storage is full; records stay on this scanner"
	case protocol.ErrUnavailable:
		why = fmt.Sprintf("the province server cannot serve it now (%s); records stay on this scanner", e.Message)
	default:
		switch {
		case e.Status == http.StatusTooManyRequests || e.Status == http.StatusServiceUnavailable:
			why = fmt.Sprintf("the province server is busy (%d %s)", e.Status, e.Message)
		case e.Status >= 500:
			why = fmt.Sprintf("the province server failed (%d %s)", e.Status, e.Message)
		default:
			why = fmt.Sprintf("the province server refused it (%d %s: %s)", e.Status, e.Code, e.Message)
		}
	}
	s := e.Op + ": " + why
	if e.RetryAfter > 0 {
		s += fmt.Sprintf("; it asked to retry after %s", e.RetryAfter.Round(time.Second))
	}
	return s
}

// Temporary reports whether trying again later may succeed.
func (e *ServerError) Temporary() bool {
	return e.Status >= 500 || e.Status == http.StatusTooManyRequests || e.Status == http.StatusRequestTimeout ||
		e.Code == protocol.ErrStaleTime || e.Code == protocol.ErrReplay
}

// RetryAfter is the server's Retry-After carried by err, if any.
func RetryAfter(err error) time.Duration {
	var se *ServerError
	if errors.As(err, &se) {
		return se.RetryAfter
	}
	return 0
}

// transientError marks a failure that may pass by itself: the network,
// a timeout, a reply that arrived damaged.
type transientError struct{ err error }

func (e transientError) Error() string { return e.err.Error() }
func (e transientError) Unwrap() error { return e.err }

// Retryable reports whether trying the same sync again later may succeed
// (network trouble, a busy or failing server, a damaged reply) rather than
// needing someone to act (an unknown device, a refused trust list).
func Retryable(err error) bool {
	var te transientError
	var se *ServerError
	switch {
	case errors.As(err, &te), Unreachable(err):
		return true
	case errors.As(err, &se):
		return se.Temporary()
	}
	return false
}

// noReplyError is a transport failure: no reply came (the server is
// down, the network is gone, or it did not answer in time).
type noReplyError struct{ transientError }

// Unreachable reports whether err is a failure to reach the server at all,
// as opposed to a reply that refused or failed: Run then probes the server
// every few seconds instead of backing off for minutes.
func Unreachable(err error) bool {
	var nr noReplyError
	return errors.As(err, &nr)
}

// unreachable wraps a transport failure in a sentence an operator reads.
func unreachable(op, server string, err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: %w", op, err)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return noReplyError{transientError{fmt.Errorf("%s: the province server at %s did not answer in time: %w", op, server, err)}}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), strings.Contains(err.Error(), "connection reset"):
		return noReplyError{transientError{fmt.Errorf("%s: the connection to %s broke off: %w", op, server, err)}}
	}
	return noReplyError{transientError{fmt.Errorf("%s: cannot reach the province server at %s: %w", op, server, err)}}
}

// maxResend bounds how often do sends a request again after kept-alive
// connections broke: every idle connection of the pool may be dead after
// a server restart.
const maxResend = 5

// deadKeepAlive is the failure of a request on a reused connection before
// any reply: the connection had died while idle, and the request may be
// sent again (with a new signature) on a new one.
type deadKeepAlive struct{ err error }

func (e deadKeepAlive) Error() string { return e.err.Error() }
func (e deadKeepAlive) Unwrap() error { return e.err }

// exchange is one request and its reply, read whole.
type exchange struct {
	status int
	header http.Header
	body   []byte
	nonce  string // X-Nonce of the request answered
}

// do sends a signed request and reads the reply. A 401 stale_time (the
// device clock is off by more than the allowed skew) is corrected from the
// reply's server time and signed again once. Any status other than 2xx or
// 304 is returned as a *ServerError.
func (c *Client) do(ctx context.Context, op, method, uri string, body []byte, header http.Header) (exchange, error) {
	for attempt, resent := 0, 0; ; attempt++ {
		ex, err := c.roundTrip(ctx, op, method, uri, body, header)
		var dead deadKeepAlive
		if errors.As(err, &dead) {
			if resent < maxResend && ctx.Err() == nil {
				resent++
				c.log.Debug("a kept-alive connection broke before the reply; sending again, signed anew", "op", op, "err", dead.err)
				continue
			}
			c.noteContact(false)
		}
		if err != nil {
			return ex, err
		}
		if ex.status/100 == 2 || ex.status == http.StatusNotModified {
			return ex, nil
		}
		e := protocol.ParseError(ex.status, ex.body)
		se := &ServerError{Op: op, Status: ex.status, Code: e.Code, Message: e.Message,
			RetryAfter: ParseRetryAfter(ex.header.Get("Retry-After"), c.now())}
		if e.Code == protocol.ErrStaleTime && attempt == 0 {
			c.log.Warn("server refused the request time; signing again with the time its reply gave",
				"now", c.now())
			continue
		}
		return ex, se
	}
}

func (c *Client) roundTrip(ctx context.Context, op, method, uri string, body []byte, header http.Header) (exchange, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+uri, rd)
	if err != nil {
		return exchange{}, fmt.Errorf("%s: %w", op, err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if body != nil {
		req.Header.Set("Content-Type", protocol.ContentTypeJSON)
	}
	if err := protocol.SignRequest(req, body, c.dev.ID, c.dev.Key, c.now()); err != nil {
		return exchange{}, fmt.Errorf("%s: %w", op, err)
	}
	// Go's transport silently sends a GET, or a POST with an
	// Idempotency-Key, again on a new connection when a kept-alive one
	// fails, with the same nonce, which the server refuses as a replay.
	// A body it cannot rewind makes the request non-replayable to it, and
	// do sends it again, signed anew.
	req.GetBody = nil
	if body == nil {
		req.Body = io.NopCloser(strings.NewReader(""))
	}
	var reused bool
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) { reused = info.Reused },
	}))
	sent := c.clock.Mono()
	resp, err := c.http.Do(req)
	if err != nil {
		var ne net.Error
		if reused && !(errors.As(err, &ne) && ne.Timeout()) {
			return exchange{}, deadKeepAlive{unreachable(op, c.base, err)}
		}
		c.noteContact(false)
		return exchange{}, unreachable(op, c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxReplyBody+1))
	recv := c.clock.Mono()
	if err != nil {
		c.noteContact(false)
		return exchange{}, unreachable(op, c.base, err)
	}
	if len(data) > maxReplyBody {
		return exchange{}, fmt.Errorf("%s: the server's reply is larger than %d MiB", op, maxReplyBody>>20)
	}
	c.noteContact(true)
	if st, ok := protocol.ServerTime(resp.Header); ok {
		c.observeServerTime(sent, recv, st)
	}
	return exchange{status: resp.StatusCode, header: resp.Header, body: data, nonce: req.Header.Get(protocol.HeaderNonce)}, nil
}

// defaultHTTPClient bounds every phase of a request, so a dead network
// shows up as an error instead of a hang.
func defaultHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   4, // uploads keep 3 batches in flight
		ForceAttemptHTTP2:     true,
	}}
}
