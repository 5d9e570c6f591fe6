package trustclock

import (
	"context"
	"time"

	"hcscan/healthcode"
)

// Watch looks at the clocks every interval until ctx ends and sends the
// moment whenever what an operator is told about the time changes: the
// province confirmed it (or a reboot lost it), the laptop's clock fell
// behind what was seen, or it was moved (to the second). Only the newest
// moment waits in the channel; it is never closed.
func (c *Clock) Watch(ctx context.Context, every time.Duration) <-chan healthcode.Moment {
	ch := make(chan healthcode.Moment, 1)
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		last := summary(c.Moment())
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			m := c.Moment()
			if s := summary(m); s != last {
				last = s
				select {
				case <-ch:
				default:
				}
				ch <- m
			}
		}
	}()
	return ch
}

// glance is what an operator is told about a moment.
type glance struct {
	confirmed, behind bool
	jump              time.Duration
}

func summary(m healthcode.Moment) glance {
	g := glance{confirmed: m.Confirmed, behind: m.Behind()}
	if m.Jumped() {
		g.jump = m.Jump.Round(time.Second)
	}
	return g
}
