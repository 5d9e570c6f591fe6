package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hcscan/camera"
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
	// A decimal frame rate and a folder's time per image.
	cfg, err = LoadConfig(writeConfig(t, "[camera]\nfps = 1.5\nimage_seconds = 2.5\n[gate]\nrepeat_window = \"5m\"\nkey_guard = \"0s\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Camera.FPS != 1.5 || cfg.Camera.ImageSeconds != 2.5 || cfg.Gate.RepeatWindow.Duration != 5*time.Minute || cfg.Gate.KeyGuard.Duration != 0 {
		t.Errorf("camera and gate values not read: %+v %+v", cfg.Camera, cfg.Gate)
	}
	src := camera.Source{Kind: camera.Folder, Path: "x"}
	if o := cameraOptions(cfg.Camera, src, nil); o.FPS != 1/2.5 {
		t.Errorf("a folder plays at %g images a second, want one every 2.5 s", o.FPS)
	}
	if o := cameraOptions(cfg.Camera, camera.Source{Kind: camera.Webcam}, nil); o.FPS != 1.5 {
		t.Errorf("a webcam is asked for %g fps, want 1.5", o.FPS)
	}
}

func TestConfigErrorsNameKeyAndLine(t *testing.T) {
	cases := []struct{ text, want string }{
		{"[gate]\nname = \"x\"\nfever_threshold = 50\n", ":3: gate.fever_threshold:"},
		{"[gate]\n\nfever_treshold = 37.3\n", `:3: unknown setting "gate.fever_treshold"`},
		{"[camera]\nfps = \"fast\"\n", ":2: camera.fps: incompatible types"},
		{"[camera]\nfps = 300.5\n", ":2: camera.fps: 300.5: must be between 0"},
		{"[camera]\nimage_seconds = 0\n", ":2: camera.image_seconds:"},
		{"[gate]\nkey_guard = \"5s\"\n", ":2: gate.key_guard:"},
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
