package camera

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// SourceKind says where frames come from.
type SourceKind int

const (
	// Webcam is a local video device by index (0 is /dev/video0).
	Webcam SourceKind = iota
	// URL is a network stream (http, https, rtsp, rtmp) read through FFmpeg.
	URL
	// Folder is a directory of images played in name order.
	Folder
	// VideoFile is a video file played at its own frame rate.
	VideoFile
	// ImageFile is a single image, played as a one-frame video.
	ImageFile
)

func (k SourceKind) String() string {
	switch k {
	case Webcam:
		return "webcam"
	case URL:
		return "url"
	case Folder:
		return "folder"
	case VideoFile:
		return "video file"
	case ImageFile:
		return "image file"
	}
	return "source(" + strconv.Itoa(int(k)) + ")"
}

// Source names a frame source. Build it with ParseSource.
type Source struct {
	Kind  SourceKind
	Index int    // device index, for Webcam
	Path  string // file or folder path, or the URL
}

func (s Source) String() string {
	if s.Kind == Webcam {
		return fmt.Sprintf("camera %d", s.Index)
	}
	return s.Path
}

// imageExts are the still-image formats OpenCV reads here.
var imageExts = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".bmp": true, ".tif": true,
	".tiff": true, ".webp": true, ".pgm": true, ".ppm": true, ".pbm": true,
}

// IsImagePath reports whether the name has an image file extension.
func IsImagePath(name string) bool {
	return imageExts[strings.ToLower(filepath.Ext(name))]
}

// ParseSource reads what the operator typed: digits (or /dev/videoN) are a
// webcam index, http(s)://, rtsp:// and rtmp:// are a stream URL, a
// directory is an image folder, an image file is a single frame, and any
// other file is a video.
func ParseSource(s string) (Source, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Source{}, errors.New("empty camera source")
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 {
			return Source{}, fmt.Errorf("camera index %d: must be 0 or more", n)
		}
		return Source{Kind: Webcam, Index: n}, nil
	}
	if rest, ok := strings.CutPrefix(s, "/dev/video"); ok {
		if n, err := strconv.Atoi(rest); err == nil && n >= 0 {
			return Source{Kind: Webcam, Index: n}, nil
		}
	}
	lower := strings.ToLower(s)
	for _, scheme := range []string{"http://", "https://", "rtsp://", "rtsps://", "rtmp://"} {
		if strings.HasPrefix(lower, scheme) {
			return Source{Kind: URL, Path: s}, nil
		}
	}
	if strings.Contains(s, "://") {
		return Source{}, fmt.Errorf("camera source %q: unsupported URL scheme (use http, https, rtsp or rtmp)", s)
	}
	fi, err := os.Stat(s)
	if err != nil {
		return Source{}, fmt.Errorf("camera source %q: %w", s, err)
	}
	switch {
	case fi.IsDir():
		return Source{Kind: Folder, Path: s}, nil
	case !fi.Mode().IsRegular():
		return Source{}, fmt.Errorf("camera source %q: not a regular file or folder", s)
	case IsImagePath(s):
		return Source{Kind: ImageFile, Path: s}, nil
	default:
		return Source{Kind: VideoFile, Path: s}, nil
	}
}
