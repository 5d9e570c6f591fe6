package healthcode

import (
	"fmt"
	"strings"
)

// Colour is the colour of a health pass code.
type Colour uint8

const (
	ColourUnknown Colour = 0
	Green         Colour = 1
	Yellow        Colour = 2
	Red           Colour = 3
)

func (c Colour) String() string {
	switch c {
	case Green:
		return "green"
	case Yellow:
		return "yellow"
	case Red:
		return "red"
	}
	return "unknown"
}

// Valid reports whether c is one of green, yellow or red.
func (c Colour) Valid() bool { return c == Green || c == Yellow || c == Red }

// ParseColour reads "green", "yellow" or "red" (also 绿/黄/红).
func ParseColour(s string) (Colour, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "green", "绿", "绿码":
		return Green, nil
	case "yellow", "黄", "黄码":
		return Yellow, nil
	case "red", "红", "红码":
		return Red, nil
	}
	return ColourUnknown, fmt.Errorf("unknown colour %q (want green, yellow or red)", s)
}

// MarshalText writes the colour as its English name.
func (c Colour) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads the colour from its English name ("unknown" for none).
func (c *Colour) UnmarshalText(b []byte) error {
	if string(b) == "unknown" || len(b) == 0 {
		*c = ColourUnknown
		return nil
	}
	v, err := ParseColour(string(b))
	*c = v
	return err
}

// Verdict is what the door decides.
type Verdict uint8

const (
	VerdictNone    Verdict = 0
	VerdictPass    Verdict = 1 // 通行
	VerdictStop    Verdict = 2 // 停止
	VerdictInvalid Verdict = 3 // 无效: the code could not be verified
)

func (v Verdict) String() string {
	switch v {
	case VerdictPass:
		return "pass"
	case VerdictStop:
		return "stop"
	case VerdictInvalid:
		return "invalid"
	}
	return "none"
}

func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

func (v *Verdict) UnmarshalText(b []byte) error {
	switch string(b) {
	case "pass":
		*v = VerdictPass
	case "stop":
		*v = VerdictStop
	case "invalid":
		*v = VerdictInvalid
	case "none", "":
		*v = VerdictNone
	default:
		return fmt.Errorf("unknown verdict %q", b)
	}
	return nil
}

// Disposition is what the operator decided to do with a person who was stopped.
type Disposition uint8

const (
	DispositionNone              Disposition = 0
	DispositionSendToClinic      Disposition = 1 // 送医
	DispositionPersuadeReturn    Disposition = 2 // 劝返
	DispositionCentralQuarantine Disposition = 3 // 集中隔离
	DispositionHomeQuarantine    Disposition = 4 // 居家隔离
	DispositionPass              Disposition = 5 // 通行 (after checks, or a normal pass)
	// DispositionNotListed refuses entry at a roster-only gate (a
	// kindergarten) to someone who is not one of the institution's people.
	DispositionNotListed Disposition = 6 // 不在名单，谢绝入内
)

// Dispositions lists the choices in the order an operator sees them.
var Dispositions = []Disposition{
	DispositionSendToClinic, DispositionPersuadeReturn, DispositionCentralQuarantine,
	DispositionHomeQuarantine, DispositionPass,
}

func (d Disposition) String() string {
	switch d {
	case DispositionSendToClinic:
		return "send_to_clinic"
	case DispositionPersuadeReturn:
		return "persuade_return"
	case DispositionCentralQuarantine:
		return "central_quarantine"
	case DispositionHomeQuarantine:
		return "home_quarantine"
	case DispositionPass:
		return "pass"
	case DispositionNotListed:
		return "not_listed"
	}
	return "none"
}

// Label is the disposition's name for the operator in lang ("zh" or "en").
func (d Disposition) Label(lang string) string {
	zh := map[Disposition]string{
		DispositionSendToClinic: "送医", DispositionPersuadeReturn: "劝返",
		DispositionCentralQuarantine: "集中隔离", DispositionHomeQuarantine: "居家隔离",
		DispositionPass: "通行", DispositionNotListed: "不在名单，谢绝入内",
	}
	en := map[Disposition]string{
		DispositionSendToClinic: "send to clinic", DispositionPersuadeReturn: "persuade to return",
		DispositionCentralQuarantine: "centralised quarantine", DispositionHomeQuarantine: "home quarantine",
		DispositionPass: "pass after checks", DispositionNotListed: "not on our list: refuse entry",
	}
	if lang == "en" {
		if s, ok := en[d]; ok {
			return s
		}
		return "none"
	}
	if s, ok := zh[d]; ok {
		return s
	}
	return "无"
}

func (d Disposition) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func (d *Disposition) UnmarshalText(b []byte) error {
	for _, x := range append([]Disposition{DispositionNone, DispositionNotListed}, Dispositions...) {
		if x.String() == string(b) {
			*d = x
			return nil
		}
	}
	if len(b) == 0 {
		*d = DispositionNone
		return nil
	}
	return fmt.Errorf("unknown disposition %q", b)
}
