package termsafe

import "testing"

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"张*三":                     "张*三",
		"\x1b[2J\x1b]0;pwned\x07": "�[2J�]0;pwned�",
		"a\tb\nc":                 "a b c",
		"abc\u202edcba":           "abc�dcba",
		"bad \xff utf8":           "bad � utf8",
		"zero\u200bwidth":         "zero�width",
		"\u009b31m":               "�31m",
	} {
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
	if got := CleanN("HCN1:ABCDEFGHIJ", 8); got != "HCN1:ABC…" {
		t.Errorf("CleanN = %q", got)
	}
	if got := CleanN("short", 8); got != "short" {
		t.Errorf("CleanN = %q", got)
	}
}
