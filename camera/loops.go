package camera

import (
	"context"
	"errors"
	"io"
	"time"

	"gocv.io/x/gocv"
)

// readLoop owns the source: it reads, converts to grey, hands frames to the
// decoder, paces files and reconnects lost live sources.
func (c *Camera) readLoop(ctx context.Context, fs frameSource) {
	defer func() {
		if fs != nil {
			fs.close()
		}
	}()
	start := time.Now()
	paced := !c.opts.Unpaced && !fs.live()
	n := 0
	for ctx.Err() == nil {
		var f *frame
		select {
		case f = <-c.free:
		case <-ctx.Done():
			return
		}
		media, err := fs.read(&f.bgr)
		if err != nil {
			c.free <- f
			if errors.Is(err, io.EOF) && c.opts.Loop {
				if fs.rewind() {
					c.log.Debug("looping: rewound to the first frame")
					start = time.Now()
					continue
				}
				c.log.Debug("looping: reopening the source")
				fs.close()
				if fs, err = openSource(c.src, c.opts); err != nil {
					fs = nil
					c.setState(State{Kind: Ended, Err: err, Since: time.Now()})
					return
				}
				start = time.Now()
				continue
			}
			if errors.Is(err, io.EOF) {
				c.setState(State{Kind: Ended, Since: time.Now()})
				return
			}
			fs.close()
			fs = c.reconnect(ctx, err)
			if fs == nil {
				return
			}
			start, n = time.Now(), 0
			continue
		}
		if fs.live() {
			f.at = time.Now()
		} else {
			f.at = start.Add(media)
		}
		f.n = n
		n++
		c.frames.Add(1)
		toGray(f.bgr, &f.gray)
		if paced {
			// Play at the file's own rate: wait for the frame's moment.
			if d := time.Until(f.at); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
					c.free <- f
					return
				}
			}
		}
		c.handOver(ctx, f, !c.opts.Unpaced || fs.live())
	}
}

// handOver puts f in the decoder's slot. With dropOld a frame still waiting
// there is replaced (latest frame wins); without, it waits for the decoder.
func (c *Camera) handOver(ctx context.Context, f *frame, dropOld bool) {
	for {
		if !dropOld {
			select {
			case c.slot <- f:
			case <-ctx.Done():
				c.free <- f
			}
			return
		}
		select {
		case c.slot <- f:
			return
		default:
		}
		select {
		case old := <-c.slot:
			c.dropped.Add(1)
			c.free <- old
		default:
		}
	}
}

// reconnect waits and reopens a lost live source until it delivers or ctx ends.
func (c *Camera) reconnect(ctx context.Context, cause error) frameSource {
	wait := c.opts.RetryMin
	for attempt := 1; ; attempt++ {
		c.log.Warn("camera lost, retrying", "err", cause, "attempt", attempt)
		c.setState(State{Kind: Lost, Err: cause, Attempt: attempt, Since: time.Now()})
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil
		}
		fs, err := openSource(c.src, c.opts)
		if err == nil {
			c.log.Info("camera back", "format", fs.format().String())
			c.setState(State{Kind: Running, Since: time.Now(), Format: fs.format()})
			return fs
		}
		cause = err
		wait = min(wait*2, c.opts.RetryMax)
	}
}

// decodeLoop takes the newest frame, decodes it and delivers new codes.
func (c *Camera) decodeLoop(ctx context.Context, readerDone <-chan struct{}) {
	dec := newCascade()
	defer dec.Close()
	seen := newDedup(c.opts.Cooldown)
	for {
		var f *frame
		select {
		case f = <-c.slot:
		case <-readerDone:
			// The file ended: decode the frame still waiting, if any.
			select {
			case f = <-c.slot:
			default:
				return
			}
		case <-ctx.Done():
			return
		}
		t0 := time.Now()
		got := dec.decodeStream(f.gray)
		took := time.Since(t0)
		c.decoded.Add(1)
		c.updatePreview(f, got)
		// Every code seen restarts its cool-down; only new ones are delivered.
		var fresh []Code
		for _, g := range got {
			if seen.fresh(g.text, f.at) {
				fresh = append(fresh, g.code())
			}
		}
		if len(fresh) > 0 {
			s := Scan{Codes: fresh, FrameTime: f.at, Frame: f.n, DecodeTime: took}
			c.free <- f
			select {
			case c.scans <- s:
				c.delivered.Add(1)
			case <-ctx.Done():
				return
			}
			continue
		}
		c.free <- f
	}
}

// toGray converts a BGR (or already grey) frame to one grey channel.
func toGray(src gocv.Mat, dst *gocv.Mat) {
	switch src.Channels() {
	case 1:
		src.CopyTo(dst)
	case 4:
		gocv.CvtColor(src, dst, gocv.ColorBGRAToGray)
	default:
		gocv.CvtColor(src, dst, gocv.ColorBGRToGray)
	}
}
