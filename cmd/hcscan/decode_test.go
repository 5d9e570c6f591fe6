package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hcscan/camera"
)

func qrCorpus(t *testing.T) string {
	dir := os.Getenv("HCSCAN_QR_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "testdata", "qr")
	}
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
		t.Fatalf("QR corpus not found at %s (or set HCSCAN_QR_CORPUS): %v", dir, err)
	}
	return filepath.Join(dir, "zxing-blackbox")
}

// TestDecodeCommand: text output escapes the control bytes of qrcode-2/33,
// --json keeps them exactly and adds the non-UTF-8 bytes, an image without
// a code is exit 1 with an error, and a missing path is a usage error.
func TestDecodeCommand(t *testing.T) {
	dir := qrCorpus(t)
	img := filepath.Join(dir, "qrcode-2", "33.png")
	want, _ := os.ReadFile(filepath.Join(dir, "qrcode-2", "33.txt"))

	var out, errOut bytes.Buffer
	if code := decodeCommand(context.Background(), []string{img}, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut.String())
	}
	fields := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\t")
	if len(fields) != 3 || fields[0] != img || fields[1] != `\x01\x10AD:SUB:阿;;` || !strings.HasSuffix(fields[2], " ms") {
		t.Errorf("text line = %q", out.String())
	}

	out.Reset()
	noCode := filepath.Join(dir, "qrcode-2", "13.png") // no decoder reads this one
	if code := decodeCommand(context.Background(), []string{"--json", img, noCode}, &out, &errOut); code != exitInvalid {
		t.Errorf("exit %d with an unreadable image, want %d", code, exitInvalid)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("json output %q", out.String())
	}
	var first, second map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	if first["text"] != string(want) || first["path"] != img || first["ms"] == nil || first["index"] != 1.0 || first["of"] != 1.0 {
		t.Errorf("first json line %v", first)
	}
	// Two control bytes and GB2312 in the QR's Hanzi mode: the text is a
	// reading of those bytes, raw is what the code holds, byte for byte as
	// zxing-cpp 2 reports it.
	if first["raw"] != "ARBBRDpTVUI6sKI7Ow==" {
		t.Errorf("raw = %v, want the code's bytes in base64", first["raw"])
	}
	if c, ok := first["corners"].([]any); !ok || len(c) != 4 {
		t.Errorf("corners = %v, want four points", first["corners"])
	}
	if second["error"] != camera.ErrNoCode.Error() || second["text"] != nil {
		t.Errorf("second json line %v", second)
	}

	// Shift_JIS bytes without an ECI: the text is a charset guess, so the
	// bytes come too (zxing-cpp 2 reports the same ones); a UTF-8 code has none.
	out.Reset()
	sjis, utf := filepath.Join(dir, "qrcode-2", "17.png"), filepath.Join(dir, "qrcode-2", "30.png")
	if code := decodeCommand(context.Background(), []string{"--json", sjis, utf}, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut.String())
	}
	lines = strings.Split(strings.TrimSpace(out.String()), "\n")
	var sj, u map[string]any
	if len(lines) != 2 || json.Unmarshal([]byte(lines[0]), &sj) != nil || json.Unmarshal([]byte(lines[1]), &u) != nil {
		t.Fatalf("json output %q", out.String())
	}
	if sj["raw"] != "w9673rLdUVINCmh0dHA6Ly9kLXFyLm5ldC9leC8=" || u["raw"] != nil || u["text"] != "MECARD:N:測試;;" {
		t.Errorf("raw bytes: Shift_JIS line %v, UTF-8 line %v", sj, u)
	}

	// A picture with two codes (a small one printed inside a big one) gives
	// two lines, the outer code first.
	out.Reset()
	two := filepath.Join(dir, "qrcode-2", "16.png")
	if code := decodeCommand(context.Background(), []string{"--json", two}, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut.String())
	}
	lines = strings.Split(strings.TrimSpace(out.String()), "\n")
	var outer, inner map[string]any
	if len(lines) != 2 || json.Unmarshal([]byte(lines[0]), &outer) != nil || json.Unmarshal([]byte(lines[1]), &inner) != nil {
		t.Fatalf("json output for two codes %q", out.String())
	}
	wantOuter, _ := os.ReadFile(filepath.Join(dir, "qrcode-2", "16.txt"))
	if outer["text"] != string(wantOuter) || outer["index"] != 1.0 || outer["of"] != 2.0 || inner["index"] != 2.0 ||
		!strings.HasPrefix(inner["text"].(string), "[内側QRコード]") {
		t.Errorf("two codes: %v and %v", outer, inner)
	}

	if code := decodeCommand(context.Background(), []string{filepath.Join(t.TempDir(), "none.png")}, &out, &errOut); code != exitUsage {
		t.Errorf("missing file: exit %d, want %d", code, exitUsage)
	}
}

func TestCamerasWithoutDevices(t *testing.T) {
	var out, errOut bytes.Buffer
	code := camerasCommand(nil, &out, &errOut, func() []camera.Device { return nil })
	if code != exitInvalid || !strings.Contains(errOut.String(), "no video devices found") {
		t.Errorf("exit %d, stderr %q", code, errOut.String())
	}
}
