package portal

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"hcscan/server"
)

// TestCatalogue: every text key a template or handler uses is in the
// catalogue in both languages, and so is every name drawn from a value
// (colours, verdicts, roles, states, institution types).
func TestCatalogue(t *testing.T) {
	files, _ := filepath.Glob("templates/*.html")
	goFiles, _ := filepath.Glob("*.go")
	uses := regexp.MustCompile(`(?:\.T|\.Tf|text\(lang(?:uage\(r\))?,|textf\(lang,|label:) "([a-z_]+\.[a-z_.]+)"`)
	keys := map[string]bool{}
	for _, f := range append(files, goFiles...) {
		if filepath.Ext(f) == ".go" && regexp.MustCompile(`_test\.go$`).MatchString(f) {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range uses.FindAllStringSubmatch(string(b), -1) {
			keys[m[1]] = true
		}
	}
	for _, m := range menu {
		keys[m.label] = true
	}
	for _, c := range exportColumns {
		keys[c] = true
	}
	for _, k := range []string{"colour.green", "colour.yellow", "colour.red", "colour.unknown", "verdict.pass", "verdict.stop", "verdict.invalid",
		"role.portal", "role.viewer", "role.tracing", "role.province", "state.pending", "state.approved", "state.refused"} {
		keys[k] = true
	}
	for _, k := range server.InstitutionKinds {
		keys["kind."+k] = true
	}
	if len(keys) < 100 {
		t.Fatalf("found only %d keys: the pattern misses the templates", len(keys))
	}
	for k := range keys {
		m, ok := catalogue[k]
		if !ok || m[0] == "" || m[1] == "" {
			t.Errorf("catalogue lacks %q in both languages", k)
		}
	}
}
