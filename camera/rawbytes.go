package camera

// contentBytes reads a QR code's data codewords (after error correction)
// back into the bytes the code holds, segment by segment, as zxing-cpp
// reports them: digits and alphanumerics as ASCII, byte mode as is, Kanji
// as Shift_JIS and Hanzi as GB2312 pairs; ECI, structured-append and FNC1
// headers carry no content. gozxing gives only the text it made from
// them, with a guessed character set where the code names none, so this is
// what lets a reader keep what the code really holds. It returns nil for a
// stream it cannot follow.
func contentBytes(data []byte, version int) []byte {
	if version < 1 || version > 40 {
		return nil
	}
	r := bitReader{data: data}
	size := 0 // index into the character-count widths by version range
	switch {
	case version >= 27:
		size = 2
	case version >= 10:
		size = 1
	}
	var out []byte
	for r.left() >= 4 {
		switch mode := r.read(4); mode {
		case 0x0: // terminator
			return out
		case 0x7: // ECI designator: 1, 2 or 3 bytes
			switch v := r.read(8); {
			case v&0x80 == 0:
			case v&0xC0 == 0x80:
				r.read(8)
			case v&0xE0 == 0xC0:
				r.read(16)
			default:
				return nil
			}
		case 0x3: // structured append: sequence and parity
			r.read(16)
		case 0x5: // FNC1 in first position
		case 0x9: // FNC1 in second position: application indicator
			r.read(8)
		case 0x1: // numeric
			n := r.read([]int{10, 12, 14}[size])
			for ; n >= 3; n -= 3 {
				v := r.read(10)
				out = append(out, byte('0'+v/100), byte('0'+v/10%10), byte('0'+v%10))
			}
			switch n {
			case 2:
				v := r.read(7)
				out = append(out, byte('0'+v/10), byte('0'+v%10))
			case 1:
				out = append(out, byte('0'+r.read(4)))
			}
		case 0x2: // alphanumeric
			const set = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
			n := r.read([]int{9, 11, 13}[size])
			for ; n >= 2; n -= 2 {
				v := r.read(11)
				if v >= 45*45 {
					return nil
				}
				out = append(out, set[v/45], set[v%45])
			}
			if n == 1 {
				v := r.read(6)
				if v >= 45 {
					return nil
				}
				out = append(out, set[v])
			}
		case 0x4: // byte
			n := r.read([]int{8, 16, 16}[size])
			for range n {
				out = append(out, byte(r.read(8)))
			}
		case 0x8: // Kanji: 13 bits a character, Shift_JIS
			n := r.read([]int{8, 10, 12}[size])
			for range n {
				v := r.read(13)
				a := (v/0xC0)<<8 | v%0xC0
				if a < 0x1F00 {
					a += 0x8140
				} else {
					a += 0xC140
				}
				out = append(out, byte(a>>8), byte(a))
			}
		case 0xD: // Hanzi (GB/T 18284): subset, then 13 bits a character
			if r.read(4) != 1 { // only GB2312 is defined
				return nil
			}
			n := r.read([]int{8, 10, 12}[size])
			for range n {
				v := r.read(13)
				a := (v/0x60)<<8 | v%0x60
				if a < 0x0A00 {
					a += 0xA1A1
				} else {
					a += 0xA6A1
				}
				out = append(out, byte(a>>8), byte(a))
			}
		default:
			return nil
		}
		if r.over {
			return nil
		}
	}
	return out
}

// bitReader reads big-endian bit fields.
type bitReader struct {
	data []byte
	pos  int // in bits
	over bool
}

func (r *bitReader) left() int { return len(r.data)*8 - r.pos }

func (r *bitReader) read(n int) int {
	if n > r.left() {
		r.over, r.pos = true, len(r.data)*8
		return 0
	}
	v := 0
	for range n {
		b := r.data[r.pos/8] >> (7 - r.pos%8) & 1
		v = v<<1 | int(b)
		r.pos++
	}
	return v
}
