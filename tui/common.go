package tui

import (
	"log/slog"
	"time"
)

// common is what every screen needs, handed down explicitly (one pointer
// shared by the screens, so a resize or a language switch reaches all).
type common struct {
	styles Styles
	keys   KeyMap
	width  int
	height int
	lang   string
	set    Settings
	now    func() time.Time
	log    *slog.Logger
	bell   func() // nil: silent
	therm  Thermometer
}

// T is the sentence key in the current language.
func (c *common) T(key string, a ...any) string { return tr(c.lang, key, a...) }

// en reports whether the interface is in English.
func (c *common) en() bool { return c.lang == "en" }

// compact says the terminal is too small for the roomy layout.
func (c *common) compact() bool { return c.width < 70 || c.height < 22 }
