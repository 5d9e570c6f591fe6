package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/store"
)

// exportFixture writes a data file with checks on three days, one of them
// a manual entry with a sealed identity, and acknowledges one record.
func exportFixture(t *testing.T) (path string, ids []string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "hcscan.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	days := []time.Time{
		time.Date(2022, 4, 11, 18, 0, 0, 0, time.Local),
		time.Date(2022, 4, 12, 8, 0, 0, 0, time.Local),
		time.Date(2022, 4, 12, 23, 59, 0, 0, time.Local),
		time.Date(2022, 4, 13, 0, 1, 0, 0, time.Local),
	}
	for i, at := range days {
		r := &healthcode.Record{DeviceID: "dev-1", Institution: "inst-1", Gate: "south", Operator: "李雷",
			Time: at, CorrectedTime: at, ScannedColour: healthcode.Green, EffectiveColour: healthcode.Green,
			Verdict: healthcode.VerdictPass, Temperature: 364, Disposition: healthcode.DispositionPass,
			Name: "欧阳娜娜", IDMasked: "310104195502281236", Region: 310000, Lang: "zh"}
		if i == 1 {
			r.Manual, r.Sealed, r.ManualReason = true, []byte("sealed-bytes-never-exported"), "no phone"
			r.Verdict, r.Fever, r.Temperature, r.Disposition = healthcode.VerdictStop, true, 379, healthcode.DispositionSendToClinic
		}
		if i == 2 {
			r.RepeatOf = ids[1]
		}
		if err := s.Append(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	if _, err := s.Ack(ids[1:2]); err != nil {
		t.Fatal(err)
	}
	return path, ids
}

// fixedClock is a laptop whose clocks stand still at one time.
type fixedClock struct{ t time.Time }

func (c fixedClock) Wall() time.Time     { return c.t }
func (c fixedClock) Mono() time.Duration { return time.Hour }
func (c fixedClock) Boot() string        { return "fixed" }

var fixedNow = fixedClock{time.Date(2022, 4, 14, 9, 0, 0, 0, time.Local)}

func TestExportCSVByLocalDays(t *testing.T) {
	path, ids := exportFixture(t)
	var out, errb bytes.Buffer
	code := exportCommand([]string{"--data", path, "--from", "2022-04-12", "--to", "2022-04-12"}, &out, &errb, fixedNow)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(exportColumns, ",") {
		t.Fatalf("rows = %v", rows)
	}
	col := func(name string) int {
		for i, c := range exportColumns {
			if c == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	r1, r2 := rows[1], rows[2]
	if r1[col("id")] != ids[1] || r2[col("id")] != ids[2] {
		t.Fatalf("exported ids %s %s, want %s %s", r1[0], r2[0], ids[1], ids[2])
	}
	if r1[col("name_masked")] != "欧**娜" || r1[col("id_masked")] != "310***********1236" {
		t.Fatalf("not masked: %v", r1)
	}
	if r1[col("verdict")] != "stop" || r1[col("temperature")] != "37.9" || r1[col("fever")] != "true" ||
		r1[col("disposition")] != "send_to_clinic" || r1[col("manual")] != "true" || r1[col("upload_state")] != "uploaded" {
		t.Fatalf("row = %v", r1)
	}
	if r2[col("upload_state")] != "pending" || r2[col("repeat_of")] != ids[1] || r1[col("repeat_of")] != "" || r1[col("abandoned")] != "false" {
		t.Fatalf("row = %v", r2)
	}
	if strings.Contains(out.String(), "sealed") || strings.Contains(errb.String(), "2 records") == false {
		t.Fatalf("sealed bytes exported or no summary: %s", errb.String())
	}
}

func TestExportJSONLToFile(t *testing.T) {
	path, ids := exportFixture(t)
	outFile := filepath.Join(t.TempDir(), "out.jsonl")
	var stdout, errb bytes.Buffer
	code := exportCommand([]string{"--data", path, "--from", "2022-04-11", "--to", "2022-04-13", "--format", "jsonl", "--out", outFile}, &stdout, &errb, fixedNow)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if stdout.Len() != 0 {
		t.Fatal("wrote to stdout with --out")
	}
	fi, _ := os.Stat(outFile)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("export file mode %v", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(outFile)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines", len(lines))
	}
	var got struct {
		healthcode.Record
		UploadState string `json:"upload_state"`
	}
	if err := json.Unmarshal([]byte(lines[1]), &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != ids[1] || got.UploadState != "uploaded" || got.Sealed != nil || got.Name != "欧**娜" || got.Temperature != 379 {
		t.Fatalf("line = %s", lines[1])
	}
}

func TestExportErrors(t *testing.T) {
	path, _ := exportFixture(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--data", path, "--from", "12/04/2022"}, "not a date"},
		{[]string{"--data", path, "--from", "2022-04-13", "--to", "2022-04-12"}, "before"},
		{[]string{"--data", path, "--format", "xml"}, "csv or jsonl"},
		{[]string{"--data", filepath.Join(t.TempDir(), "none.db")}, "no data file"},
	} {
		var out, errb bytes.Buffer
		if code := exportCommand(c.args, &out, &errb, fixedNow); code != exitUsage || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: exit %d, %q", c.args, code, errb.String())
		}
	}
	// While the scanner holds the file, export says so instead of hanging.
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out, errb bytes.Buffer
	if code := exportCommand([]string{"--data", path}, &out, &errb, fixedNow); code != exitUsage || !strings.Contains(errb.String(), "another hcscan is using "+path) {
		t.Fatalf("export of a held file: %d %q", code, errb.String())
	}
}

// A laptop whose clock runs a day ahead: its checks carry tomorrow as
// their own time but today as their corrected time. The default export is
// today by the province's time kept in the data file at the last sync,
// and it holds them; the laptop's "today" (tomorrow) holds none.
func TestExportTodayByTheProvincesTime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hcscan.db")
	province := time.Date(2022, 4, 12, 9, 0, 0, 0, time.Local)
	laptop := fixedClock{province.AddDate(0, 0, 1)}
	s, clk, err := openData(path, laptop, time.Local, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	clk.Observe(province, laptop.Mono(), laptop.Mono()) // a sync: the province's time
	if err := clk.Save(); err != nil {
		t.Fatal(err)
	}
	r := &healthcode.Record{DeviceID: "dev-1", Gate: "south", Verdict: healthcode.VerdictPass, Name: "张三", IDMasked: "110105199001011234",
		ScannedColour: healthcode.Green, EffectiveColour: healthcode.Green}
	clk.Moment().Stamp(r)
	if err := s.Append(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if r.TimeSource != healthcode.TimeProvince || !r.CorrectedTime.Equal(province) || !r.Time.Equal(laptop.t) {
		t.Fatalf("record times %v %v %s", r.Time, r.CorrectedTime, r.TimeSource)
	}

	var out, errb bytes.Buffer
	if code := exportCommand([]string{"--data", path, "--format", "jsonl"}, &out, &errb, laptop); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), r.ID) || !strings.Contains(errb.String(), "from 2022-04-12 to 2022-04-12") {
		t.Fatalf("today's export: %s / %s", out.String(), errb.String())
	}
	out.Reset()
	errb.Reset()
	if code := exportCommand([]string{"--data", path, "--from", "2022-04-13", "--to", "2022-04-13"}, &out, &errb, laptop); code != exitOK || strings.Contains(out.String(), r.ID) {
		t.Fatalf("the laptop's day holds the record: %d %s", code, out.String())
	}
}
