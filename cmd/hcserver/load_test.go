package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/google/uuid"

	"hcscan/healthcode"
	"hcscan/internal/benchfig"
	"hcscan/internal/cpustat"
	"hcscan/internal/loadgen"
	"hcscan/internal/pgtest"
	"hcscan/protocol"
	"hcscan/server"
	"hcscan/server/pgstore"
)

// loadProvince is a province under load: one PostgreSQL (durable
// settings), two `hcserver serve` processes on it and many enrolled
// simulated scanners.
type loadProvince struct {
	pg      *pgtest.Server
	procs   []*exec.Cmd // the serve processes
	servers []string
	devs    []loadgen.Device
	red     []string // code hashes the province has set red
}

func startLoadProvince(b *testing.B, devices int) *loadProvince {
	pg := pgtest.Start(b, true)
	db := pg.NewDatabase(b)
	data := filepath.Join(b.TempDir(), "prov")
	if _, stderr, code := run(b, "", "hcserver", "keys", "init", "--dir", data); code != 0 {
		b.Fatalf("keys init: %s", stderr)
	}
	p := &loadProvince{pg: pg}
	for range 2 {
		cmd, url, _ := startServeArgs(b, "--data", data, "--db", db)
		p.procs = append(p.procs, cmd)
		p.servers = append(p.servers, url)
	}
	// Tokens and colours straight into the database, as `hcserver token
	// --db` and `hcserver status set --db` write them.
	ctx := context.Background()
	st, err := pgstore.Open(ctx, db, pgstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	admin, err := server.New(ctx, server.Config{Dir: data, Store: st})
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	tokens := make([]string, devices)
	for i := range tokens {
		if tokens[i], _, err = admin.NewToken(ctx, server.TokenEnroll, fmt.Sprintf("institution %d", i%200), fmt.Sprintf("gate %d", i)); err != nil {
			b.Fatal(err)
		}
	}
	var changes []server.StatusChange
	for i := 0; i < 1000; i++ {
		var id healthcode.CodeID
		copy(id[:], uuid.New().NodeID())
		id[15] = byte(i)
		id[14] = byte(i >> 8)
		changes = append(changes, server.StatusChange{Hash: id.Hash(), Colour: healthcode.Red})
		p.red = append(p.red, id.Hash().String())
	}
	if _, _, err := st.SetStatus(ctx, changes, time.Now()); err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	if p.devs, err = loadgen.Enroll(ctx, client, p.servers[0], tokens); err != nil {
		b.Fatal(err)
	}
	return p
}

// cpuUse is the CPU time used so far by each part of a load test.
type cpuUse struct {
	servers, db, loadgen time.Duration
}

func (p *loadProvince) cpu(b *testing.B) cpuUse {
	// The load generator's time first: reading the others' costs some.
	u := cpuUse{loadgen: cpustat.Self()}
	u.db = p.pg.CPUTime(b)
	for _, c := range p.procs {
		d, err := cpustat.Process(c.Process.Pid)
		if err != nil {
			b.Fatal(err)
		}
		u.servers += d
	}
	return u
}

// recordPerOp records the CPU time per operation of the servers, the
// database and the load generator between before and after: what an
// operation costs whatever else the machine runs.
func recordPerOp(b *testing.B, prefix string, before, after cpuUse, ops float64, unit string) {
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / ops }
	b.Logf("%s CPU: servers %v, database %v, load generator %v for %.0f operations", prefix, after.servers-before.servers, after.db-before.db, after.loadgen-before.loadgen, ops)
	for _, f := range []struct {
		part string
		d    time.Duration
	}{{"server", after.servers - before.servers}, {"db", after.db - before.db}, {"loadgen", after.loadgen - before.loadgen}} {
		// ReportMetric keeps one value per unit: each part gets its own.
		b.ReportMetric(per(f.d), f.part+"-"+unit)
		benchfig.Write(prefix+"_"+f.part+"_cpu_us", per(f.d), unit)
	}
}

// BenchmarkStatusUnderLoad drives live status checks (GET
// /v1/status/{hash}, signed by 2,000 different scanners, half of the codes
// known red) at 5,000 checks a second for 10 s through two server
// processes on one PostgreSQL, with vegeta, and reports the 99th
// percentile latency of the checks after a 2 s warm-up at the same rate
// (vegeta dials its connections and the servers start serving them
// there: a province's servers at the morning peak have been serving
// for hours). The load generator runs on the same machine; the CPU
// figures are per check sent, the warm-up's included.
func BenchmarkStatusUnderLoad(b *testing.B) {
	p := startLoadProvince(b, 2000)
	hashes := append([]string(nil), p.red...)
	for i := range p.red { // as many codes the province does not know
		hashes = append(hashes, healthcode.CodeHash(uuid.New()).String())
		_ = i
	}
	ctx := context.Background()
	b.ResetTimer()
	var rep loadgen.Report
	var before, after cpuUse
	for i := 0; i < b.N; i++ {
		// Signed before the attack, as scanners sign on their own machines.
		const rate, seconds, warmUp = 5000, 10, 2
		checks, err := loadgen.Presigned(loadgen.LiveChecks(p.servers, p.devs, hashes), rate*(seconds+warmUp)*11/10)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC() // the signed checks were the garbage of their making
		before = p.cpu(b)
		rep = loadgen.Attack(ctx, "status", checks, loadgen.Options{Rate: rate, Duration: seconds * time.Second, WarmUp: warmUp * time.Second})
		after = p.cpu(b)
	}
	b.StopTimer()
	b.Log(rep)
	recordPerOp(b, "status_check", before, after, float64(rep.Requests+rep.WarmUp), "µs/check")
	if rep.Success < 0.999 {
		b.Fatalf("%.2f%% of the checks succeeded: %v %v", 100*rep.Success, rep.Codes, rep.Errors)
	}
	benchfig.Record(b, "status_check_p99_ms", float64(rep.P99.Microseconds())/1000, "ms")
	benchfig.Record(b, "status_check_rate_per_s", rep.Throughput, "checks/s")
}

// BenchmarkIngestUnderLoad uploads batches of 500 records from 2,000
// scanners through two server processes on one PostgreSQL as fast as 16
// uploads in flight allow, for 10 s, with vegeta, and reports the records
// stored per second and the batch latency.
func BenchmarkIngestUnderLoad(b *testing.B) {
	p := startLoadProvince(b, 2000)
	start := time.Now().Add(-2 * time.Hour)
	body := func(n uint64, dev loadgen.Device) []byte {
		recs := make([]healthcode.Record, protocol.MaxBatch)
		for j := range recs {
			u, _ := uuid.NewV7()
			at := start.Add(time.Duration(n)*time.Millisecond + time.Duration(j)*time.Microsecond)
			recs[j] = healthcode.Record{
				ID: u.String(), DeviceID: dev.ID, Institution: dev.Institution, Gate: dev.Gate, Operator: "operator",
				Time: at, CorrectedTime: at, CodeHash: healthcode.CodeHash(u), ScannedColour: healthcode.Green,
				EffectiveColour: healthcode.Green, Verdict: healthcode.VerdictPass, Temperature: 365,
				Disposition: healthcode.DispositionPass, Name: "张*三", IDMasked: "110***********1234", Region: 110000, Lang: "zh",
				Provisional: j%10 == 0,
			}
		}
		data, _ := json.Marshal(protocol.RecordBatch{Records: recs})
		return data
	}
	allStored := func(reply []byte) bool {
		var rr protocol.RecordsReply
		return json.Unmarshal(reply, &rr) == nil && rr.Stored == protocol.MaxBatch
	}
	ctx := context.Background()
	b.ResetTimer()
	var rep loadgen.Report
	var before, after cpuUse
	for i := 0; i < b.N; i++ {
		before = p.cpu(b)
		rep = loadgen.Attack(ctx, "ingest", loadgen.Batches(p.servers, p.devs, body), loadgen.Options{Workers: 16, Duration: 10 * time.Second, Check: allStored})
		after = p.cpu(b)
	}
	b.StopTimer()
	b.Log(rep)
	recordPerOp(b, "load_ingest", before, after, float64(rep.Requests*protocol.MaxBatch), "µs/record")
	if rep.Checked != rep.Requests {
		b.Fatalf("%d of %d batches were stored whole: %v %v", rep.Checked, rep.Requests, rep.Codes, rep.Errors)
	}
	benchfig.Record(b, "load_ingest_records_per_s", rep.Throughput*protocol.MaxBatch, "records/s")
	benchfig.Record(b, "load_ingest_batch_p99_ms", float64(rep.P99.Microseconds())/1000, "ms")
}
