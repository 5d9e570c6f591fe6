package server

import (
	"encoding/base64"
	"time"

	"hcscan/healthcode"
)

// decodeRecordFast reads one record object at p (see decodeBatchFast).
func decodeRecordFast(p *jsonReader, r *healthcode.Record) bool {
	if !p.byte('{') {
		return false
	}
	if p.byte('}') {
		return true
	}
	// A key given twice is read twice, the last value standing, as
	// encoding/json does: every case below sets its whole field.
	for {
		key, ok := p.str()
		if !ok || !p.byte(':') {
			return false
		}
		if !decodeRecordField(p, string(key), r) {
			return false
		}
		if p.byte('}') {
			return true
		}
		if !p.byte(',') {
			return false
		}
	}
}

// decodeRecordField reads the value of the field named key (its JSON tag
// exactly) into r; false for a key it does not know.
func decodeRecordField(p *jsonReader, key string, r *healthcode.Record) bool {
	var ok bool
	switch key {
	case "id":
		return p.string(&r.ID)
	case "device_id":
		return p.string(&r.DeviceID)
	case "seq":
		_, r.Seq, ok = p.integer(false, 64)
	case "institution":
		return p.string(&r.Institution)
	case "gate":
		return p.string(&r.Gate)
	case "operator":
		return p.string(&r.Operator)
	case "time":
		return p.quoted(&r.Time)
	case "corrected_time":
		return p.quoted(&r.CorrectedTime)
	case "time_source":
		var s string
		ok = p.string(&s)
		r.TimeSource = healthcode.TimeSource(s)
	case "clock_jump_ns":
		var v int64
		v, _, ok = p.integer(true, 64)
		r.ClockJump = time.Duration(v)
	case "code_hash":
		return p.text(&r.CodeHash)
	case "person_key":
		return p.text(&r.PersonKey)
	case "enrol_group":
		return p.string(&r.EnrolGroup)
	case "enrol_role":
		return p.text(&r.EnrolRole)
	case "manual":
		r.Manual, ok = p.boolean()
	case "dynamic":
		r.Dynamic, ok = p.boolean()
	case "scanned_colour":
		return p.text(&r.ScannedColour)
	case "effective_colour":
		return p.text(&r.EffectiveColour)
	case "verdict":
		return p.text(&r.Verdict)
	case "reason":
		var s string
		ok = p.string(&s)
		r.Reason = healthcode.Reason(s)
	case "provisional":
		r.Provisional, ok = p.boolean()
	case "temperature":
		n, isNumber := p.number()
		if !isNumber {
			if !p.literal("null") {
				return false
			}
			n = []byte("null")
		}
		return r.Temperature.UnmarshalJSON(n) == nil
	case "fever":
		r.Fever, ok = p.boolean()
	case "disposition":
		return p.text(&r.Disposition)
	case "name_masked":
		return p.string(&r.Name)
	case "id_masked":
		return p.string(&r.IDMasked)
	case "region":
		var v uint64
		_, v, ok = p.integer(false, 32)
		r.Region = healthcode.Region(v)
	case "lang":
		return p.string(&r.Lang)
	case "sealed":
		s, isString := p.str()
		if !isString {
			return false
		}
		// As encoding/json does for a []byte.
		b := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
		n, err := base64.StdEncoding.Decode(b, s)
		r.Sealed, ok = b[:n], err == nil
	case "manual_reason":
		return p.string(&r.ManualReason)
	case "clock_offset_ns":
		var v int64
		v, _, ok = p.integer(true, 64)
		r.ClockOffset = time.Duration(v)
	case "abandoned":
		r.Abandoned, ok = p.boolean()
	case "repeat_of":
		return p.string(&r.RepeatOf)
	}
	return ok
}
