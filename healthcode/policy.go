package healthcode

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Temperature is a body temperature in tenths of a degree Celsius, so that
// 37.3 compares exactly. Zero means not taken.
type Temperature int

// Limits of a plausible reading: outside them it is a typo, not a fever.
const (
	MinTemperature Temperature = 340
	MaxTemperature Temperature = 425
	FeverThreshold Temperature = 373 // 37.3 °C and above is a fever
)

func (t Temperature) String() string {
	if t == 0 {
		return "-"
	}
	return fmt.Sprintf("%d.%d", int(t)/10, int(t)%10)
}

// Celsius returns the reading as a float, for JSON and display.
func (t Temperature) Celsius() float64 { return float64(t) / 10 }

// MarshalJSON writes a number (36.6) or null when not taken.
func (t Temperature) MarshalJSON() ([]byte, error) {
	if t == 0 {
		return []byte("null"), nil
	}
	return []byte(t.String()), nil
}

// UnmarshalJSON reads a number or null.
func (t *Temperature) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		*t = 0
		return nil
	}
	v, err := parseTenths(s)
	if err != nil {
		return err
	}
	*t = v
	return nil
}

func parseTenths(s string) (Temperature, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, err
	}
	if f < 0 || f > 100 {
		return 0, fmt.Errorf("temperature %s out of range", s)
	}
	return Temperature(f*10 + 0.5), nil
}

// ParseTemperature reads what an operator typed: "36.6" (or "36,6"), or
// three digits without the point ("366"), read with one decimal when that
// is a plausible reading (one key fewer at the door). Only 34.0–42.5 °C is
// accepted; anything else is a typo to be typed again.
func ParseTemperature(s string) (Temperature, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, ",", "."))
	if s == "" {
		return 0, fmt.Errorf("no temperature typed")
	}
	if len(s) == 3 && strings.Trim(s, "0123456789") == "" {
		if t, _ := strconv.Atoi(s); Temperature(t) >= MinTemperature && Temperature(t) <= MaxTemperature {
			return Temperature(t), nil
		}
	}
	if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i-1 > 1 {
		return 0, fmt.Errorf("temperature %q: one decimal place, e.g. 36.6", s)
	}
	t, err := parseTenths(s)
	if err != nil {
		return 0, fmt.Errorf("temperature %q is not a number like 36.6", s)
	}
	if t < MinTemperature || t > MaxTemperature {
		return 0, fmt.Errorf("temperature %s °C is outside %s–%s °C: probably a typo, measure again", t, MinTemperature, MaxTemperature)
	}
	return t, nil
}

// Policy is the gate's rule.
type Policy struct {
	TakeTemperature bool          // this gate measures temperature
	FeverAt         Temperature   // default 37.3 °C
	StaleAfter      time.Duration // status data older than this: provisional (default 24 h)
}

// DefaultPolicy is the rule at every door: green code + normal temperature.
func DefaultPolicy() Policy {
	return Policy{TakeTemperature: true, FeverAt: FeverThreshold, StaleAfter: 24 * time.Hour}
}

func (p Policy) feverAt() Temperature {
	if p.FeverAt > 0 {
		return p.FeverAt
	}
	return FeverThreshold
}

// Decision is the door's verdict on one person.
type Decision struct {
	Verdict            Verdict
	Fever              bool
	NeedTemperature    bool        // the verdict waits for a temperature reading
	OfferRemeasure     bool        // fever on the first reading: measure once more
	Provisional        bool        // status data was stale, or the clock unsure: may change when sync catches up
	DefaultDisposition Disposition // pre-selected for the operator
	Alternatives       []Disposition
	Printed            bool // a static code (paper or screenshot): check photo ID
	Unlisted           bool // not on the institution's roster at a roster-only gate (see NotListed)
}

// Decide applies the policy to a verification result and a temperature
// (0 when not taken yet). remeasured says the reading is the second one.
func (p Policy) Decide(res Result, temp Temperature, remeasured bool) Decision {
	d := Decision{Printed: res.Valid && !res.Dynamic, Provisional: res.Valid && (res.StatusStale || res.ClockUnsure)}
	switch {
	case !res.Valid:
		d.Verdict = VerdictInvalid
		d.DefaultDisposition = DispositionPersuadeReturn
		d.Alternatives = Dispositions
		return d
	case res.EffectiveColour == Red:
		d.Verdict = VerdictStop
		d.DefaultDisposition = DispositionSendToClinic
		d.Alternatives = []Disposition{DispositionSendToClinic, DispositionCentralQuarantine, DispositionPass}
	case res.EffectiveColour == Yellow:
		d.Verdict = VerdictStop
		d.DefaultDisposition = DispositionPersuadeReturn
		d.Alternatives = []Disposition{DispositionPersuadeReturn, DispositionHomeQuarantine, DispositionPass}
	case res.EffectiveColour == Green:
		d.Verdict = VerdictPass
		d.DefaultDisposition = DispositionPass
	default:
		d.Verdict = VerdictInvalid
		d.DefaultDisposition = DispositionPersuadeReturn
		d.Alternatives = Dispositions
		return d
	}
	if !p.TakeTemperature {
		return d
	}
	if temp == 0 {
		d.NeedTemperature = true
		return d
	}
	if temp >= p.feverAt() {
		d.Fever = true
		d.OfferRemeasure = !remeasured
		if d.Verdict == VerdictPass {
			d.Verdict = VerdictStop
			d.DefaultDisposition = DispositionSendToClinic
		}
		d.Alternatives = Dispositions
	}
	return d
}
