package tui

import (
	"log/slog"
	"time"

	"hcscan/healthcode"
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
	clock  func() healthcode.Moment
	// confirmable: the scanner syncs with a province, so a time the
	// province has not confirmed is worth saying.
	confirmable bool
	log         *slog.Logger
	bell        func() // nil: silent
	therm       Thermometer
}

// now is the time decisions use.
func (c *common) now() time.Time { return c.clock().Now }

// local is t in the institution's time zone (the clock's when none is set).
func (c *common) local(t time.Time) time.Time {
	if c.set.Location != nil {
		return t.In(c.set.Location)
	}
	return t.In(c.now().Location())
}

// T is the sentence key in the current language.
func (c *common) T(key string, a ...any) string { return tr(c.lang, key, a...) }

// en reports whether the interface is in English.
func (c *common) en() bool { return c.lang == "en" }

// compact says the terminal is too small for the roomy layout.
func (c *common) compact() bool { return c.width < 70 || c.height < 22 }
