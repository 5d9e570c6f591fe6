package tui

import "github.com/charmbracelet/lipgloss"

// Styles are every look of the screen, built once by DefaultStyles and
// handed down in common; nothing here is a package variable.
type Styles struct {
	StatusBar   lipgloss.Style
	StatusWarn  lipgloss.Style
	StatusGood  lipgloss.Style
	Title       lipgloss.Style
	Label       lipgloss.Style
	Value       lipgloss.Style
	Faint       lipgloss.Style
	Warn        lipgloss.Style
	Error       lipgloss.Style
	Good        lipgloss.Style
	Selected    lipgloss.Style
	Footer      lipgloss.Style
	Box         lipgloss.Style
	VerdictPass lipgloss.Style // the big block, by colour
	VerdictWarn lipgloss.Style
	VerdictStop lipgloss.Style
	VerdictWait lipgloss.Style
	Ready       lipgloss.Style
}

// DefaultStyles are readable on dark and light terminals; with NO_COLOR
// (lipgloss falls back to plain text) the verdict is still carried by its
// big letters and symbol, never by colour alone.
func DefaultStyles() Styles {
	white := lipgloss.Color("15")
	black := lipgloss.Color("0")
	band := func(bg lipgloss.Color, fg lipgloss.Color) lipgloss.Style {
		return lipgloss.NewStyle().Background(bg).Foreground(fg).Bold(true).
			Border(lipgloss.ThickBorder()).BorderForeground(bg).Padding(0, 1)
	}
	return Styles{
		StatusBar:   lipgloss.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "235", Dark: "252"}),
		StatusWarn:  lipgloss.NewStyle().Foreground(lipgloss.Color("214")).Bold(true),
		StatusGood:  lipgloss.NewStyle().Foreground(lipgloss.Color("42")),
		Title:       lipgloss.NewStyle().Bold(true),
		Label:       lipgloss.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "240", Dark: "246"}),
		Value:       lipgloss.NewStyle().Bold(true),
		Faint:       lipgloss.NewStyle().Faint(true),
		Warn:        lipgloss.NewStyle().Foreground(lipgloss.Color("214")).Bold(true),
		Error:       lipgloss.NewStyle().Foreground(lipgloss.Color("196")).Bold(true),
		Good:        lipgloss.NewStyle().Foreground(lipgloss.Color("42")).Bold(true),
		Selected:    lipgloss.NewStyle().Reverse(true).Bold(true),
		Footer:      lipgloss.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "240", Dark: "246"}),
		Box:         lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).Padding(0, 1),
		VerdictPass: band(lipgloss.Color("28"), white),
		VerdictWarn: band(lipgloss.Color("178"), black),
		VerdictStop: band(lipgloss.Color("160"), white),
		VerdictWait: band(lipgloss.Color("240"), white),
		Ready:       lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(lipgloss.Color("33")).Padding(1, 2),
	}
}
