package camera

import (
	"time"
)

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
