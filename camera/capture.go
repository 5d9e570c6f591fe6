package camera

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gocv.io/x/gocv"
)

// Errors a caller may want to tell apart.
var (
	// ErrNoDevice: the webcam index names no video device.
	ErrNoDevice = errors.New("no such video device")
	// ErrNotVideo: the file exists but OpenCV cannot read frames from it.
	ErrNotVideo = errors.New("not a readable video")
	// ErrNoImages: the folder holds no readable image.
	ErrNoImages = errors.New("no readable images in folder")
	// ErrNotImage: the file is not a readable image.
	ErrNotImage = errors.New("not a readable image")
)

// Format is what a source really delivers, which may differ from what was
// asked for (webcams round to the modes they support).
type Format struct {
	Width, Height int
	FPS           float64 // frames per second; 0 when the source does not say
	Codec         string  // FOURCC such as "MJPG" or "YUYV", when known
	Frames        int     // frames in a video file or folder; 0 for live sources
}

func (f Format) String() string {
	s := fmt.Sprintf("%dx%d", f.Width, f.Height)
	if f.FPS > 0 {
		s += fmt.Sprintf(" @ %.4g fps", f.FPS)
	}
	if f.Codec != "" {
		s += " " + f.Codec
	}
	return s
}

// frameSource yields frames into a caller-owned Mat (BGR or grey).
type frameSource interface {
	// read fills dst with the next frame and returns its media time from the
	// start (0 for live sources). io.EOF ends a file or folder; any other
	// error means the source was lost.
	read(dst *gocv.Mat) (time.Duration, error)
	format() Format
	live() bool
	// rewind goes back to the first frame of a file or folder, keeping the
	// source open; false when it cannot (the caller then reopens it).
	rewind() bool
	close()
}

// openSource opens src, failing with a clear error when it cannot deliver a
// first frame. opts supplies the requested size, rate and FOURCC.
func openSource(src Source, opts Options) (frameSource, error) {
	silenceOpenCV()
	switch src.Kind {
	case Webcam:
		return openWebcam(src.Index, opts)
	case URL:
		return openCapture(src.Path, gocv.VideoCaptureFFmpeg, opts, true)
	case VideoFile:
		if _, err := os.Stat(src.Path); err != nil {
			return nil, fmt.Errorf("open video %s: %w", src.Path, err)
		}
		return openCapture(src.Path, gocv.VideoCaptureFFmpeg, opts, false)
	case Folder:
		return openFolder(src.Path, opts)
	case ImageFile:
		return newImageList([]string{src.Path}, src.Path, true, opts)
	}
	return nil, fmt.Errorf("open %v: unknown source kind", src)
}

// captureSource is a webcam, stream or video file behind cv::VideoCapture.
type captureSource struct {
	vc      *gocv.VideoCapture
	name    string
	isLive  bool
	fmt     Format
	first   gocv.Mat // the frame read at open, handed out by the first read
	pending bool     // first has not been handed out yet
	n       int
}

func openWebcam(index int, opts Options) (frameSource, error) {
	dev := fmt.Sprintf("/dev/video%d", index)
	if _, err := os.Stat(dev); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("camera %d (%s): %w", index, dev, ErrNoDevice)
	}
	vc, err := gocv.OpenVideoCaptureWithAPI(index, gocv.VideoCaptureV4L2)
	if err != nil || !vc.IsOpened() {
		if vc != nil {
			vc.Close()
		}
		return nil, fmt.Errorf("camera %d (%s): cannot open: busy, not a capture device, or no permission", index, dev)
	}
	if opts.FourCC != "" {
		vc.Set(gocv.VideoCaptureFOURCC, vc.ToCodec(opts.FourCC))
	}
	if opts.Width > 0 && opts.Height > 0 {
		vc.Set(gocv.VideoCaptureFrameWidth, float64(opts.Width))
		vc.Set(gocv.VideoCaptureFrameHeight, float64(opts.Height))
	}
	if opts.FPS > 0 {
		vc.Set(gocv.VideoCaptureFPS, opts.FPS)
	}
	// Keep the driver queue short: an old frame is a late scan.
	vc.Set(gocv.VideoCaptureBufferSize, 1)
	return finishCapture(vc, fmt.Sprintf("camera %d", index), true)
}

func openCapture(uri string, api gocv.VideoCaptureAPI, opts Options, isLive bool) (frameSource, error) {
	vc, err := gocv.OpenVideoCaptureWithAPI(uri, api)
	if err != nil || !vc.IsOpened() {
		if vc != nil {
			vc.Close()
		}
		if isLive {
			return nil, fmt.Errorf("open stream %s: cannot connect or not a video stream", uri)
		}
		return nil, fmt.Errorf("open video %s: %w", uri, ErrNotVideo)
	}
	name := uri
	return finishCapture(vc, name, isLive)
}

// finishCapture reads one frame so that a device or file that opens but
// delivers nothing is an error at open, not a silent blank screen.
func finishCapture(vc *gocv.VideoCapture, name string, isLive bool) (frameSource, error) {
	s := &captureSource{vc: vc, name: name, isLive: isLive, first: gocv.NewMat()}
	if !vc.Read(&s.first) || s.first.Empty() {
		s.close()
		if isLive {
			return nil, fmt.Errorf("%s: opened but delivers no frames", name)
		}
		return nil, fmt.Errorf("open video %s: %w", name, ErrNotVideo)
	}
	s.pending = true
	s.fmt = Format{
		Width:  s.first.Cols(),
		Height: s.first.Rows(),
		FPS:    vc.Get(gocv.VideoCaptureFPS),
		Codec:  strings.TrimRight(vc.CodecString(), "\x00 "),
	}
	if !isLive {
		s.fmt.Frames = int(vc.Get(gocv.VideoCaptureFrameCount))
	}
	if s.fmt.FPS <= 0 || s.fmt.FPS > 1000 {
		s.fmt.FPS = 0
	}
	return s, nil
}

func (s *captureSource) read(dst *gocv.Mat) (time.Duration, error) {
	n := s.n
	if s.pending {
		s.pending = false
		s.first.CopyTo(dst)
	} else if !s.vc.Read(dst) || dst.Empty() {
		if s.isLive {
			return 0, fmt.Errorf("%s: no frame (unplugged or stream ended)", s.name)
		}
		return 0, io.EOF
	}
	s.n++
	if s.isLive || s.fmt.FPS == 0 {
		return 0, nil
	}
	return time.Duration(float64(n) / s.fmt.FPS * float64(time.Second)), nil
}

// rewind seeks a video file back to its first frame and reads it, so that
// a looped file is one open capture, as a webcam is. Reopening on every
// loop freed and reallocated FFmpeg's and OpenCV's frame buffers each time,
// which raised glibc's dynamic mmap threshold and left resident memory
// growing in steps over a long run (see README, Camera and decoding).
func (s *captureSource) rewind() bool {
	if s.isLive {
		return false
	}
	s.vc.Set(gocv.VideoCapturePosFrames, 0)
	if !s.vc.Read(&s.first) || s.first.Empty() || s.first.Cols() != s.fmt.Width || s.first.Rows() != s.fmt.Height {
		return false
	}
	s.pending, s.n = true, 0
	return true
}

func (s *captureSource) format() Format { return s.fmt }
func (s *captureSource) live() bool     { return s.isLive }

func (s *captureSource) close() {
	s.first.Close()
	s.vc.Close()
}

// imageList plays still images as frames at a fixed rate.
type imageList struct {
	paths []string
	name  string
	i     int
	rate  float64
	fmt   Format
}

// DefaultFolderFPS is the rate at which a folder of images is played when
// Options.FPS is zero.
const DefaultFolderFPS = 5

func openFolder(dir string, opts Options) (frameSource, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("open folder %s: %w", dir, err)
	}
	var paths []string
	for _, e := range entries {
		if e.Type().IsRegular() && IsImagePath(e.Name()) {
			paths = append(paths, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(paths)
	if len(paths) == 0 {
		return nil, fmt.Errorf("open folder %s: %w (looked for %s)", dir, ErrNoImages, imageExtList())
	}
	return newImageList(paths, dir, false, opts)
}

func newImageList(paths []string, name string, single bool, opts Options) (frameSource, error) {
	rate := opts.FPS
	if rate <= 0 {
		rate = DefaultFolderFPS
	}
	l := &imageList{paths: paths, name: name, rate: rate}
	// The first readable image sets the reported size; none readable is an error.
	for _, p := range paths {
		m := gocv.IMRead(p, gocv.IMReadColor)
		ok := !m.Empty()
		if ok {
			l.fmt = Format{Width: m.Cols(), Height: m.Rows(), FPS: rate, Frames: len(paths)}
		}
		m.Close()
		if ok {
			return l, nil
		}
	}
	if single {
		return nil, fmt.Errorf("open %s: %w", name, ErrNotImage)
	}
	return nil, fmt.Errorf("open folder %s: %w (%d files with image names, none decodes)", name, ErrNoImages, len(paths))
}

func (l *imageList) read(dst *gocv.Mat) (time.Duration, error) {
	for l.i < len(l.paths) {
		n := l.i
		l.i++
		m := gocv.IMRead(l.paths[n], gocv.IMReadColor)
		if m.Empty() {
			m.Close()
			continue // a broken file among good ones is skipped, not fatal
		}
		m.CopyTo(dst)
		m.Close()
		return time.Duration(float64(n) / l.rate * float64(time.Second)), nil
	}
	return 0, io.EOF
}

func (l *imageList) format() Format { return l.fmt }
func (l *imageList) live() bool     { return false }
func (l *imageList) close()         {}
func (l *imageList) rewind() bool   { l.i = 0; return true }

func imageExtList() string {
	exts := make([]string, 0, len(imageExts))
	for e := range imageExts {
		exts = append(exts, e)
	}
	sort.Strings(exts)
	return strings.Join(exts, " ")
}
