package tui

import "strings"

// glyphs is a 5-row block font for the few words that must be read from
// two metres away. Built from full blocks, it stays legible without colour.
var glyphs = map[rune][5]string{
	'A': {" ███ ", "█   █", "█████", "█   █", "█   █"},
	'C': {" ████", "█    ", "█    ", "█    ", " ████"},
	'D': {"████ ", "█   █", "█   █", "█   █", "████ "},
	'E': {"█████", "█    ", "████ ", "█    ", "█████"},
	'I': {"███", " █ ", " █ ", " █ ", "███"},
	'L': {"█    ", "█    ", "█    ", "█    ", "█████"},
	'N': {"█   █", "██  █", "█ █ █", "█  ██", "█   █"},
	'O': {" ███ ", "█   █", "█   █", "█   █", " ███ "},
	'P': {"████ ", "█   █", "████ ", "█    ", "█    "},
	'S': {" ████", "█    ", " ███ ", "    █", "████ "},
	'T': {"█████", "  █  ", "  █  ", "  █  ", "  █  "},
	'V': {"█   █", "█   █", "█   █", " █ █ ", "  █  "},
	'W': {"█   █", "█   █", "█ █ █", "██ ██", "█   █"},
	'✔': {"      █", "     █ ", "█   █  ", " █ █   ", "  █    "},
	'✖': {"█   █", " █ █ ", "  █  ", " █ █ ", "█   █"},
	'?': {" ███ ", "█   █", "  ██ ", "     ", "  █  "},
	'…': {"     ", "     ", "     ", "     ", "█ █ █"},
	' ': {"  ", "  ", "  ", "  ", "  "},
}

// bigText renders word in the block font; ok is false when a letter has no
// glyph or the result would be wider than width.
func bigText(word string, width int) (lines []string, ok bool) {
	rows := make([]strings.Builder, 5)
	first := true
	for _, r := range word {
		g, found := glyphs[r]
		if !found {
			return nil, false
		}
		for i := range rows {
			if !first {
				rows[i].WriteByte(' ')
			}
			rows[i].WriteString(g[i])
		}
		first = false
	}
	out := make([]string, 5)
	for i := range rows {
		out[i] = rows[i].String()
		if len([]rune(out[i])) > width {
			return nil, false
		}
	}
	return out, true
}
