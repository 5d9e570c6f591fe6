package tui

import (
	"fmt"

	tea "github.com/charmbracelet/bubbletea"

	"hcscan/healthcode"
)

// The temperature step: the reading as the operator types it (digits, a
// point, Enter; "365" is 36.5 °C), or as a thermometer that types like a
// keyboard sends it, checked for plausibility before the decision.

func (m checkModel) typeTemperature(km tea.KeyMsg) (checkModel, tea.Cmd) {
	switch km.Type {
	case tea.KeyBackspace:
		if n := len(m.tempInput); n > 0 {
			m.tempInput = m.tempInput[:n-1]
		}
		return m, nil
	case tea.KeyEnter:
		t, err := healthcode.ParseTemperature(m.tempInput)
		if err != nil {
			if m.tempInput == "" {
				m.tempErr = m.c.T("temp.ask")
			} else if m.c.en() {
				m.tempErr = fmt.Sprintf("%q is not a reading between 34.0 and 42.5 °C: measure again", m.tempInput)
			} else {
				m.tempErr = fmt.Sprintf("“%s” 不在 34.0–42.5 °C 之间,可能输错了,请重新输入", m.tempInput)
			}
			m.c.log.Info("temperature typo", "typed", m.tempInput)
			m.tempInput = ""
			return m, nil
		}
		m.temp, m.tempInput, m.tempErr = t, "", ""
		m.dec = m.decide()
		var ring tea.Cmd
		if m.dec.Fever {
			ring = m.bell()
		}
		m, cmd := m.advance()
		return m, tea.Batch(ring, cmd)
	case tea.KeyRunes:
		for _, r := range km.Runes {
			switch {
			case r >= '0' && r <= '9', r == '.', r == ',':
				if len(m.tempInput) < 5 {
					if r == ',' {
						r = '.'
					}
					m.tempInput += string(r)
				}
			}
		}
	}
	return m, nil
}
