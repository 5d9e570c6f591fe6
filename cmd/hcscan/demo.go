package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"hcscan/healthcode"
	"hcscan/internal/qrimage"
	"hcscan/server"
	"hcscan/store"
	hcsync "hcscan/sync"
	"hcscan/tui"
)

func init() {
	register("demo", "the scanner screen on a generated video of people at a gate, with a local provincial server", runDemo)
}

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
	Frames   string // the image folder the camera plays
	Log      string
	People   []demoPerson
	Operator string
	PIN      string
	srv      *server.Server
	http     *http.Server
	URL      string
}

// Close stops the local provincial server.
func (w *demoWorld) Close() {
	if w.http != nil {
		w.http.Close()
	}
	if w.srv != nil {
		w.srv.Close()
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
	FramesPerPerson, GapFrames, LeadFrames int
}

// buildDemo makes a province (keys, a server on 127.0.0.1), enrols a
// scanner in dir, adds an operator, issues the people's codes and renders
// them into an image folder. The caller closes the world.
func buildDemo(ctx context.Context, dir string, pace demoPacing, log *slog.Logger) (*demoWorld, error) {
	w := &demoWorld{Dir: dir, DataPath: filepath.Join(dir, "scanner", "hcscan.db"), Frames: filepath.Join(dir, "video"),
		Log: filepath.Join(dir, "scanner", "hcscan.log"), Operator: "demo", PIN: "1234"}
	srvDir := filepath.Join(dir, "province")
	keys, err := server.InitKeys(filepath.Join(srvDir, "keys"), server.DefaultRegions)
	if err != nil {
		return nil, err
	}
	if w.srv, err = server.New(server.Config{Dir: srvDir, Logger: log}); err != nil {
		return nil, fmt.Errorf("provincial server: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("provincial server: %w", err)
	}
	w.URL = "http://" + ln.Addr().String()
	w.http = server.NewHTTPServer(ln.Addr().String(), w.srv.Handler(), log)
	go w.http.Serve(ln)

	token, _, err := w.srv.NewToken(server.TokenEnroll, "第一中学 No.1 School", "东门 East gate")
	if err != nil {
		w.Close()
		return nil, err
	}
	st, err := store.Open(w.DataPath, store.Options{Logger: log})
	if err != nil {
		w.Close()
		return nil, err
	}
	defer st.Close()
	if _, err := hcsync.Enroll(ctx, st, hcsync.EnrollOptions{ServerURL: w.URL, Token: token, Name: "demo laptop"}); err != nil {
		w.Close()
		return nil, fmt.Errorf("enrol the demo scanner: %w", err)
	}
	if err := st.AddOperator(w.Operator, w.PIN); err != nil {
		w.Close()
		return nil, err
	}
	client, err := hcsync.New(st, hcsync.Options{Logger: log})
	if err != nil {
		w.Close()
		return nil, err
	}
	if _, err := client.SyncOnce(ctx, nil); err != nil { // trust and status lists into the cache
		w.Close()
		return nil, fmt.Errorf("first sync of the demo scanner: %w", err)
	}
	if w.People, err = demoPeople(keys, time.Now()); err != nil {
		w.Close()
		return nil, err
	}
	if err := renderFrames(w.Frames, w.People, pace); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

func demoPeople(keys *server.Keys, now time.Time) ([]demoPerson, error) {
	issue := func(region healthcode.Region, colour healthcode.Colour, name, id, lang string, issued time.Time) (string, error) {
		is, err := keys.Issuer(region)
		if err != nil {
			return "", err
		}
		c, err := healthcode.NewClaims(rand.Reader, region, colour, name, id, lang, issued, 72*time.Hour)
		if err != nil {
			return "", err
		}
		return is.Issue(rand.Reader, c)
	}
	_, forgerKey, _ := ed25519.GenerateKey(rand.Reader)
	forger := healthcode.Issuer{Region: 110000, Key: forgerKey}
	type spec struct {
		label    string
		region   healthcode.Region
		colour   healthcode.Colour
		name, id string
		lang     string
		issued   time.Time
		forged   bool
		readings []healthcode.Temperature
	}
	recent := now.Add(-2 * time.Hour)
	specs := []spec{
		{"green code, normal temperature → pass", 110105, healthcode.Green, "张三丰", "110105199001011234", "zh", recent, false, []healthcode.Temperature{365}},
		{"yellow code → stop, persuade to return", 310104, healthcode.Yellow, "李小龙", "310104198506061234", "zh", recent, false, []healthcode.Temperature{366}},
		{"red code (Guangdong, one code pass) → stop, send to clinic", 440305, healthcode.Red, "王芳芳", "440305197707071234", "zh", recent, false, []healthcode.Temperature{364}},
		{"expired code → invalid", 110105, healthcode.Green, "赵六", "110105196001011234", "zh", now.Add(-75 * time.Hour), false, nil},
		{"forged code (unknown issuer key) → invalid", 110105, healthcode.Green, "孙七", "110105199909091234", "zh", recent, true, nil},
		{"green code with fever 38.1 °C → stop, re-measure", 510104, healthcode.Green, "周八", "510104199202021234", "zh", recent, false, []healthcode.Temperature{381, 380}},
		{"Korean visitor, green → pass (holder line in Korean)", 110105, healthcode.Green, "Kim Minsu", "M12345678", "ko", recent, false, []healthcode.Temperature{367}},
	}
	var people []demoPerson
	for _, s := range specs {
		var payload string
		var err error
		if s.forged {
			c, cerr := healthcode.NewClaims(rand.Reader, s.region, s.colour, s.name, s.id, s.lang, s.issued, 72*time.Hour)
			if cerr != nil {
				return nil, cerr
			}
			payload, err = forger.Issue(rand.Reader, c)
		} else {
			payload, err = issue(s.region, s.colour, s.name, s.id, s.lang, s.issued)
		}
		if err != nil {
			return nil, fmt.Errorf("issue demo code (%s): %w", s.label, err)
		}
		people = append(people, demoPerson{Label: s.label, Payload: payload, Readings: s.readings})
	}
	return people, nil
}

// renderFrames writes the demo video as an image folder (the camera plays
// folders in name order): a blank lead-in, then each person's code in view
// for a while (moving a little, as a held phone does) with a gap between.
func renderFrames(dir string, people []demoPerson, pace demoPacing) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	const W, H = 640, 480
	n := 0
	write := func(img image.Image) error {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("frame%05d.png", n)))
		if err != nil {
			return err
		}
		n++
		enc := png.Encoder{CompressionLevel: png.BestSpeed}
		if err := enc.Encode(f, img); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	blank := image.NewGray(image.Rect(0, 0, W, H))
	draw.Draw(blank, blank.Bounds(), image.NewUniform(image.White.C), image.Point{}, draw.Src)
	for range pace.LeadFrames {
		if err := write(blank); err != nil {
			return err
		}
	}
	for _, p := range people {
		code, err := qrimage.Render(p.Payload, 4)
		if err != nil {
			return err
		}
		for i := range pace.FramesPerPerson {
			frame := image.NewGray(blank.Bounds())
			draw.Draw(frame, frame.Bounds(), image.NewUniform(color.Gray{Y: 200}), image.Point{}, draw.Src)
			dx, dy := (i%5)*4-8, (i%3)*4-4
			at := image.Pt((W-code.Bounds().Dx())/2+dx, (H-code.Bounds().Dy())/2+dy)
			draw.Draw(frame, code.Bounds().Add(at), code, image.Point{}, draw.Src)
			if err := write(frame); err != nil {
				return err
			}
		}
		for range pace.GapFrames {
			if err := write(blank); err != nil {
				return err
			}
		}
	}
	return nil
}

func runDemo(args []string) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	keep := fs.Bool("keep", false, "keep the demo folder (keys, data file, video, log) afterwards")
	lang := fs.String("lang", "zh", "zh or en (L switches at run time)")
	seconds := fs.Float64("seconds", 8, "how long each person holds up their code")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *lang != "zh" && *lang != "en" {
		fmt.Fprintln(os.Stderr, "hcscan demo: --lang must be zh or en")
		return exitUsage
	}
	dir, err := os.MkdirTemp("", "hcscan-demo-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "hcscan demo:", err)
		return exitUsage
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	fmt.Printf("hcscan demo: making a province, a scanner and a video of %d people in %s …\n", 7, dir)
	logf, err := os.OpenFile(filepath.Join(dir, "demo.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hcscan demo:", err)
		return exitUsage
	}
	defer logf.Close()
	log := slog.New(slog.NewTextHandler(logf, nil))
	const fps = 4
	ctx := context.Background()
	w, err := buildDemo(ctx, dir, demoPacing{FramesPerPerson: int(*seconds * fps), GapFrames: 2 * fps, LeadFrames: 2 * fps}, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hcscan demo:", err)
		return exitUsage
	}
	defer w.Close()

	fmt.Println("The people at the gate, in order (the thermometer's readings are typed in for you; press Enter):")
	for i, p := range w.People {
		fmt.Printf("  %d. %s\n", i+1, p.Label)
	}
	fmt.Printf("Sign in as operator %q with PIN %s. The video starts when you sign in.\n", w.Operator, w.PIN)
	fmt.Println("Keys: Enter confirms, 1-5 picks an action, r records, s sync, ? help, L 中文/English, q q quits.")

	cfg := DefaultConfig()
	cfg.Data.Dir = filepath.Dir(w.DataPath)
	cfg.Camera.Source = w.Frames
	cfg.Camera.Cooldown = Duration{2 * time.Second}
	cfg.Server.SyncInterval = Duration{5 * time.Second}
	cfg.UI.Language = *lang
	cfg.UI.LogFile = w.Log
	banner := fmt.Sprintf("演示 demo: 操作员 operator = %s · PIN = %s", w.Operator, w.PIN)
	if !waitForEnter("Press Enter to open the scanner screen …") {
		return exitOK
	}
	code := openScreen(screenConfig{cfg: cfg, dataPath: w.DataPath, banner: banner, therm: w.thermometer(),
		folderFPS: fps, camAfterSignIn: true})
	if code != exitOK {
		return code
	}
	return demoAfter(ctx, w)
}

// waitForEnter pauses on a terminal so the guide can be read; elsewhere it
// goes on at once.
func waitForEnter(prompt string) bool {
	fmt.Print(prompt)
	var b [1]byte
	_, err := os.Stdin.Read(b[:])
	fmt.Println()
	return err == nil || errors.Is(err, io.EOF)
}

// demoAfter uploads what is left and says what the province received.
func demoAfter(ctx context.Context, w *demoWorld) int {
	st, err := store.Open(w.DataPath, store.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "hcscan demo:", err)
		return exitUsage
	}
	defer st.Close()
	client, err := hcsync.New(st, hcsync.Options{})
	if err == nil {
		_, err = client.SyncOnce(ctx, nil)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hcscan demo: last upload:", err)
	}
	n, _ := st.Count()
	p, _ := st.Pending()
	fmt.Printf("hcscan demo: %d records saved on the scanner, %d uploaded to the province, %d waiting.\n", n, n-p, p)
	return exitOK
}
