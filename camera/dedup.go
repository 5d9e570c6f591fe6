package camera

import "time"

// dedup says whether a code is new: not seen within the cool-down. Every
// sighting restarts the cool-down, so a code held in view stays suppressed.
type dedup struct {
	cooldown time.Duration
	last     map[string]time.Time
}

func newDedup(cooldown time.Duration) *dedup {
	return &dedup{cooldown: cooldown, last: map[string]time.Time{}}
}

func (d *dedup) fresh(text string, at time.Time) bool {
	prev, ok := d.last[text]
	d.last[text] = at
	if len(d.last) > 64 {
		for k, t := range d.last {
			if at.Sub(t) > d.cooldown {
				delete(d.last, k)
			}
		}
	}
	return !ok || at.Sub(prev) > d.cooldown || at.Before(prev)
}
