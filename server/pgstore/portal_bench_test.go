package pgstore

import (
	"bufio"
	"context"
	"io"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"hcscan/internal/benchfig"
	"hcscan/internal/pgtest"
	"hcscan/server"
	"hcscan/server/storetest"
)

// loadRecords puts n records of one institution into the database, spread
// over the 30 days before now at the devices' gates, one every 2.6 s:
// mostly green passes, one in nine a fever, one in thirteen a red code,
// one in seventeen an invalid code; three operators and three names. They
// are made by PostgreSQL itself (INSERT ... SELECT), which is how a
// province's month of records would sit in the table, not through the
// ingest path (measured by its own benchmark).
func loadRecords(b *testing.B, st *Store, institution string, devs []*storetest.Device, n int, now time.Time) {
	ctx := context.Background()
	span := 30 * 24 * time.Hour
	for d := dayStart(now.Add(-span)); !d.After(now); d = d.AddDate(0, 0, 1) {
		if err := st.ensureDay(ctx, d); err != nil {
			b.Fatal(err)
		}
	}
	ids, gates := make([]string, len(devs)), make([]string, len(devs))
	for i, d := range devs {
		ids[i], gates[i] = d.ID, d.Rep.Gate
	}
	_, err := st.pool.Exec(ctx, `
INSERT INTO records (at, device_id, record_id, institution, gate, received, body, verdict, colour, fever, operator, name)
SELECT at, dev, rid, $1::text, gate, $3::timestamptz, convert_to(json_build_object(
	'id', rid, 'device_id', dev, 'seq', i, 'institution', $1::text, 'gate', gate, 'operator', op, 'time', at, 'corrected_time', at,
	'scanned_colour', col, 'effective_colour', col, 'verdict', vtext, 'temperature', temp, 'fever', fever,
	'disposition', disp, 'name_masked', name, 'id_masked', '110***********1234', 'region', 110000, 'lang', 'zh')::text, 'UTF8'),
	v, c, fever, op, name
FROM (
	SELECT i, gen_random_uuid() AS rid, $3::timestamptz - (i * $4::bigint) * interval '1 microsecond' AS at,
		($5::text[])[1 + i % array_length($5::text[], 1)] AS dev, ($6::text[])[1 + i % array_length($6::text[], 1)] AS gate,
		(ARRAY['王老师', '李师傅', 'guard 2'])[1 + i % 3] AS op, (ARRAY['张*三', '李*四', '欧阳*娜'])[1 + (i / 2) % 3] AS name,
		CASE WHEN i % 9 = 4 OR i % 13 = 7 THEN 2 WHEN i % 17 = 2 THEN 3 ELSE 1 END AS v,
		CASE WHEN i % 9 = 4 OR i % 13 = 7 THEN 'stop' WHEN i % 17 = 2 THEN 'invalid' ELSE 'pass' END AS vtext,
		CASE WHEN i % 13 = 7 AND i % 9 <> 4 THEN 3 WHEN i % 17 = 2 THEN 0 ELSE 1 END AS c,
		CASE WHEN i % 13 = 7 AND i % 9 <> 4 THEN 'red' WHEN i % 17 = 2 THEN 'unknown' ELSE 'green' END AS col,
		i % 9 = 4 AS fever, CASE WHEN i % 9 = 4 THEN 38.1 ELSE 36.5 END AS temp,
		CASE WHEN i % 9 = 4 THEN 'send_to_clinic' WHEN i % 13 = 7 THEN 'central_quarantine' WHEN i % 17 = 2 THEN 'persuade_return' ELSE 'pass' END AS disp
	FROM generate_series(0, $2::int - 1) AS i
) AS s`, institution, n, now, span.Microseconds()/int64(n), ids, gates)
	if err != nil {
		b.Fatal(err)
	}
	// The hourly counts the ingest path keeps with each batch.
	if _, err := st.pool.Exec(ctx, `INSERT INTO record_counts
		SELECT institution, date_bin('1 hour', at, TIMESTAMPTZ '2000-01-01 00:00:00+00'), gate, verdict, colour, fever, operator, count(*)
		FROM records WHERE institution = $1 GROUP BY 1, 2, 3, 4, 5, 6, 7`, institution); err != nil {
		b.Fatal(err)
	}
	// As autovacuum would soon after: statistics and the visibility map.
	if _, err := st.pool.Exec(ctx, `VACUUM ANALYZE records`); err != nil {
		b.Fatal(err)
	}
}

// peakRSS is the process's peak resident memory in MB since the last
// resetPeakRSS (Linux: VmHWM).
func peakRSS(b *testing.B) float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	b.Fatal("no VmHWM in /proc/self/status")
	return 0
}

func resetPeakRSS(b *testing.B) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Fatalf("reset the peak RSS: %v", err)
	}
}

// BenchmarkPortalMillionRecords: one institution with 1,000,000 records in
// a real PostgreSQL (durable settings), read through the real portal over
// loopback HTTP by a logged-in records viewer.
//
// portal_records_page_p95_ms: a filtered page of 50 with its honest total
// (gate and verdict over a week, fevers over the month, red codes at a
// gate, an operator on one day, a name search over a week, and the next
// page of each through its cursor), the whole request: session, count,
// page, HTML.
//
// portal_export_1m_rss_mb: the peak resident memory of the process (the
// server, and the client that reads the download and throws it away)
// while the whole million is exported, as CSV and as XLSX (the larger).
func BenchmarkPortalMillionRecords(b *testing.B) {
	const n = 1_000_000
	pg := pgtest.Start(b, true)
	var st *Store
	e := storetest.NewEnv(b, func(t testing.TB, o storetest.Options) server.Store {
		st = openTest(t, pg.NewDatabase(t), o)
		return st
	}, storetest.Options{})
	const inst = "bench school"
	var devs []*storetest.Device
	for _, g := range []string{"北门", "南门", "东门", "西门"} {
		devs = append(devs, e.Enroll(b, inst, g))
	}
	now := e.Clock.Now()
	t0 := time.Now()
	loadRecords(b, st, inst, devs, n, now)
	b.Logf("loaded %d records in %v", n, time.Since(t0))
	br := storetest.NewBrowser(b, e.HTTP.URL)
	br.Login(e, server.TokenViewer, inst)

	day := func(d time.Duration) string { return now.Add(-d).In(server.DefaultLocation()).Format("2006-01-02") }
	filters := []url.Values{
		{"gate": {"北门"}, "verdict": {"stop"}, "from": {day(7 * 24 * time.Hour)}, "to": {day(0)}},
		{"fever": {"1"}},
		{"colour": {"red"}, "gate": {"南门"}},
		{"operator": {"李师傅"}, "from": {day(3 * 24 * time.Hour)}, "to": {day(3 * 24 * time.Hour)}},
		{"name": {"欧阳"}, "from": {day(7 * 24 * time.Hour)}, "to": {day(0)}},
		{"verdict": {"invalid"}, "gate": {"西门"}, "from": {day(14 * 24 * time.Hour)}, "to": {day(0)}},
	}
	next := func(page string) string {
		i := strings.Index(page, `href="`)
		for i >= 0 {
			j := strings.Index(page[i+6:], `"`)
			link := page[i+6 : i+6+j]
			if strings.Contains(page[i+6+j:min(len(page), i+6+j+20)], `rel="next"`) {
				return strings.ReplaceAll(link, "&amp;", "&")
			}
			k := strings.Index(page[i+6+j:], `href="`)
			if k < 0 {
				break
			}
			i = i + 6 + j + k
		}
		return ""
	}
	// The loading and the exports take minutes: the timer runs over them
	// so that one run is enough for the benchmark harness; the figures
	// are measured here.
	var lat []time.Duration
	for it := 0; it < 5*b.N; it++ {
		for _, f := range filters {
			path := "/portal/records?" + f.Encode()
			for range 2 { // the first page, then the next through its cursor
				t := time.Now()
				code, page := br.Get(path)
				lat = append(lat, time.Since(t))
				if it == 0 {
					b.Logf("%v %s", time.Since(t), path)
				}
				if code != 200 || !strings.Contains(page, `id="match-count"`) || strings.Count(page, "<tr class=\"v-") != 50 {
					b.Fatalf("%s: %d, %d rows", path, code, strings.Count(page, "<tr class=\"v-"))
				}
				if path = next(page); path == "" {
					b.Fatalf("no next page of %v", f)
				}
			}
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p95 := lat[(len(lat)*95+99)/100-1]
	benchfig.Record(b, "portal_records_page_p95_ms", float64(p95.Microseconds())/1000, "ms")

	peak := 0.0
	for _, format := range exportFormats() {
		resetPeakRSS(b)
		t := time.Now()
		resp, err := br.C.Get(e.HTTP.URL + "/portal/records." + format)
		if err != nil {
			b.Fatal(err)
		}
		var lines int
		var size int64
		if format == "csv" {
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				lines++
				size += int64(len(sc.Bytes()) + 1)
			}
		} else {
			size, err = io.Copy(io.Discard, resp.Body)
			if err != nil {
				b.Fatal(err)
			}
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || format == "csv" && lines != n+1 || size < 1<<20 {
			b.Fatalf("export %s: %d, %d lines, %d bytes", format, resp.StatusCode, lines, size)
		}
		rss := peakRSS(b)
		b.Logf("export %s: %d bytes in %v, peak RSS %.1f MB", format, size, time.Since(t), rss)
		peak = max(peak, rss)
	}
	benchfig.Record(b, "portal_export_1m_rss_mb", peak, "MB")
}

// exportFormats are the formats whose export is measured
// (HCSCAN_BENCH_EXPORT=csv measures one).
func exportFormats() []string {
	if f := os.Getenv("HCSCAN_BENCH_EXPORT"); f != "" {
		return strings.Split(f, ",")
	}
	return []string{"csv", "xlsx"}
}
