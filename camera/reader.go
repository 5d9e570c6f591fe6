package camera

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"gocv.io/x/gocv"
)

// ErrNoCode means the image was read but no QR code was decoded in it.
var ErrNoCode = errors.New("no QR code found")

// Reader decodes QR codes in image and video files, for `hcscan decode` and
// tests. It keeps its scratch buffers between calls, is not safe for
// concurrent use, and must be closed.
type Reader struct {
	dec  *cascade
	gray gocv.Mat
	bgr  gocv.Mat
}

// NewReader returns a Reader; Close it when done.
func NewReader() *Reader {
	silenceOpenCV()
	return &Reader{dec: newCascade(), gray: gocv.NewMat(), bgr: gocv.NewMat()}
}

// Close frees the Reader's OpenCV buffers.
func (r *Reader) Close() error {
	r.dec.Close()
	r.gray.Close()
	r.bgr.Close()
	return nil
}

// DecodeImageFile reads every code in an image file with the whole
// cascade. DecodeTime covers loading and decoding. It returns ErrNoCode
// (wrapped) when the image holds no readable code, ErrNotImage when the
// file is not an image.
func (r *Reader) DecodeImageFile(path string) (Scan, error) {
	if _, err := os.Stat(path); err != nil {
		return Scan{}, fmt.Errorf("decode %s: %w", path, err)
	}
	t0 := time.Now()
	m := gocv.IMRead(path, gocv.IMReadGrayScale)
	defer m.Close()
	if m.Empty() {
		return Scan{}, fmt.Errorf("decode %s: %w", path, ErrNotImage)
	}
	got := r.dec.decodeStill(m)
	took := time.Since(t0)
	if len(got) == 0 {
		return Scan{DecodeTime: took}, fmt.Errorf("decode %s: %w", path, ErrNoCode)
	}
	return Scan{Codes: codesOf(got), FrameTime: t0, DecodeTime: took}, nil
}

// VideoStats summarises one pass over a video file.
type VideoStats struct {
	Frames  int           // frames read
	Decoded int           // frames in which at least one code was read
	Elapsed time.Duration // wall time for reading and decoding
	Format  Format        // what the file holds
}

// FPS is frames processed per second of wall time.
func (s VideoStats) FPS() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Frames) / s.Elapsed.Seconds()
}

// DecodeVideo reads every frame of a video file as fast as it can and calls
// fn for each frame in which a code was read (no de-duplication: every
// frame counts). Frames are decoded as the scanner decodes live frames, so
// the costly steps run only where finder patterns are seen. FrameTime is
// the frame's media time counted from the call.
func (r *Reader) DecodeVideo(ctx context.Context, path string, fn func(Scan)) (VideoStats, error) {
	if _, err := os.Stat(path); err != nil {
		return VideoStats{}, fmt.Errorf("decode %s: %w", path, err)
	}
	fs, err := openSource(Source{Kind: VideoFile, Path: path}, Options{})
	if err != nil {
		return VideoStats{}, err
	}
	defer fs.close()
	st := VideoStats{Format: fs.format()}
	start := time.Now()
	for ctx.Err() == nil {
		media, err := fs.read(&r.bgr)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			st.Elapsed = time.Since(start)
			return st, fmt.Errorf("decode %s: frame %d: %w", path, st.Frames, err)
		}
		n := st.Frames
		st.Frames++
		t0 := time.Now()
		toGray(r.bgr, &r.gray)
		got := r.dec.decodeStream(r.gray)
		if len(got) > 0 {
			st.Decoded++
			if fn != nil {
				fn(Scan{Codes: codesOf(got), FrameTime: start.Add(media), Frame: n, DecodeTime: time.Since(t0)})
			}
		}
	}
	st.Elapsed = time.Since(start)
	return st, ctx.Err()
}

func codesOf(fs []found) []Code {
	out := make([]Code, len(fs))
	for i, f := range fs {
		out[i] = f.code()
	}
	return out
}
