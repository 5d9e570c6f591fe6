package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hcscan/healthcode"
	"hcscan/internal/pemkey"
)

var binDir string

// TestMain builds the two real binaries once; the tests drive them as an
// operator would.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hcscan-cli")
	if err != nil {
		panic(err)
	}
	binDir = dir
	cmd := exec.Command("go", "build", "-o", dir+"/", "hcscan/cmd/hcscan", "hcscan/cmd/hcserver")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		panic("build: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func run(t testing.TB, stdin string, name string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, name), args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func TestKeysIssueVerify(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys")
	out, stderr, code := run(t, "", "hcserver", "keys", "init", "--dir", keys)
	if code != 0 || !strings.Contains(out, "fingerprint") {
		t.Fatalf("keys init: %d %s %s", code, out, stderr)
	}
	for _, f := range []string{"root.key", "server.key", "issuer-110000.key", "issuer-310000.key", "subject.key"} {
		st, err := os.Stat(filepath.Join(keys, f))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v mode %v, want 0600", f, err, st.Mode())
		}
	}
	if _, stderr, code := run(t, "", "hcserver", "keys", "init", "--dir", keys); code != 2 || !strings.Contains(stderr, "refusing to overwrite") {
		t.Errorf("second keys init: %d %s", code, stderr)
	}
	if out, _, code := run(t, "", "hcserver", "trust-list", "--dir", keys); code != 0 || !strings.Contains(out, "sequence 2") {
		t.Errorf("trust-list did not raise the sequence: %s", out)
	}
	trust := filepath.Join(keys, "trust.json")

	type verdict struct {
		Valid    bool      `json:"valid"`
		Colour   string    `json:"colour"`
		Verdict  string    `json:"verdict"`
		Reason   string    `json:"reason"`
		Name     string    `json:"name_masked"`
		ID       string    `json:"id_masked"`
		Region   string    `json:"region"`
		Expires  time.Time `json:"expires"`
		Dynamic  bool      `json:"dynamic"`
		TrustSeq uint64    `json:"trust_list_seq"`
	}
	verify := func(payload string, wantCode int) verdict {
		t.Helper()
		out, stderr, code := run(t, payload, "hcscan", "verify", "--json", "--trust", trust, "-")
		if code != wantCode {
			t.Fatalf("verify exit %d, want %d: %s %s", code, wantCode, out, stderr)
		}
		var v verdict
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("verify --json: %v in %q", err, out)
		}
		return v
	}
	for _, c := range []struct{ colour, verdict, lang, region string }{
		{"green", "pass", "zh", "110000"}, {"yellow", "stop", "ko", "310000"}, {"red", "stop", "fr", "440300"},
	} {
		pngPath := filepath.Join(t.TempDir(), c.colour+".png")
		out, stderr, code := run(t, "", "hcserver", "issue", "--dir", keys, "--colour", c.colour, "--name", "张三丰",
			"--id", "110105199001011234", "--lang", c.lang, "--region", c.region, "--png", pngPath, "--expires", "24h")
		if code != 0 {
			t.Fatalf("issue %s: %s", c.colour, stderr)
		}
		payload := strings.TrimSpace(out)
		v := verify(payload, 0)
		if !v.Valid || v.Colour != c.colour || v.Verdict != c.verdict || v.Name != "张*丰" || v.ID != "110***********1234" ||
			v.Region != c.region || v.TrustSeq != 2 || time.Until(v.Expires) > 24*time.Hour || time.Until(v.Expires) < 23*time.Hour {
			t.Errorf("%s: %+v", c.colour, v)
		}
		// The PNG holds exactly the printed payload, as the scanner reads it
		// (plain gozxing misses about one generated code in ten).
		dout, derr, code := run(t, "", "hcscan", "decode", "--json", pngPath)
		var dec struct {
			Text string `json:"text"`
		}
		if code != 0 || json.Unmarshal([]byte(dout), &dec) != nil || dec.Text != payload {
			t.Errorf("%s PNG decodes to %q (exit %d, %s)", c.colour, dout, code, derr)
		}
	}
	out, _, _ = run(t, "", "hcserver", "issue", "--dir", keys, "--name", "Anna", "--id", "C1234567", "--dynamic")
	if v := verify(strings.TrimSpace(out), 0); !v.Dynamic || v.Verdict != "pass" {
		t.Errorf("dynamic: %+v", v)
	}
	out, _, _ = run(t, "", "hcserver", "issue", "--dir", keys, "--name", "Old", "--id", "C1234567", "--issued-at", time.Now().Add(-80*time.Hour).Format(time.RFC3339))
	if v := verify(strings.TrimSpace(out), 1); v.Valid || v.Reason != "expired" || v.Verdict != "invalid" {
		t.Errorf("expired: %+v", v)
	}
	if v := verify("not a code", 1); v.Reason != "bad_prefix" {
		t.Errorf("garbage: %+v", v)
	}
	// A code from another province's keys (a forger's) is refused.
	other := filepath.Join(t.TempDir(), "other")
	run(t, "", "hcserver", "keys", "init", "--dir", other)
	out, _, _ = run(t, "", "hcserver", "issue", "--dir", other, "--name", "X", "--id", "C1234567")
	if v := verify(strings.TrimSpace(out), 1); v.Reason != "unknown_kid" {
		t.Errorf("forged: %+v", v)
	}
	// Every code of one person carries the same person key; another
	// province's subject key gives another; --person-key=false leaves it out.
	personKey := func(dir, payload string) healthcode.PersonKey {
		t.Helper()
		root, err := pemkey.ReadPublic(filepath.Join(dir, "root.pub"))
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(dir, "trust.json"))
		if err != nil {
			t.Fatal(err)
		}
		tl, err := healthcode.ParseTrustList(data, root, 0)
		if err != nil {
			t.Fatal(err)
		}
		r := (&healthcode.Verifier{Trust: tl}).Verify(strings.TrimSpace(payload), time.Now())
		if !r.Valid {
			t.Fatalf("issued code does not verify: %s", r.Reason)
		}
		return r.Claims.PersonKey
	}
	issue := func(dir string, args ...string) string {
		t.Helper()
		out, stderr, code := run(t, "", "hcserver", append([]string{"issue", "--dir", dir, "--name", "李四"}, args...)...)
		if code != 0 {
			t.Fatalf("issue %v: %s", args, stderr)
		}
		return out
	}
	first := personKey(keys, issue(keys, "--id", "11010519900101123X"))
	again := personKey(keys, issue(keys, "--id", "11010519900101123x", "--colour", "yellow", "--dynamic"))
	if first.IsZero() || first != again {
		t.Errorf("two codes of one person: person keys %s and %s", first, again)
	}
	if k := personKey(other, issue(other, "--id", "11010519900101123X")); k == first || k.IsZero() {
		t.Errorf("another province gives the same person key %s", k)
	}
	if k := personKey(keys, issue(keys, "--id", "11010519900101123X", "--id-type", "passport")); k == first {
		t.Error("--id-type is not part of the person key")
	}
	if k := personKey(keys, issue(keys, "--id", "11010519900101123X", "--person-key=false")); !k.IsZero() {
		t.Errorf("--person-key=false: the code carries %s", k)
	}
	if _, stderr, code := run(t, "", "hcserver", "issue", "--dir", keys, "--name", "X", "--id", "1", "--id-type", "library-card"); code != 2 || !strings.Contains(stderr, "ID type") {
		t.Errorf("unknown --id-type: %d %s", code, stderr)
	}
	// The human line, and usage errors.
	out, _, code = run(t, "", "hcscan", "verify", "--trust", trust, "HCN1:%%%")
	if code != 1 || !strings.Contains(out, "INVALID") {
		t.Errorf("human line: %d %q", code, out)
	}
	if _, stderr, code := run(t, "", "hcscan", "verify", "x"); code != 2 || !strings.Contains(stderr, "--trust") {
		t.Errorf("missing --trust: %d %s", code, stderr)
	}
	if _, _, code := run(t, "", "hcserver", "issue", "--dir", keys, "--name", "X", "--id", "1", "--expires", "100h"); code != 2 {
		t.Errorf("--expires 100h accepted")
	}
	if _, stderr, code := run(t, "", "hcserver", "issue", "--dir", keys, "--name", "X", "--id", "1", "--region", "990000"); code != 2 || !strings.Contains(stderr, "GB/T 2260") {
		t.Errorf("bad region: %d %s", code, stderr)
	}
}
