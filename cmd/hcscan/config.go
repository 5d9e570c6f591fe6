package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"hcscan/healthcode"
)

// Config is config.example.toml, loaded and checked.
type Config struct {
	Data   DataConfig   `toml:"data"`
	Gate   GateConfig   `toml:"gate"`
	Camera CameraConfig `toml:"camera"`
	Server ServerConfig `toml:"server"`
	UI     UIConfig     `toml:"ui"`

	path string // where it was loaded from; "" for defaults
}

type DataConfig struct {
	Dir           string `toml:"dir"`
	RetentionDays int    `toml:"retention_days"`
}

type GateConfig struct {
	Institution     string   `toml:"institution"`
	Name            string   `toml:"name"`
	TakeTemperature bool     `toml:"take_temperature"`
	FeverThreshold  float64  `toml:"fever_threshold"`
	StaleAfter      Duration `toml:"stale_after"`
	AutoNext        Duration `toml:"auto_next"`
	VerdictHold     Duration `toml:"verdict_hold"`
	KeyGuard        Duration `toml:"key_guard"`
	RepeatWindow    Duration `toml:"repeat_window"`
	Bell            bool     `toml:"bell"`
	TimeZone        string   `toml:"time_zone"`
	RosterOnly      bool     `toml:"roster_only"`
}

type CameraConfig struct {
	Source       string   `toml:"source"`
	Width        int      `toml:"width"`
	Height       int      `toml:"height"`
	FPS          float64  `toml:"fps"`
	ImageSeconds float64  `toml:"image_seconds"`
	Cooldown     Duration `toml:"cooldown"`
}

type ServerConfig struct {
	URL             string   `toml:"url"`
	RootFingerprint string   `toml:"root_fingerprint"`
	SyncInterval    Duration `toml:"sync_interval"`
	OnlineCheck     Duration `toml:"online_check_timeout"`
}

type UIConfig struct {
	Language string   `toml:"language"`
	IdleLock Duration `toml:"idle_lock"`
	LogFile  string   `toml:"log_file"`
}

// Duration reads "30s", "24h" from TOML.
type Duration struct{ time.Duration }

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration like 30s, 5m or 24h", b)
	}
	d.Duration = v
	return nil
}

func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// DefaultConfig is what hcscan uses when a setting is not given.
func DefaultConfig() Config {
	return Config{
		Data: DataConfig{Dir: defaultDataDir(), RetentionDays: 28},
		Gate: GateConfig{
			Institution: "", Name: "gate", TakeTemperature: true, FeverThreshold: 37.3,
			StaleAfter: Duration{24 * time.Hour}, AutoNext: Duration{2 * time.Second}, Bell: true,
			VerdictHold: Duration{time.Second}, KeyGuard: Duration{300 * time.Millisecond}, RepeatWindow: Duration{10 * time.Minute},
		},
		Camera: CameraConfig{Source: "0", Width: 1280, Height: 720, FPS: 30, ImageSeconds: 3, Cooldown: Duration{5 * time.Second}},
		Server: ServerConfig{SyncInterval: Duration{30 * time.Second}, OnlineCheck: Duration{800 * time.Millisecond}},
		UI:     UIConfig{Language: "zh", IdleLock: Duration{10 * time.Minute}},
	}
}

func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "hcscan")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "hcscan")
	}
	return "hcscan-data"
}

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, rest)
		}
	}
	return p
}

// configPath picks the file: the flag, $HCSCAN_CONFIG, or the user's
// config dir if a file is there ("" means defaults only).
func configPath(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if p := os.Getenv("HCSCAN_CONFIG"); p != "" {
		return p
	}
	if d, err := os.UserConfigDir(); err == nil {
		p := filepath.Join(d, "hcscan", "config.toml")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// LoadConfig reads path over the defaults. Every error names the file, the
// line and the key, so an operator can fix it.
func LoadConfig(path string) (Config, error) {
	cfg := DefaultConfig()
	if path == "" {
		return cfg, nil
	}
	cfg.path = path
	text, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	md, err := toml.Decode(string(text), &cfg)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			key := pe.LastKey
			line := pe.Position.Line
			if line == 0 && key != "" {
				line = keyLine(string(text), key)
			}
			msg := pe.Message
			if pe.Usage != "" && !strings.Contains(msg, pe.Usage) {
				msg += " (" + pe.Usage + ")"
			}
			if key != "" {
				return cfg, fmt.Errorf("%s:%d: %s: %s", path, line, key, msg)
			}
			return cfg, fmt.Errorf("%s:%d: %s", path, line, msg)
		}
		if m := tomlLineErr.FindStringSubmatch(err.Error()); m != nil {
			return cfg, fmt.Errorf("%s:%s: %s: %s", path, m[1], m[2], m[3])
		}
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		k := und[0].String()
		return cfg, fmt.Errorf("%s:%d: unknown setting %q (see config.example.toml for the settings there are)", path, keyLine(string(text), k), k)
	}
	cfg.Data.Dir = expandHome(cfg.Data.Dir)
	cfg.UI.LogFile = expandHome(cfg.UI.LogFile)
	if err := cfg.check(); err != nil {
		var ke *keyError
		if errors.As(err, &ke) {
			return cfg, fmt.Errorf("%s:%d: %s: %s", path, keyLine(string(text), ke.key), ke.key, ke.msg)
		}
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// tomlLineErr matches the decoder's type errors, which are not ParseErrors.
var tomlLineErr = regexp.MustCompile(`line (\d+) \(last key "([^"]*)"\): (.*)`)

type keyError struct{ key, msg string }

func (e *keyError) Error() string { return e.key + ": " + e.msg }

func bad(key, format string, a ...any) error { return &keyError{key, fmt.Sprintf(format, a...)} }

// check validates values a type cannot.
func (c *Config) check() error {
	switch {
	case c.Data.RetentionDays < 1:
		return bad("data.retention_days", "must be 1 or more days, got %d", c.Data.RetentionDays)
	case c.Gate.FeverThreshold < 36 || c.Gate.FeverThreshold > 39:
		return bad("gate.fever_threshold", "%.1f °C is not a plausible fever threshold (the rule is 37.3)", c.Gate.FeverThreshold)
	case c.Gate.StaleAfter.Duration <= 0:
		return bad("gate.stale_after", "must be positive, e.g. 24h")
	case c.Gate.AutoNext.Duration < 0 || c.Gate.AutoNext.Duration > time.Minute:
		return bad("gate.auto_next", "must be between 0s and 1m")
	case strings.TrimSpace(c.Camera.Source) == "":
		return bad("camera.source", "empty: give a webcam number (0), a video file, an image folder or a URL")
	case c.Gate.VerdictHold.Duration < 0 || c.Gate.VerdictHold.Duration > 10*time.Second:
		return bad("gate.verdict_hold", "must be between 0s and 10s")
	case c.Gate.KeyGuard.Duration < 0 || c.Gate.KeyGuard.Duration > 2*time.Second:
		return bad("gate.key_guard", "must be between 0s (off) and 2s")
	case c.Gate.RepeatWindow.Duration < 0 || c.Gate.RepeatWindow.Duration > 24*time.Hour:
		return bad("gate.repeat_window", "must be between 0s (off) and 24h")
	case c.Camera.Width < 0 || c.Camera.Height < 0:
		return bad("camera.width", "width and height must not be negative")
	case c.Camera.FPS < 0 || c.Camera.FPS > 240:
		return bad("camera.fps", "%g: must be between 0 (the camera's own rate) and 240; a decimal such as 7.5 is fine", c.Camera.FPS)
	case c.Camera.ImageSeconds < 0.1 || c.Camera.ImageSeconds > 600:
		return bad("camera.image_seconds", "%g: how long each image of a folder is shown, between 0.1 and 600 seconds", c.Camera.ImageSeconds)
	case c.Camera.Cooldown.Duration < 0:
		return bad("camera.cooldown", "must not be negative")
	case c.Server.URL != "" && !strings.HasPrefix(c.Server.URL, "http://") && !strings.HasPrefix(c.Server.URL, "https://"):
		return bad("server.url", "%q must start with https:// (or http:// on a private network)", c.Server.URL)
	case c.Server.RootFingerprint != "" && !regexp.MustCompile(`^[0-9a-f]{16,64}$`).MatchString(c.Server.RootFingerprint):
		return bad("server.root_fingerprint", "want the hex fingerprint printed by `hcserver keys init`")
	case c.Server.SyncInterval.Duration < time.Second:
		return bad("server.sync_interval", "must be at least 1s")
	case c.Server.OnlineCheck.Duration < 0 || c.Server.OnlineCheck.Duration > 10*time.Second:
		return bad("server.online_check_timeout", "must be between 0s (off) and 10s")
	case c.UI.Language != "zh" && c.UI.Language != "en":
		return bad("ui.language", "%q: choose zh or en", c.UI.Language)
	case c.UI.IdleLock.Duration < 0:
		return bad("ui.idle_lock", "must not be negative (0 turns the lock off)")
	}
	if _, err := c.Location(); err != nil {
		return bad("gate.time_zone", "%q is not a time zone like Asia/Shanghai", c.Gate.TimeZone)
	}
	return nil
}

// Location is the institution's time zone: its "today" (counts, today's
// records, the default export day) and the times shown. Empty: this
// laptop's zone.
func (c *Config) Location() (*time.Location, error) {
	if c.Gate.TimeZone == "" {
		return time.Local, nil
	}
	return time.LoadLocation(c.Gate.TimeZone)
}

// Policy is the gate's verdict rule from the configuration.
func (c *Config) Policy() healthcode.Policy {
	return healthcode.Policy{
		TakeTemperature: c.Gate.TakeTemperature,
		FeverAt:         healthcode.Temperature(c.Gate.FeverThreshold*10 + 0.5),
		StaleAfter:      c.Gate.StaleAfter.Duration,
	}
}

// keyLine finds the line where a dotted key ("gate.fever_threshold") is set.
func keyLine(text, dotted string) int {
	parts := strings.Split(dotted, ".")
	leaf := parts[len(parts)-1]
	table := strings.Join(parts[:len(parts)-1], ".")
	current := ""
	for i, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "[") {
			current = strings.Trim(t, "[] \t")
			if current == dotted {
				return i + 1
			}
			continue
		}
		if current != table {
			continue
		}
		if k, _, ok := strings.Cut(t, "="); ok && strings.Trim(strings.TrimSpace(k), `"`) == leaf {
			return i + 1
		}
	}
	return 0
}
