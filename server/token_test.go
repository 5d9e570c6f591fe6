package server

import "testing"

func TestTokenTypingIsForgiven(t *testing.T) {
	if HashToken("ABCD-EFGH-IJKL") != HashToken(" abcd efgh 1jkl ") || HashToken("OBAA") != HashToken("08aa") {
		t.Error("a token typed with spaces, lower case or look-alike digits does not match")
	}
	if HashToken("ABCD") == HashToken("ABCE") {
		t.Error("different tokens match")
	}
}
