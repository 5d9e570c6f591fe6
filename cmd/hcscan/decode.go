package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"hcscan/camera"
	"hcscan/internal/cli"
)

// decode reads codes from images and videos as the camera does; the
// allocator is tuned as for any program that streams video.
func (e env) decode(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	camera.TuneAllocator()
	return cli.Exit(decodeCommand(ctx, args, stdout, stderr))
}

// decodeLine is one line of `hcscan decode --json`: one code, a miss, or a
// video's summary.
type decodeLine struct {
	Path  string  `json:"path"`
	Frame *int    `json:"frame,omitempty"`
	Text  *string `json:"text,omitempty"`
	// Raw is the code's byte-mode data (base64 in JSON) when it is not
	// valid UTF-8: the text is then a charset guess, Raw the truth.
	Raw []byte `json:"raw,omitempty"`
	// Corners: the code's outer corners in pixels, top-left first, clockwise.
	Corners *[4][2]int `json:"corners,omitempty"`
	// Of numbers the codes read in one image or frame: "1 of 3".
	Index *int     `json:"index,omitempty"`
	Of    *int     `json:"of,omitempty"`
	MS    *float64 `json:"ms,omitempty"`
	Error string   `json:"error,omitempty"`
	// The summary line of a video.
	Frames  *int     `json:"frames,omitempty"`
	Decoded *int     `json:"decoded,omitempty"`
	Seconds *float64 `json:"seconds,omitempty"`
	FPS     *float64 `json:"fps,omitempty"`
}

// decodeCommand exits 0 when every image and video gave at least one code,
// 1 when some held none, 2 on bad usage or unreadable paths.
func decodeCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("decode", flag.ContinueOnError)
	fl.SetOutput(stderr)
	asJSON := fl.Bool("json", false, "one JSON object per code: path, frame, text, raw (base64, when not UTF-8), corners, index, of, ms (error when nothing was found)")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: hcscan decode [--json] PATH...")
		fmt.Fprintln(stderr, "\nPATH is an image, a folder (searched recursively for images) or a video file.")
		fmt.Fprintln(stderr, "Each code read gives one line (an image with three codes gives three); an image")
		fmt.Fprintln(stderr, "without one gives a line saying so; a video adds a summary line.")
		fmt.Fprintln(stderr, "Text output shows control characters escaped; --json gives the exact text.")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitOK
		}
		return exitUsage
	}
	if fl.NArg() == 0 {
		fl.Usage()
		return exitUsage
	}
	out := decodeOutput{w: stdout, json: *asJSON}
	r := camera.NewReader()
	defer r.Close()
	code := exitOK
	worse := func(c int) {
		if c > code {
			code = c
		}
	}
	for _, arg := range fl.Args() {
		fi, err := os.Stat(arg)
		if err != nil {
			fmt.Fprintf(stderr, "hcscan decode: %v\n", err)
			worse(exitUsage)
			continue
		}
		var images []string
		switch {
		case fi.IsDir():
			images, err = imagesUnder(arg)
			if err != nil {
				fmt.Fprintf(stderr, "hcscan decode: %v\n", err)
				worse(exitUsage)
				continue
			}
			if len(images) == 0 {
				fmt.Fprintf(stderr, "hcscan decode: %s: no images in this folder\n", arg)
				worse(exitUsage)
				continue
			}
		case camera.IsImagePath(arg):
			images = []string{arg}
		default:
			worse(decodeVideo(ctx, r, arg, out, stderr))
			continue
		}
		for _, p := range images {
			if ctx.Err() != nil {
				return exitUsage
			}
			s, err := r.DecodeImageFile(p)
			ms := float64(s.DecodeTime.Microseconds()) / 1000
			switch {
			case err == nil:
				out.found(p, nil, s.Codes, ms)
			case errors.Is(err, camera.ErrNoCode):
				out.missing(p, ms, camera.ErrNoCode.Error())
				worse(exitInvalid)
			default:
				out.missing(p, ms, camera.ErrNotImage.Error())
				worse(exitInvalid)
			}
		}
	}
	return code
}

func decodeVideo(ctx context.Context, r *camera.Reader, path string, out decodeOutput, stderr io.Writer) int {
	st, err := r.DecodeVideo(ctx, path, func(s camera.Scan) {
		n := s.Frame
		out.found(path, &n, s.Codes, float64(s.DecodeTime.Microseconds())/1000)
	})
	if err != nil && st.Frames == 0 {
		fmt.Fprintf(stderr, "hcscan decode: %v\n", err)
		return exitUsage
	}
	out.summary(path, st)
	if err != nil {
		fmt.Fprintf(stderr, "hcscan decode: %v\n", err)
		return exitUsage
	}
	if st.Decoded == 0 {
		return exitInvalid
	}
	return exitOK
}

// imagesUnder lists the image files under dir, recursively, in name order.
func imagesUnder(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && camera.IsImagePath(p) {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

type decodeOutput struct {
	w    io.Writer
	json bool
}

func (o decodeOutput) found(path string, frame *int, codes []camera.Code, ms float64) {
	of := len(codes)
	for i, c := range codes {
		if o.json {
			text, index := c.Text, i+1
			l := decodeLine{Path: path, Frame: frame, Text: &text, Raw: c.Raw, Index: &index, Of: &of, MS: &ms}
			if c.Corners != [4]image.Point{} {
				var cs [4][2]int
				for k, p := range c.Corners {
					cs[k] = [2]int{p.X, p.Y}
				}
				l.Corners = &cs
			}
			o.emit(l)
			continue
		}
		where := o.where(path, frame)
		if of > 1 {
			where += fmt.Sprintf(" (%d of %d)", i+1, of)
		}
		fmt.Fprintf(o.w, "%s\t%s\t%.2f ms\n", where, camera.SafeText(c.Text), ms)
	}
}

func (o decodeOutput) missing(path string, ms float64, why string) {
	if o.json {
		o.emit(decodeLine{Path: path, MS: &ms, Error: why})
		return
	}
	fmt.Fprintf(o.w, "%s\t(%s)\t%.2f ms\n", o.where(path, nil), why, ms)
}

func (o decodeOutput) summary(path string, st camera.VideoStats) {
	secs, fps := st.Elapsed.Seconds(), st.FPS()
	if o.json {
		o.emit(decodeLine{Path: path, Frames: &st.Frames, Decoded: &st.Decoded, Seconds: &secs, FPS: &fps})
		return
	}
	fmt.Fprintf(o.w, "%s\tframes %d, decoded %d, %.2f s, %.1f fps\n", camera.SafeText(path), st.Frames, st.Decoded, secs, fps)
}

func (o decodeOutput) where(path string, frame *int) string {
	p := camera.SafeText(path)
	if frame != nil {
		return fmt.Sprintf("%s [frame %d]", p, *frame)
	}
	return p
}

func (o decodeOutput) emit(l decodeLine) {
	b, _ := json.Marshal(l)
	fmt.Fprintln(o.w, string(b))
}
