package pgstore

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/internal/benchfig"
	"hcscan/internal/pgtest"
	"hcscan/protocol"
	"hcscan/server"
	"hcscan/server/storetest"
)

// BenchmarkRosterMorningViewPG times an institution's morning view on
// PostgreSQL: 5,000 people in 50 groups, linked to person keys, and 20,000
// records of the day sent through the real ingest path (signed batches
// over loopback HTTP: most people checked several times, some not at all,
// fevers and stops among them), plus 50 codes turned red by the status
// feed. One operation is Server.MorningView: the roster, the day's checks,
// the people's colours and the alerts read from the database, and the
// counts per group and per person made of them.
func BenchmarkRosterMorningViewPG(b *testing.B) {
	pg := pgtest.Start(b, false)
	e := storetest.NewEnv(b, func(t testing.TB, o storetest.Options) server.Store {
		return openTest(t, pg.NewDatabase(t), o)
	}, storetest.Options{})
	ctx := b.Context()
	const inst, people, records, groups = "第一中学", 5000, 20000, 50
	devs := make([]*storetest.Device, 4)
	for i := range devs {
		devs[i] = e.Enroll(b, inst, fmt.Sprintf("gate %d", i))
	}
	entries := make([]server.RosterEntry, people)
	persons := make([]storetest.Person, people)
	for i := range entries {
		entries[i] = server.RosterEntry{Name: fmt.Sprintf("学生%04d", i), Group: fmt.Sprintf("高%d(%d)班", 1+(i%groups)/10, 1+i%10), Role: healthcode.RoleStudent}
		persons[i] = e.NewPerson(b, entries[i].Name, i)
	}
	ms, err := e.Srv.AddRosterMembers(ctx, inst, entries)
	if err != nil {
		b.Fatal(err)
	}
	for i := range ms {
		ms[i].Person, ms[i].Linked = persons[i].Key, e.Clock.Now()
	}
	if err := e.Srv.Store().PutRosterMembers(ctx, inst, ms); err != nil {
		b.Fatal(err)
	}
	day := server.DayStart(e.Clock.Now().In(storetest.Zone), storetest.Zone).AddDate(0, 0, -1)
	var bodies [][]byte
	var red []server.StatusChange
	for n := 0; n < records; n += protocol.MaxBatch {
		d := devs[(n/protocol.MaxBatch)%len(devs)]
		recs := make([]healthcode.Record, protocol.MaxBatch)
		for j := range recs {
			k := n + j
			p := persons[(k*7)%(people-200)] // the last 200 never come
			recs[j] = storetest.Check(d, p, day.Add(6*time.Hour+time.Duration(k)*2*time.Second))
			switch {
			case k%97 == 0:
				recs[j].Temperature, recs[j].Fever, recs[j].Verdict = 378, true, healthcode.VerdictStop
			case k%131 == 0:
				recs[j].EffectiveColour, recs[j].Verdict = healthcode.Yellow, healthcode.VerdictStop
			}
			if k < 50 {
				red = append(red, server.StatusChange{Hash: recs[j].CodeHash, Colour: healthcode.Red})
			}
		}
		bodies = append(bodies, storetest.BatchBody(b, recs))
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: len(devs)}}
	if err := storetest.SendBatches(e, devs, client, bodies, "morning", e.Clock.Now); err != nil {
		b.Fatal(err)
	}
	// The feed turns them red after the day's last check (17:07).
	e.Clock.Add(day.Add(17*time.Hour + 30*time.Minute).Sub(e.Clock.Now()))
	if _, _, err := e.Srv.SetStatus(ctx, red); err != nil {
		b.Fatal(err)
	}
	var v *server.MorningView
	b.ResetTimer()
	t0 := time.Now()
	for i := 0; i < b.N; i++ {
		if v, err = e.Srv.MorningView(ctx, inst, day.Add(10*time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(t0)
	b.StopTimer()
	if v.Totals.Expected != people || v.Totals.Checked != people-200 || len(v.Groups) != groups || v.Totals.Red != 50 || v.Totals.Fever == 0 {
		b.Fatalf("morning view: %+v, %d groups", v.Totals, len(v.Groups))
	}
	benchfig.Record(b, "roster_morning_view_ms", float64(elapsed.Milliseconds())/float64(b.N), "ms")
}
