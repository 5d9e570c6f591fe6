package screenwire

import (
	gosync "sync"

	"hcscan/camera"
	"hcscan/tui"
)

// Camera is a camera, or the reason there is none, for the screen
// (tui.Camera). It may be opened later: the demo starts its video once
// someone signs in.
type Camera struct {
	ch      chan tui.Scan
	mu      gosync.Mutex
	cam     *camera.Camera // nil until opened, or when it could not be
	failed  string
	waiting bool // not opened yet
}

var _ tui.Camera = (*Camera)(nil)

// NewCamera adapts an opened camera, or the error that kept it from
// opening (the screen shows it; the handheld scanner still works).
func NewCamera(cam *camera.Camera, openErr error) *Camera {
	s := &Camera{ch: make(chan tui.Scan)}
	s.attach(cam, openErr)
	return s
}

// NewDelayedCamera is a camera that open opens when start is called; until
// then its state is "starts at sign-in". start may be called more than once.
func NewDelayedCamera(open func() (*camera.Camera, error)) (s *Camera, start func()) {
	s = &Camera{ch: make(chan tui.Scan), waiting: true}
	var once gosync.Once
	return s, func() { once.Do(func() { s.attach(open()) }) }
}

func (s *Camera) attach(cam *camera.Camera, openErr error) {
	s.mu.Lock()
	s.cam, s.waiting = cam, false
	if openErr != nil {
		s.failed = openErr.Error()
	}
	s.mu.Unlock()
	if cam == nil {
		return // Scans stays open and silent: the handheld scanner still works
	}
	go func() {
		defer close(s.ch)
		group := 0
		for sc := range cam.Scans() {
			// A frame with several new codes gives one scan each, in
			// reading order, marked as one group ("1 of 3").
			g := 0
			if len(sc.Codes) > 1 {
				group++
				g = group
			}
			for i, code := range sc.Codes {
				s.ch <- tui.Scan{Text: code.Text, At: sc.FrameTime, Source: tui.SourceCamera, Group: g, Index: i + 1, Of: len(sc.Codes)}
			}
		}
	}()
}

func (s *Camera) camera() (*camera.Camera, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cam, s.waiting
}

// Close stops the camera if it was opened.
func (s *Camera) Close() {
	if cam, _ := s.camera(); cam != nil {
		cam.Close()
	}
}

// Scans delivers each code read, once; it is closed when the camera stops
// for good.
func (s *Camera) Scans() <-chan tui.Scan { return s.ch }

// Status is the camera's state for the status bar.
func (s *Camera) Status() tui.CameraStatus {
	cam, waiting := s.camera()
	if waiting {
		return tui.CameraStatus{State: tui.CameraWaiting}
	}
	if cam == nil {
		return tui.CameraStatus{State: tui.CameraFailed, Detail: s.failed}
	}
	st := cam.State()
	out := tui.CameraStatus{Detail: st.Format.String()}
	switch st.Kind {
	case camera.Running:
		out.State = tui.CameraOK
	case camera.Lost:
		out.State = tui.CameraLost
		if st.Err != nil {
			out.Detail = st.Err.Error()
		}
	case camera.Ended, camera.Stopped:
		out.State = tui.CameraEnded
	}
	return out
}

// Preview renders the newest frame in at most w×h cells.
func (s *Camera) Preview(w, h int) string {
	if cam, _ := s.camera(); cam != nil {
		return cam.Preview(w, h)
	}
	return ""
}
