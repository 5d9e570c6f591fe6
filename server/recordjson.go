package server

import (
	"strconv"
	"unicode/utf8"

	"hcscan/healthcode"
	"hcscan/protocol"
)

// A batch as scanners send it is what json.Marshal writes: one key
// "records", every record's keys spelled as the struct tags spell them,
// strings without escapes. decodeBatchFast reads exactly that
// shape, a few times faster than encoding/json (which costs more CPU than
// storing the record), and gives up on anything else: an escape, a key
// it does not know (a key in other case, an unknown field), a null, a number where a string belongs, a
// value a type refuses, more than protocol.MaxBatch records. decodeBatch
// then reads the body with encoding/json as before, which decides.
// Whatever this reads, encoding/json reads the same way into the same
// Record (FuzzRecordFastPath checks it); a field added to Record that is
// not read here only sends its batches the slow way
// (TestRecordFastPathKnowsEveryField says so).

// decodeBatchFast decodes body into records and the bytes of each; false
// when the body is not of the plain shape.
func decodeBatchFast(body []byte) (recs []healthcode.Record, raws [][]byte, ok bool) {
	p := jsonReader{b: body}
	if !p.byte('{') || !p.literal(`"records"`) || !p.byte(':') || !p.byte('[') {
		return nil, nil, false
	}
	recs = make([]healthcode.Record, 0, 64)
	for {
		if len(recs) == protocol.MaxBatch {
			return nil, nil, false
		}
		recs = append(recs, healthcode.Record{})
		start := p.skip()
		if !decodeRecordFast(&p, &recs[len(recs)-1]) {
			return nil, nil, false
		}
		raws = append(raws, body[start:p.i])
		if p.byte(']') {
			break
		}
		if !p.byte(',') {
			return nil, nil, false
		}
	}
	if !p.byte('}') || p.skip() != len(body) {
		return nil, nil, false
	}
	return recs, raws, true
}

// jsonReader walks a JSON text; each method skips the white space before
// what it reads.
type jsonReader struct {
	b []byte
	i int
}

func (p *jsonReader) skip() int {
	p.i = skipSpace(p.b, p.i)
	return p.i
}

// byte reads c if it comes next.
func (p *jsonReader) byte(c byte) bool {
	if p.skip() < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// literal reads s if it comes next.
func (p *jsonReader) literal(s string) bool {
	if p.skip()+len(s) <= len(p.b) && string(p.b[p.i:p.i+len(s)]) == s {
		p.i += len(s)
		return true
	}
	return false
}

// str reads a string without escapes or control characters, in valid
// UTF-8 (encoding/json would change invalid bytes), and returns its
// content.
func (p *jsonReader) str() ([]byte, bool) {
	if p.skip() >= len(p.b) || p.b[p.i] != '"' {
		return nil, false
	}
	for j := p.i + 1; j < len(p.b); j++ {
		switch c := p.b[j]; {
		case c == '"':
			s := p.b[p.i+1 : j]
			p.i = j + 1
			return s, utf8.Valid(s)
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// number reads a JSON number and returns its text.
func (p *jsonReader) number() ([]byte, bool) {
	start, j := p.skip(), p.i
	b := p.b
	digits := func() bool {
		k := j
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		return j > k
	}
	if j < len(b) && b[j] == '-' {
		j++
	}
	if j < len(b) && b[j] == '0' {
		j++
	} else if !digits() {
		return nil, false
	}
	if j < len(b) && b[j] == '.' {
		j++
		if !digits() {
			return nil, false
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if !digits() {
			return nil, false
		}
	}
	p.i = j
	return b[start:j], true
}

// integer reads a number without fraction or exponent (encoding/json
// refuses those for an integer field) within bits.
func (p *jsonReader) integer(signed bool, bits int) (int64, uint64, bool) {
	n, ok := p.number()
	if !ok {
		return 0, 0, false
	}
	if signed {
		v, err := strconv.ParseInt(string(n), 10, bits)
		return v, 0, err == nil
	}
	v, err := strconv.ParseUint(string(n), 10, bits)
	return 0, v, err == nil
}

func (p *jsonReader) boolean() (bool, bool) {
	if p.literal("true") {
		return true, true
	}
	return false, p.literal("false")
}

// text reads a string into a field that reads itself from text.
func (p *jsonReader) text(f interface{ UnmarshalText([]byte) error }) bool {
	s, ok := p.str()
	return ok && f.UnmarshalText(s) == nil
}

// quoted reads a string and hands it, quotes included, to a field that
// reads itself from JSON (time.Time).
func (p *jsonReader) quoted(f interface{ UnmarshalJSON([]byte) error }) bool {
	start := p.skip()
	if _, ok := p.str(); !ok {
		return false
	}
	return f.UnmarshalJSON(p.b[start:p.i]) == nil
}

func (p *jsonReader) string(s *string) bool {
	v, ok := p.str()
	*s = string(v)
	return ok
}
