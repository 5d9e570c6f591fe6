package camera

import (
	"errors"
	"fmt"
	"image"

	"gocv.io/x/gocv"
)

// VideoWriter writes greyscale frames to an MJPG AVI file with OpenCV, for
// the demo's generated gate video and for tests. It is not safe for
// concurrent use and must be closed.
type VideoWriter struct {
	path string
	w, h int
	vw   *gocv.VideoWriter
	bgr  gocv.Mat
}

// CreateVideo opens path for frames of w×h pixels played at fps.
func CreateVideo(path string, fps float64, w, h int) (*VideoWriter, error) {
	silenceOpenCV()
	vw, err := gocv.VideoWriterFile(path, "MJPG", fps, w, h, true)
	if err != nil || !vw.IsOpened() {
		if vw != nil {
			vw.Close()
		}
		if err == nil {
			err = errors.New("OpenCV cannot write MJPG AVI files here")
		}
		return nil, fmt.Errorf("create video %s: %w", path, err)
	}
	return &VideoWriter{path: path, w: w, h: h, vw: vw, bgr: gocv.NewMat()}, nil
}

// Write appends one frame; it must be w×h.
func (v *VideoWriter) Write(frame *image.Gray) error {
	if b := frame.Bounds(); b.Dx() != v.w || b.Dy() != v.h {
		return fmt.Errorf("video %s: frame is %dx%d, want %dx%d", v.path, b.Dx(), b.Dy(), v.w, v.h)
	}
	gray, err := gocv.NewMatFromBytes(v.h, v.w, gocv.MatTypeCV8UC1, frame.Pix)
	if err != nil {
		return fmt.Errorf("video %s: %w", v.path, err)
	}
	defer gray.Close()
	gocv.CvtColor(gray, &v.bgr, gocv.ColorGrayToBGR)
	if err := v.vw.Write(v.bgr); err != nil {
		return fmt.Errorf("video %s: write frame: %w", v.path, err)
	}
	return nil
}

// Close finishes the file.
func (v *VideoWriter) Close() error {
	v.bgr.Close()
	return v.vw.Close()
}
