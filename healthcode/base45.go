package healthcode

import (
	"errors"
	"strings"
)

// Base45 (RFC 9285) is the QR alphanumeric alphabet, so a payload in it
// uses the QR code's compact alphanumeric mode.
const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

var base45Index = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base45Alphabet); i++ {
		t[base45Alphabet[i]] = int8(i)
	}
	return
}()

var errBase45 = errors.New("not Base45")

func base45Encode(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b)/2*3 + 2)
	for i := 0; i+1 < len(b); i += 2 {
		n := int(b[i])<<8 | int(b[i+1])
		sb.WriteByte(base45Alphabet[n%45])
		sb.WriteByte(base45Alphabet[n/45%45])
		sb.WriteByte(base45Alphabet[n/2025])
	}
	if len(b)%2 == 1 {
		n := int(b[len(b)-1])
		sb.WriteByte(base45Alphabet[n%45])
		sb.WriteByte(base45Alphabet[n/45])
	}
	return sb.String()
}

func base45Decode(s string) ([]byte, error) {
	if len(s)%3 == 1 {
		return nil, errBase45
	}
	out := make([]byte, 0, len(s)/3*2+1)
	for i := 0; i < len(s); i += 3 {
		c := base45Index[s[i]]
		d := int8(-1)
		if i+1 < len(s) {
			d = base45Index[s[i+1]]
		}
		if c < 0 || d < 0 {
			return nil, errBase45
		}
		if i+2 >= len(s) {
			n := int(c) + int(d)*45
			if n > 0xff {
				return nil, errBase45
			}
			out = append(out, byte(n))
			break
		}
		e := base45Index[s[i+2]]
		if e < 0 {
			return nil, errBase45
		}
		n := int(c) + int(d)*45 + int(e)*2025
		if n > 0xffff {
			return nil, errBase45
		}
		out = append(out, byte(n>>8), byte(n))
	}
	return out, nil
}
