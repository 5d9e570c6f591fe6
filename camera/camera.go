package camera

import (
	"context"
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
