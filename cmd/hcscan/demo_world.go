package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	gosync "sync"
	"time"

	"hcscan/camera"
	"hcscan/healthcode"
	"hcscan/internal/qrimage"
	"hcscan/store"
	hcsync "hcscan/sync"
	"hcscan/tui"
)

// The demo's world: a province run by the hcserver program, a scanner
// enrolled with it, seven people's codes and the video they are shown in.

// demoPerson is one person in the demo video.
type demoPerson struct {
	Label    string                   // what the person is, for the guide
	Payload  string                   // the code they show
	Readings []healthcode.Temperature // the thermometer's script: first, then re-measure
}

// demoWorld is everything the demo makes in its folder.
type demoWorld struct {
	Dir      string
	DataPath string // the scanner's data file
	Video    string // the generated gate video the camera plays
	Log      string
	Province string // the server's data directory (its keys in keys/)
	People   []demoPerson
	Operator string
	PIN      string
	URL      string // the provincial server
	server   *serverProcess
}

// Close stops the local provincial server and waits for it.
func (w *demoWorld) Close() {
	if w != nil {
		w.server.Stop()
	}
}

// thermometer is the demo's scripted temperature readings.
func (w *demoWorld) thermometer() tui.Thermometer {
	byPayload := map[string][]healthcode.Temperature{}
	for _, p := range w.People {
		byPayload[p.Payload] = p.Readings
	}
	return func(s tui.Scan, remeasure bool) (healthcode.Temperature, bool) {
		r := byPayload[s.Text]
		i := 0
		if remeasure {
			i = 1
		}
		if i >= len(r) {
			return 0, false
		}
		return r[i], true
	}
}

// framesPerPerson and gapFrames pace the demo video: each code is in view
// for a while, then leaves, so the camera sees one scan per person.
type demoPacing struct {
	FPS                                    float64
	FramesPerPerson, GapFrames, LeadFrames int
}

// demoOptions says how to build the demo world.
type demoOptions struct {
	Dir       string
	HCServer  string // the hcserver program
	Pace      demoPacing
	Log       *slog.Logger
	ServerLog io.Writer // what the server child prints
}

// buildDemo makes a province with the hcserver program (keys, the people's
// codes, `hcserver serve` on 127.0.0.1 as a child process, an enrolment
// token), enrols a scanner in dir, adds an operator and renders the codes
// into a video. The caller closes the world, also after an error.
func buildDemo(ctx context.Context, o demoOptions) (*demoWorld, error) {
	dir := o.Dir
	w := &demoWorld{Dir: dir, DataPath: filepath.Join(dir, "scanner", "hcscan.db"), Video: filepath.Join(dir, "video", "gate.avi"),
		Log: filepath.Join(dir, "scanner", "hcscan.log"), Province: filepath.Join(dir, "province"), Operator: "demo", PIN: "1234"}
	keys := filepath.Join(w.Province, "keys")
	if _, err := hcserver(ctx, o.HCServer, "keys", "init", "--dir", keys); err != nil {
		return w, err
	}
	// A second province nobody trusts, for the forged code.
	forger := filepath.Join(dir, "forger", "keys")
	if _, err := hcserver(ctx, o.HCServer, "keys", "init", "--dir", forger, "--regions", "110000"); err != nil {
		return w, err
	}
	var err error
	if w.People, err = demoPeople(ctx, o.HCServer, keys, forger, time.Now()); err != nil {
		return w, err
	}
	if err := renderVideo(w.Video, w.People, o.Pace); err != nil {
		return w, err
	}
	serverLog := o.ServerLog
	if serverLog == nil {
		serverLog = io.Discard
	}
	// --db= keeps the demo on its own bbolt file even when $HCSERVER_DB names a PostgreSQL database.
	if w.server, err = startServer(ctx, o.HCServer, []string{"--data", w.Province, "--addr", "127.0.0.1:0", "--db="}, serverLog); err != nil {
		return w, fmt.Errorf("provincial server: %w", err)
	}
	w.URL = w.server.URL
	token, err := hcserver(ctx, o.HCServer, "token", "--data", w.Province, "--db=",
		"--institution", "第一中学 No.1 School", "--gate", "东门 East gate")
	if err != nil {
		return w, err
	}
	st, err := store.Open(w.DataPath, store.Options{Logger: o.Log})
	if err != nil {
		return w, err
	}
	defer st.Close()
	if _, err := hcsync.Enroll(ctx, st, hcsync.EnrollOptions{ServerURL: w.URL, Token: token, Name: "demo laptop"}); err != nil {
		return w, fmt.Errorf("enrol the demo scanner: %w", err)
	}
	if err := st.AddOperator(w.Operator, w.PIN); err != nil {
		return w, err
	}
	client, err := hcsync.New(st, hcsync.Options{Logger: o.Log})
	if err != nil {
		return w, err
	}
	if _, err := client.SyncOnce(ctx, nil); err != nil { // trust and status lists into the cache
		return w, fmt.Errorf("first sync of the demo scanner: %w", err)
	}
	return w, nil
}

// demoPeople issues the people's codes with `hcserver issue`: from the
// province's keys, and the forged one from the forger's.
func demoPeople(ctx context.Context, bin, keys, forger string, now time.Time) ([]demoPerson, error) {
	type spec struct {
		label    string
		region   string
		colour   string
		name, id string
		lang     string
		issued   time.Time
		forged   bool
		readings []healthcode.Temperature
	}
	recent := now.Add(-2 * time.Hour)
	specs := []spec{
		{"green code, normal temperature → pass", "110105", "green", "张三丰", "110105199001011234", "zh", recent, false, []healthcode.Temperature{365}},
		{"yellow code → stop, persuade to return", "310104", "yellow", "李小龙", "310104198506061234", "zh", recent, false, []healthcode.Temperature{366}},
		{"red code (Guangdong, one code pass) → stop, send to clinic", "440305", "red", "王芳芳", "440305197707071234", "zh", recent, false, []healthcode.Temperature{364}},
		{"expired code → invalid", "110105", "green", "赵六", "110105196001011234", "zh", now.Add(-75 * time.Hour), false, nil},
		{"forged code (unknown issuer key) → invalid", "110105", "green", "孙七", "110105199909091234", "zh", recent, true, nil},
		{"green code with fever 38.1 °C → stop, re-measure", "510104", "green", "周八", "510104199202021234", "zh", recent, false, []healthcode.Temperature{381, 380}},
		{"Korean visitor, green → pass (holder line in Korean)", "110105", "green", "Kim Minsu", "M12345678", "ko", recent, false, []healthcode.Temperature{367}},
	}
	people := make([]demoPerson, len(specs))
	errs := make([]error, len(specs))
	var wg gosync.WaitGroup
	for i, s := range specs {
		wg.Go(func() {
			dir := keys
			if s.forged {
				dir = forger
			}
			payload, err := hcserver(ctx, bin, "issue", "--dir", dir, "--region", s.region, "--colour", s.colour,
				"--name", s.name, "--id", s.id, "--lang", s.lang, "--issued-at", s.issued.Format(time.RFC3339), "--expires", "72h")
			if err != nil {
				errs[i] = fmt.Errorf("issue demo code (%s): %w", s.label, err)
				return
			}
			people[i] = demoPerson{Label: s.label, Payload: payload, Readings: s.readings}
		})
	}
	wg.Wait()
	return people, errors.Join(errs...)
}

// renderVideo writes the demo's gate video (MJPG AVI, played by the camera
// at its own frame rate, as a webcam would deliver frames): a blank
// lead-in, then each person's code in view for a while (moving a little, as
// a held phone does) with a gap between.
func renderVideo(path string, people []demoPerson, pace demoPacing) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	const W, H = 640, 480
	v, err := camera.CreateVideo(path, pace.FPS, W, H)
	if err != nil {
		return err
	}
	blank := image.NewGray(image.Rect(0, 0, W, H))
	draw.Draw(blank, blank.Bounds(), image.NewUniform(image.White.C), image.Point{}, draw.Src)
	frame := image.NewGray(blank.Bounds())
	write := func(img *image.Gray, n int) error {
		for range n {
			if err := v.Write(img); err != nil {
				return err
			}
		}
		return nil
	}
	err = write(blank, pace.LeadFrames)
	for _, p := range people {
		if err != nil {
			break
		}
		var code *image.Gray
		if code, err = qrimage.Render(p.Payload, 4); err != nil {
			break
		}
		for i := 0; i < pace.FramesPerPerson && err == nil; i++ {
			draw.Draw(frame, frame.Bounds(), image.NewUniform(color.Gray{Y: 200}), image.Point{}, draw.Src)
			dx, dy := (i%5)*4-8, (i%3)*4-4
			at := image.Pt((W-code.Bounds().Dx())/2+dx, (H-code.Bounds().Dy())/2+dy)
			draw.Draw(frame, code.Bounds().Add(at), code, image.Point{}, draw.Src)
			err = write(frame, 1)
		}
		if err == nil {
			err = write(blank, pace.GapFrames)
		}
	}
	if cerr := v.Close(); err == nil {
		err = cerr
	}
	return err
}
