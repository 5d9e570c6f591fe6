// Package camera turns a frame source (a webcam, a video file, a folder of
// images or a stream URL) into a stream of decoded QR codes.
//
// Frames are read through OpenCV (gocv), converted to grey once, and decoded
// with gozxing behind a short preprocessing cascade (see decoder.go for the
// steps and what each one is worth on real photographs). A decode worker
// always takes the newest frame, so a slow decode never builds a backlog;
// the same code seen again is suppressed while it stays in view and for a
// cool-down, so that one person is one Scan.
//
// Nothing here writes to stdout or stderr: OpenCV's own logging is silenced
// before the package's first OpenCV call (not on import) and problems come
// back as errors, as State values, or through the slog.Logger in Options.
// No gocv.Mat leaves the package.
package camera

import (
	"os"
	"sync"
)

var silenceOnce sync.Once

// silenceOpenCV stops OpenCV (and its V4L2/FFmpeg back ends) from logging to
// stderr, which would tear the scanner's screen. OpenCV reads the variable
// on its first log call, so this runs before any OpenCV call in the package.
// An operator who sets OPENCV_LOG_LEVEL explicitly keeps their value.
func silenceOpenCV() {
	silenceOnce.Do(func() {
		if os.Getenv("OPENCV_LOG_LEVEL") == "" {
			os.Setenv("OPENCV_LOG_LEVEL", "SILENT")
		}
		if os.Getenv("OPENCV_FFMPEG_LOGLEVEL") == "" {
			os.Setenv("OPENCV_FFMPEG_LOGLEVEL", "-8") // AV_LOG_QUIET
		}
		if os.Getenv("OPENCV_LOG_LEVEL") == "SILENT" {
			silenceOpenCVLog()
		}
	})
}

// TuneAllocator prepares the process for a long video stream: it fixes
// glibc's mmap threshold (malloc_linux.go says why), which keeps resident
// memory flat over hours of 720p frames. Programs that stream video call it
// once, early in main or at the start of the command (hcscan run, demo,
// decode); importing the package changes nothing in the process. It
// reports whether it changed the allocator: false off glibc, without cgo,
// or when the operator set MALLOC_MMAP_THRESHOLD_ (their value stands).
func TuneAllocator() bool { return pinMallocThreshold() }
