package camera

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"gocv.io/x/gocv"
)

// Options tune a Camera. The zero value is a scanner's default.
type Options struct {
	// Width, Height and FPS are what to ask a webcam for (0: its default).
	// For a folder FPS is the play rate (DefaultFolderFPS when 0).
	Width, Height int
	FPS           float64
	// FourCC asks a webcam for a pixel format, e.g. "MJPG": most webcams
	// only reach 720p at 30 fps compressed. Empty keeps the device default.
	FourCC string
	// Unpaced reads video files and folders as fast as frames decode, and
	// decodes every frame, instead of playing them at their own rate with
	// the newest frame winning. Live sources are always paced by the source.
	Unpaced bool
	// Loop plays a video file or folder again from the start when it ends
	// (a demo at a desk, a soak test) instead of ending.
	Loop bool
	// Cooldown is how long a code stays suppressed after it was last seen,
	// so that one person is one scan (DefaultCooldown when 0).
	Cooldown time.Duration
	// RetryMin and RetryMax bound the wait between reconnection attempts
	// when a live source is lost (defaults 500 ms and 5 s).
	RetryMin, RetryMax time.Duration
	// Logger receives diagnostics (nil: discarded).
	Logger *slog.Logger
}

// DefaultCooldown is how long the same code is not scanned again after it
// was last seen.
const DefaultCooldown = 3 * time.Second

// StateKind is where a Camera is in its life.
type StateKind int

const (
	// Running: frames are arriving.
	Running StateKind = iota
	// Lost: a live source stopped delivering; the camera retries by itself.
	Lost
	// Ended: a file or folder was played to its end.
	Ended
	// Stopped: the context was cancelled or Close was called.
	Stopped
)

func (k StateKind) String() string {
	switch k {
	case Running:
		return "running"
	case Lost:
		return "camera lost, retrying"
	case Ended:
		return "ended"
	case Stopped:
		return "stopped"
	}
	return "unknown"
}

// State is a change in the camera's condition.
type State struct {
	Kind    StateKind
	Err     error     // why the source was lost (Lost), or a loop could not restart (Ended)
	Attempt int       // reconnection attempts so far (Lost only)
	Since   time.Time // when this state began
	Format  Format    // what the source delivers (after a reconnect it may differ)
}

// Stats counts frames through the pipeline.
type Stats struct {
	Frames  int64 // frames read from the source
	Decoded int64 // frames the decoder looked at
	Dropped int64 // frames replaced by a newer one before the decoder got to them
	Scans   int64 // scans delivered (after de-duplication)
}

// Camera reads frames from a source and delivers the codes it sees.
type Camera struct {
	src    Source
	opts   Options
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}

	scans  chan Scan
	states chan State

	// frames cycle between the reader, the one-frame slot and the decoder.
	free chan *frame
	slot chan *frame

	mu      sync.Mutex
	state   State
	preview thumb

	frames, decoded, dropped, delivered atomic.Int64
}

type frame struct {
	bgr, gray gocv.Mat
	at        time.Time
	n         int
}

// Open opens src and starts reading. It fails at once when the source
// cannot deliver a first frame (a missing device, a file that is not a
// video, a folder with no images). Later faults of a live source become a
// Lost state while the camera reconnects. Cancel ctx or call Close to stop.
func Open(ctx context.Context, src Source, opts Options) (*Camera, error) {
	if opts.Cooldown <= 0 {
		opts.Cooldown = DefaultCooldown
	}
	if opts.RetryMin <= 0 {
		opts.RetryMin = 500 * time.Millisecond
	}
	if opts.RetryMax < opts.RetryMin {
		opts.RetryMax = max(5*time.Second, opts.RetryMin)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	fs, err := openSource(src, opts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	c := &Camera{
		src: src, opts: opts, log: log.With("source", src.String()),
		cancel: cancel, done: make(chan struct{}),
		scans: make(chan Scan, 16), states: make(chan State, 8),
		free: make(chan *frame, 3), slot: make(chan *frame, 1),
	}
	for range 3 {
		c.free <- &frame{bgr: gocv.NewMat(), gray: gocv.NewMat()}
	}
	c.setState(State{Kind: Running, Since: time.Now(), Format: fs.format()})
	c.log.Info("camera open", "format", fs.format().String())

	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		c.readLoop(ctx, fs)
	}()
	go func() {
		c.decodeLoop(ctx, readerDone)
		c.cancel()
		<-readerDone
		c.finish()
	}()
	return c, nil
}

// Scans delivers each code once per person; it is closed when the camera
// stops or a file ends.
func (c *Camera) Scans() <-chan Scan { return c.scans }

// States delivers state changes; when the reader falls behind, older changes
// are dropped and the newest kept. It is closed when the camera stops.
func (c *Camera) States() <-chan State { return c.states }

// State is the current state.
func (c *Camera) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Format is what the source delivers now.
func (c *Camera) Format() Format { return c.State().Format }

// Source is what the camera reads.
func (c *Camera) Source() Source { return c.src }

// Stats counts frames so far.
func (c *Camera) Stats() Stats {
	return Stats{Frames: c.frames.Load(), Decoded: c.decoded.Load(), Dropped: c.dropped.Load(), Scans: c.delivered.Load()}
}

// Done is closed when the camera has stopped and released the source.
func (c *Camera) Done() <-chan struct{} { return c.done }

// Close stops the camera and waits until the source is released.
func (c *Camera) Close() error {
	c.cancel()
	<-c.done
	return nil
}

func (c *Camera) setState(s State) {
	c.mu.Lock()
	if s.Format == (Format{}) {
		s.Format = c.state.Format
	}
	c.state = s
	c.mu.Unlock()
	for {
		select {
		case c.states <- s:
			return
		default:
		}
		select {
		case <-c.states: // drop the oldest: the newest state matters most
		default:
		}
	}
}

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
		got, ok := dec.decodeStream(f.gray)
		took := time.Since(t0)
		c.decoded.Add(1)
		c.updatePreview(f, got, ok)
		if ok && seen.fresh(got.text, f.at) {
			s := Scan{Text: got.text, FrameTime: f.at, Frame: f.n, DecodeTime: took, Corners: got.corners, Step: got.step}
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

// finish releases everything once both loops have ended.
func (c *Camera) finish() {
	if st := c.State(); st.Kind != Ended {
		c.setState(State{Kind: Stopped, Since: time.Now()})
	}
	// Both loops have ended: every frame is in the free list or the slot.
	select {
	case f := <-c.slot:
		c.free <- f
	default:
	}
	for range 3 {
		f := <-c.free
		f.bgr.Close()
		f.gray.Close()
	}
	c.mu.Lock()
	c.preview.close()
	c.mu.Unlock()
	close(c.scans)
	close(c.states)
	close(c.done)
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
