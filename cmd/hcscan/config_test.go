package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExampleConfigLoadsAsDefaults(t *testing.T) {
	t.Setenv("HOME", "/home/op")
	t.Setenv("XDG_DATA_HOME", "")
	cfg, err := LoadConfig("../../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	def := DefaultConfig()
	cfg.path = ""
	if cfg != def {
		t.Errorf("config.example.toml differs from the defaults:\n got %+v\nwant %+v", cfg, def)
	}
}

func TestConfigValues(t *testing.T) {
	cfg, err := LoadConfig(writeConfig(t, "[gate]\nname = \"East gate\"\nfever_threshold = 37.5\ntake_temperature = false\nstale_after = \"6h\"\n[ui]\nlanguage = \"en\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Gate.Name != "East gate" || cfg.Gate.TakeTemperature || cfg.Gate.StaleAfter.Duration != 6*time.Hour || cfg.UI.Language != "en" {
		t.Errorf("values not read: %+v", cfg)
	}
	if p := cfg.Policy(); p.FeverAt != 375 || p.TakeTemperature {
		t.Errorf("policy %+v", p)
	}
}

func TestConfigErrorsNameKeyAndLine(t *testing.T) {
	cases := []struct{ text, want string }{
		{"[gate]\nname = \"x\"\nfever_threshold = 50\n", ":3: gate.fever_threshold:"},
		{"[gate]\n\nfever_treshold = 37.3\n", `:3: unknown setting "gate.fever_treshold"`},
		{"[camera]\nfps = \"fast\"\n", ":2: camera.fps: incompatible types"},
		{"[ui]\nlanguage = \"fr\"\n", ":2: ui.language:"},
		{"[gate]\nstale_after = \"a day\"\n", ":2:"},
		{"[server]\nurl = \"ftp://x\"\n", ":2: server.url:"},
		{"[gate\nname = 1\n", "to end table name"},
	}
	for _, c := range cases {
		_, err := LoadConfig(writeConfig(t, c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("config %q: error %v, want it to contain %q", c.text, err, c.want)
		}
	}
}
