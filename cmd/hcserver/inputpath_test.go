package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	gosync "sync"
	"syscall"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/internal/benchfig"
	"hcscan/internal/cpustat"
	"hcscan/protocol"
)

// These tests attack a real `hcserver serve` process from outside and
// measure what it costs the process (its resident memory from /proc).
// The thresholds are an order of magnitude away from what an unprotected
// input path costs, so a loaded machine does not decide them.

// procMemMB is the process's current (VmRSS) or peak (VmHWM) resident
// memory in MiB.
func procMemMB(t testing.TB, pid int, field string) float64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("read memory of %d: %v", pid, err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				t.Fatalf("%s of %d: %q", field, pid, line)
			}
			return kb / 1024
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// enrolledServer starts `hcserver serve` on a new bbolt province with one
// enrolled device.
func enrolledServer(t testing.TB) (cmd *exec.Cmd, url string, data string, rep protocol.EnrollReply, key ed25519.PrivateKey) {
	t.Helper()
	data = filepath.Join(t.TempDir(), "prov")
	if _, stderr, code := run(t, "", "hcserver", "keys", "init", "--dir", data); code != 0 {
		t.Fatalf("keys init: %s", stderr)
	}
	tok, stderr, code := run(t, "", "hcserver", "token", "--data", data, "--institution", "第一中学", "--gate", "北门")
	if code != 0 {
		t.Fatalf("token: %s", stderr)
	}
	cmd, url = startServe(t, data)
	rep, key = enrolOver(t, url, strings.TrimSpace(tok))
	return cmd, url, data, rep, key
}

// connLimit is how many connections the test may open to a server on the
// same machine (each costs a descriptor on both ends).
func connLimit(want int) int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 100
	}
	return max(100, min(want, int(lim.Cur/2)-100))
}

// TestFloodOfHeldBodies: connections that announce a 4 MB body and send
// none of it (no key needed), then connections of a known device id that
// trickle a body with a bad signature, do not take the server's memory
// (the peak stays under 300 MB; a body allocated at its declared length
// costs gigabytes), and the server still answers a scanner meanwhile.
func TestFloodOfHeldBodies(t *testing.T) {
	if peak := floodPeakMB(t, floodLimitMB); peak > floodLimitMB {
		t.Fatalf("the flood took the server to %.0f MB (limit %d MB)", peak, floodLimitMB)
	}
}

// BenchmarkFloodRSS reports the peak resident memory of a serve process
// under the flood of TestFloodOfHeldBodies (goal: at most 300 MB).
func BenchmarkFloodRSS(b *testing.B) {
	var peak float64
	for i := 0; i < b.N; i++ {
		peak = max(peak, floodPeakMB(b, 10*floodLimitMB))
	}
	benchfig.Record(b, "server_rss_under_flood_mb", peak, "MB")
}

// floodLimitMB is the most a serve process may hold under the flood.
const floodLimitMB = 300

// floodPeakMB floods a new serve process (1,000 connections announcing
// 4 MB bodies, then 300 trickling them under a known device id) and
// returns its peak resident memory; it stops early once past stopMB.
func floodPeakMB(t testing.TB, stopMB float64) float64 {
	srv, url, _, rep, key := enrolledServer(t)
	pid := srv.Process.Pid
	addr := strings.TrimPrefix(url, "http://")
	n := connLimit(1000)
	var conns []net.Conn
	var mu gosync.Mutex
	closeAll := func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
		conns = nil
	}
	defer closeAll()
	over := func() bool { return procMemMB(t, pid, "VmHWM") > stopMB }

	// Headers only, no key: a large Content-Length and then silence.
	head := "POST " + protocol.PathRecords + " HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json\r\nContent-Length: 4194000\r\n\r\n"
	for i := 0; i < n && !over(); i++ {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Logf("connection %d: %v", i, err)
			break
		}
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
		c.Write([]byte(head))
	}
	time.Sleep(time.Second)
	if peak := procMemMB(t, pid, "VmHWM"); peak > stopMB {
		t.Logf("%d connections announcing 4 MB bodies took the server to %.0f MB", len(conns), peak)
		return peak
	}
	if c := liveColour(t, url, rep, key, healthcode.CodeHash{1}); c != healthcode.ColourUnknown {
		t.Errorf("live status during the flood: %v", c)
	}
	closeAll()

	// A known device id with a signature that cannot verify until the
	// whole body is in: 300 connections trickle 4 MB bodies.
	trickle := connLimit(300)
	var wg gosync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < trickle; i++ {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Logf("trickle connection %d: %v", i, err)
			break
		}
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
		var nonce [protocol.NonceBytes]byte
		rand.Read(nonce[:])
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 4194000\r\n"+
			"%s: %s\r\n%s: %d\r\n%s: %s\r\n%s: %s\r\n\r\n",
			protocol.PathRecords, addr, protocol.HeaderDeviceID, rep.DeviceID, protocol.HeaderTime, time.Now().UnixMilli(),
			protocol.HeaderNonce, base64.RawURLEncoding.EncodeToString(nonce[:]),
			protocol.HeaderSignature, base64.StdEncoding.EncodeToString(make([]byte, ed25519.SignatureSize)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			chunk := bytes.Repeat([]byte(" "), 64<<10)
			for sent := 0; sent < 4194000-len(chunk); sent += len(chunk) {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
				c.SetWriteDeadline(time.Now().Add(time.Second))
				if _, err := c.Write(chunk); err != nil {
					return // the server hung up: fine
				}
			}
		}()
	}
	deadline := time.Now().Add(4 * time.Second)
	for time.Now().Before(deadline) && !over() {
		time.Sleep(100 * time.Millisecond)
	}
	close(stop)
	peak := procMemMB(t, pid, "VmHWM")
	if peak > stopMB {
		t.Logf("%d connections trickling 4 MB bodies took the server to %.0f MB", trickle, peak)
	}
	if c := liveColour(t, url, rep, key, healthcode.CodeHash{2}); c != healthcode.ColourUnknown {
		t.Errorf("live status during the trickle: %v", c)
	}
	closeAll()
	wg.Wait()
	t.Logf("peak resident memory %.0f MB", peak)
	return peak
}

// TestHugeBatchRefusedCheaply: one signed batch of 4 MB holding 1,398,000
// empty records is refused with 413 too_many_records, without the server
// decoding it all: it answers within 100 ms of receiving the body (the
// whole decode took seconds) and its peak memory grows by less than 50 MB
// (the whole decode took over a gigabyte).
func TestHugeBatchRefusedCheaply(t *testing.T) {
	srv, url, _, rep, key := enrolledServer(t)
	pid := srv.Process.Pid
	var body bytes.Buffer
	body.WriteString(`{"records":[`)
	const n = 1_398_000
	for i := 0; i < n; i++ {
		if i > 0 {
			body.WriteByte(',')
		}
		body.WriteString("{}")
	}
	body.WriteString("]}")
	if body.Len() > protocol.MaxRecordsBody {
		t.Fatalf("test body is %d bytes, over the limit %d", body.Len(), protocol.MaxRecordsBody)
	}
	// Warm up: one ordinary request, so the baseline includes the
	// connection and handler the big request uses.
	liveColour(t, url, rep, key, healthcode.CodeHash{1})
	before := procMemMB(t, pid, "VmHWM")
	cpuBefore := serverCPU(t, pid)

	req, _ := http.NewRequest("POST", url+protocol.PathRecords, bytes.NewReader(body.Bytes()))
	req.Header.Set("Content-Type", protocol.ContentTypeJSON)
	req.Header.Set(protocol.HeaderIdempotencyKey, "huge-1")
	protocol.SignRequest(req, body.Bytes(), rep.DeviceID, key, time.Now())
	var wrote, answered time.Time
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		WroteRequest:         func(httptrace.WroteRequestInfo) { wrote = time.Now() },
		GotFirstResponseByte: func() { answered = time.Now() },
	}))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	reply, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := answered.Sub(wrote)
	cpu := serverCPU(t, pid) - cpuBefore
	growth := procMemMB(t, pid, "VmHWM") - before
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(reply), protocol.ErrTooManyRecords) {
		t.Errorf("huge batch: %d %s, want 413 %s", resp.StatusCode, reply, protocol.ErrTooManyRecords)
	}
	// The bound is on the server's own CPU time, which a machine busy
	// with other work does not stretch as it stretches the wall clock;
	// decoding the whole batch before counting it cost seconds.
	if cpu > 100*time.Millisecond {
		t.Errorf("the server spent %s of CPU on refusing the batch (limit 100 ms)", cpu)
	}
	if growth > 50 {
		t.Errorf("refusing the batch grew the server's peak memory by %.0f MB (limit 50 MB)", growth)
	}
	t.Logf("refused %s after the body was sent, %s of server CPU, peak memory +%.1f MB", took, cpu, growth)
}

// serverCPU is the CPU time process pid has used.
func serverCPU(t testing.TB, pid int) time.Duration {
	t.Helper()
	d, err := cpustat.Process(pid)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
