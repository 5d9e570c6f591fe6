package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// Lines wider than the terminal break at words (CJK where it must), each
// piece within the width; a line left open (a prompt) is written as it is,
// and so is the rest of it.
func TestWrapWriterBreaksAtWords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := &wrapWriter{f: f, width: func() int { return 20 }}
	in := "Sign in as operator \"demo\" with PIN 1234. The video starts when you sign in.\n" +
		"短行\n" +
		"演示:操作员 demo,PIN 1234,视频在登录后开始播放,每人出示八秒。\n" +
		"Press Enter to open the screen … "
	if _, err := w.Write([]byte(in)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("and this ends the open line, however long it is\n")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	for _, l := range lines[:len(lines)-1] {
		if ansi.StringWidth(l) > 20 {
			t.Errorf("line %q is wider than 20", l)
		}
	}
	for _, word := range []string{"operator", "starts", "when", "PIN"} {
		if !strings.Contains(string(b), word) {
			t.Errorf("%q was broken", word)
		}
	}
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "Press Enter to open the screen … and this ends") {
		t.Errorf("an open line was wrapped: %q", last)
	}
	if FileOf(w) != f || FileOf(f) != f || FileOf(&strings.Builder{}) != nil {
		t.Error("FileOf does not find the file")
	}
}
