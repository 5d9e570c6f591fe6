package server

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/protocol"
)

// fullRecord has every field of a record set, as a scanner may send it.
func fullRecord() healthcode.Record {
	at := time.Date(2026, 3, 4, 7, 30, 15, 123456789, time.FixedZone("CST", 8*3600))
	return healthcode.Record{
		ID: "0190c0de-1111-7000-8000-000000000001", DeviceID: "dev-1", Seq: 42, Institution: "第一中学", Gate: "北门",
		Operator: "王老师", Time: at, CorrectedTime: at.Add(3 * time.Second), TimeSource: healthcode.TimeProvince,
		ClockJump: -90 * time.Second, CodeHash: healthcode.CodeHash{1, 2, 3}, PersonKey: healthcode.PersonKey{4, 5, 6},
		EnrolGroup: "三年级二班", EnrolRole: healthcode.Role(1), Manual: true, Dynamic: true,
		ScannedColour: healthcode.Yellow, EffectiveColour: healthcode.Red, Verdict: healthcode.VerdictStop,
		Reason: healthcode.Reason("expired"), Provisional: true, Temperature: 381, Fever: true,
		Disposition: healthcode.DispositionPass, Name: "张*三", IDMasked: "110***********1234", Region: 110000,
		Lang: "zh", Sealed: []byte{9, 8, 7, 6, 5}, ManualReason: "no phone", ClockOffset: 3 * time.Second,
		Abandoned: true, RepeatOf: "0190c0de-1111-7000-8000-000000000000",
	}
}

// TestRecordFastPathKnowsEveryField: a record with every field set, as
// json.Marshal writes it, is read by the fast path, into what
// encoding/json reads. A field added to Record fails here until it is
// set in fullRecord and read in decodeRecordField.
func TestRecordFastPathKnowsEveryField(t *testing.T) {
	full := fullRecord()
	v := reflect.ValueOf(full)
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).IsZero() {
			t.Errorf("fullRecord leaves %s unset", v.Type().Field(i).Name)
		}
	}
	plain := healthcode.Record{ID: full.ID, DeviceID: "dev-1", Time: full.Time, Verdict: healthcode.VerdictPass}
	body, _ := json.Marshal(protocol.RecordBatch{Records: []healthcode.Record{full, plain, {}}})
	recs, raws, ok := decodeBatchFast(body)
	if !ok {
		t.Fatalf("the fast path does not read a batch json.Marshal wrote: %s", body)
	}
	sameAsStandard(t, body, recs, raws)
	if len(recs) != 3 || !recs[0].Time.Equal(full.Time) || string(recs[0].Sealed) != string(full.Sealed) {
		t.Errorf("read %+v", recs)
	}
}

// TestRecordFastPathGivesUp: what is not the plain shape goes to
// encoding/json, which decides.
func TestRecordFastPathGivesUp(t *testing.T) {
	rec, _ := json.Marshal(fullRecord())
	r := string(rec)
	for _, body := range []string{
		`{"records":[]}`,
		`{"records":[` + r + `],"more":1}`,
		`{"Records":[` + r + `]}`,
		`{"records":[` + r + `,]}`,
		`{"records":[,` + r + `]}`,
		`{"records":[` + r + `]}x`,
		`{"records":[` + strings.Replace(r, `"gate":"北门"`, `"gate":"北\u95e8"`, 1) + `]}`,
		`{"records":[` + strings.Replace(r, `"gate":"北门"`, `"GATE":"北门"`, 1) + `]}`,
		`{"records":[` + strings.Replace(r, `"gate":"北门"`, `"gate":null`, 1) + `]}`,
		`{"records":[` + strings.Replace(r, `"seq":42`, `"seq":4.2e1`, 1) + `]}`,
		`{"records":[` + strings.Replace(r, `"seq":42`, `"seq":-1`, 1) + `]}`,
		`{"records":[` + strings.Replace(r, `"region":110000`, `"region":4294967296`, 1) + `]}`,
		`{"records":[` + strings.Replace(r, `"verdict":"stop"`, `"verdict":"maybe"`, 1) + `]}`,
		`{"records":[` + strings.Replace(r, `"operator":"王老师"`, "\"operator\":\"\xff\"", 1) + `]}`,
		`{"records":[` + strings.Replace(r, `"fever":true`, `"fever":1`, 1) + `]}`,
		`{"records":[` + strings.Replace(r, `"fever":true`, `"unknown":true`, 1) + `]}`,
		`{"records":[` + strings.Repeat(`{},`, protocol.MaxBatch) + `{}]}`,
	} {
		if _, _, ok := decodeBatchFast([]byte(body)); ok {
			t.Errorf("the fast path read %.200s", body)
		}
	}
}

// FuzzRecordFastPath: whatever the fast path reads, encoding/json reads
// too, into the same records.
func FuzzRecordFastPath(f *testing.F) {
	full, _ := json.Marshal(protocol.RecordBatch{Records: []healthcode.Record{fullRecord(), {}}})
	f.Add(full)
	f.Add([]byte(` { "records" : [ {"id":"a" , "id":"b","temperature":36.5,"seq":0} , {"temperature":null,"time":"2026-01-02T03:04:05Z"} ] } `))
	f.Add([]byte(`{"records":[{"temperature":-0,"region":0,"clock_jump_ns":-5,"sealed":""}]}`))
	f.Add([]byte(`{"records":[{"temperature":3.65e1,"code_hash":"","person_key":"","enrol_role":""}]}`))
	f.Add([]byte(`{"records":[{"time":"2026-13-02T03:04:05Z"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		recs, raws, ok := decodeBatchFast(body)
		if ok {
			sameAsStandard(t, body, recs, raws)
		}
	})
}

// sameAsStandard fails unless encoding/json reads body strictly into
// recs, and raws are the records' bytes.
func sameAsStandard(t *testing.T, body []byte, recs []healthcode.Record, raws [][]byte) {
	t.Helper()
	var typed protocol.RecordBatch
	if err := decodeStrict(body, &typed); err != nil {
		t.Fatalf("the fast path read %q, encoding/json refuses it: %v", body, err)
	}
	if len(typed.Records) != len(recs) || len(raws) != len(recs) {
		t.Fatalf("%q: %d records, encoding/json reads %d", body, len(recs), len(typed.Records))
	}
	split, _ := splitRecords(body, protocol.MaxBatch)
	for i := range recs {
		if string(raws[i]) != string(split[i]) {
			t.Errorf("%q: record %d is %q, want %q", body, i, raws[i], split[i])
		}
		a, b := reflect.ValueOf(recs[i]), reflect.ValueOf(typed.Records[i])
		for j := 0; j < a.NumField(); j++ {
			fa, fb := a.Field(j).Interface(), b.Field(j).Interface()
			if ta, isTime := fa.(time.Time); isTime {
				tb := fb.(time.Time)
				_, oa := ta.Zone()
				_, ob := tb.Zone()
				if !ta.Equal(tb) || oa != ob || ta.Location().String() != tb.Location().String() {
					t.Errorf("%q: record %d %s is %v, encoding/json reads %v", body, i, a.Type().Field(j).Name, ta, tb)
				}
				continue
			}
			if !reflect.DeepEqual(fa, fb) {
				t.Errorf("%q: record %d %s is %#v, encoding/json reads %#v", body, i, a.Type().Field(j).Name, fa, fb)
			}
		}
	}
}
