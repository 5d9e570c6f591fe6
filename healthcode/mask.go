package healthcode

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaskName shows the least of a name that still lets the holder recognise
// it: 张三丰 → 张*丰, 张三 → 张*, 欧阳娜娜 → 欧**娜; Latin, Cyrillic, Korean
// or other names keep the first letter of each word: John Smith → J*** S****.
// A name that is already masked comes back unchanged.
func MaskName(name string) string {
	name = strings.Join(strings.Fields(name), " ")
	if name == "" {
		return ""
	}
	if strings.ContainsRune(name, '*') {
		return name
	}
	r := []rune(name)
	if isHanName(r) {
		switch len(r) {
		case 1:
			return "*"
		case 2:
			return string(r[0]) + "*"
		default:
			return string(r[0]) + strings.Repeat("*", len(r)-2) + string(r[len(r)-1])
		}
	}
	words := strings.Fields(name)
	for i, w := range words {
		first, size := utf8.DecodeRuneInString(w)
		words[i] = string(first) + strings.Repeat("*", utf8.RuneCountInString(w[size:]))
	}
	return strings.Join(words, " ")
}

func isHanName(r []rune) bool {
	for _, c := range r {
		if !unicode.Is(unicode.Han, c) && c != '·' && c != '•' {
			return false
		}
	}
	return true
}

// MaskID masks an identity document number: an 18-character resident ID
// keeps its first 3 (province) and last 4 characters (110***********1234);
// other documents (passports, permits) keep their first 2 and last 2.
func MaskID(id string) string {
	id = strings.ToUpper(strings.Join(strings.Fields(id), ""))
	if strings.ContainsRune(id, '*') {
		return id
	}
	r := []rune(id)
	switch n := len(r); {
	case n == 0:
		return ""
	case n == 18 || n == 15:
		return string(r[:3]) + strings.Repeat("*", n-7) + string(r[n-4:])
	case n >= 6:
		return string(r[:2]) + strings.Repeat("*", n-4) + string(r[n-2:])
	default:
		return strings.Repeat("*", n-1) + string(r[n-1:])
	}
}
