package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	gosync "sync"
	"sync/atomic"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/term"

	"hcscan/camera"
	"hcscan/healthcode"
	"hcscan/internal/cli"
	"hcscan/internal/pemkey"
	"hcscan/internal/screenwire"
	"hcscan/internal/trustclock"
	"hcscan/store"
	hcsync "hcscan/sync"
	"hcscan/tui"
)

// run opens the scanner screen (the default command) in the terminal.
func (e env) run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.FlagSet("hcscan", "run", stderr)
	cfgFlag := fs.String("config", "", "configuration file (default $HCSCAN_CONFIG or ~/.config/hcscan/config.toml)")
	dataFlag := fs.String("data", "", "data file (default DATA_DIR/hcscan.db from the configuration)")
	camFlag := fs.String("camera", "", "camera source: a webcam number, a video file, an image folder or a URL (overrides the configuration)")
	trustFlag := fs.String("trust", "", "a signed trust list to verify with when this scanner is not enrolled")
	rootFlag := fs.String("root", "", "the province's root public key for --trust (default root.pub beside it)")
	langFlag := fs.String("lang", "", "zh or en (overrides the configuration; L switches at run time)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hcscan [run] [--config FILE] [--data FILE] [--camera SOURCE] [--trust FILE] [--lang zh|en]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cli.Usagef("unexpected argument %q", fs.Arg(0))
	}
	cfg, err := LoadConfig(configPath(*cfgFlag))
	if err != nil {
		return usage(err)
	}
	if *camFlag != "" {
		cfg.Camera.Source = *camFlag
	}
	if *langFlag != "" {
		if *langFlag != "zh" && *langFlag != "en" {
			return cli.Usagef("--lang must be zh or en")
		}
		cfg.UI.Language = *langFlag
	}
	tty, err := e.terminal(stdout)
	if err != nil {
		return usage(err)
	}
	camera.TuneAllocator()
	sc := screenConfig{cfg: cfg, dataPath: dataPath(*dataFlag, cfg), trustPath: *trustFlag, rootPath: *rootFlag, clock: e.clock}
	return openScreen(ctx, sc, tty, stderr)
}

// terminal is standard input and output as the terminal the screen runs
// in; an error when either is not one.
func (e env) terminal(stdout io.Writer) (*terminal, error) {
	in, _ := e.stdin.(*os.File)
	out := cli.FileOf(stdout)
	if in == nil || out == nil || !term.IsTerminal(in.Fd()) || !term.IsTerminal(out.Fd()) {
		return nil, errors.New("the scanner screen needs a terminal (run it in a terminal window, or in tmux)")
	}
	return &terminal{in: in, out: &ttyOut{File: out}}, nil
}

// terminal is where the screen runs: raw input, and the output shared by
// the screen and the bell.
type terminal struct {
	in  *os.File
	out *ttyOut
}

// screenConfig is what the scanner screen is opened with.
type screenConfig struct {
	cfg            Config
	dataPath       string
	trustPath      string // fixed trust list (not enrolled)
	rootPath       string
	banner         string          // shown on the sign-in screen
	signInAs       [2]string       // operator and PIN filled in on the sign-in screen (the demo's)
	therm          tui.Thermometer // the demo's scripted readings
	camAfterSignIn bool            // open the camera only when someone signs in (the demo's video)
	clock          trustclock.Source
	trusted        *trustclock.Clock // over the data file; nil: made by buildScreen
}

// ttyOut is the terminal, shared by the screen and the bell so that a bell
// never lands inside an escape sequence.
type ttyOut struct {
	*os.File
	mu gosync.Mutex
}

func (w *ttyOut) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.File.Write(p)
}

func (w *ttyOut) bell() { _, _ = w.Write([]byte{'\a'}) }

// openLog opens the log file (0600): the screen owns the terminal, so
// everything else is said here.
func openLog(cfg Config, dataPath string) (*slog.Logger, io.Closer, error) {
	path := cfg.UI.LogFile
	if path == "" {
		path = filepath.Join(filepath.Dir(dataPath), "hcscan.log")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, fmt.Errorf("log file %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("log file %s: %w", path, err)
	}
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo})), f, nil
}

// openScreen runs the scanner screen in tty until the operator quits,
// SIGTERM or SIGHUP comes, the terminal hangs up, or ctx ends.
func openScreen(ctx context.Context, sc screenConfig, tty *terminal, stderr io.Writer) error {
	cfg := sc.cfg
	log, logFile, err := openLog(cfg, sc.dataPath)
	if err != nil {
		return usage(err)
	}
	defer logFile.Close()

	ctx, cancel := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGHUP)
	defer cancel()

	loc, err := cfg.Location()
	if err != nil {
		return usage(err)
	}
	st, clk, err := openData(sc.dataPath, sc.clock, loc, store.Options{Logger: log})
	if err != nil {
		return usage(err)
	}
	defer st.Close()
	sc.trusted = clk
	m, closeScreen, err := buildScreen(ctx, sc, st, log, tty.out.bell)
	if err != nil {
		return usage(err)
	}
	defer closeScreen()
	log.Info("scanner screen open", "data", sc.dataPath, "camera", cfg.Camera.Source)
	err = runTerminal(ctx, m, tty)
	if n := m.Unchecked(); n > 0 {
		// Said once the screen has given the terminal back.
		fmt.Fprintf(stderr, "hcscan: codes read but not checked before the screen closed: %d; ask those people to show their code again.\n", n)
	}
	if err != nil {
		log.Error("screen", "err", err)
		return usage(err)
	}
	log.Info("scanner screen closed")
	return nil
}

// runTerminal runs the screen in the terminal: raw input, the screen's
// own change-driven drawing (tui.Immediate), the size at start and on
// every resize. The terminal is restored however the program ends.
func runTerminal(ctx context.Context, m *tui.Model, tty *terminal) error {
	state, err := term.MakeRaw(tty.in.Fd())
	if err != nil {
		return fmt.Errorf("terminal: %w", err)
	}
	defer term.Restore(tty.in.Fd(), state)
	out := tty.out
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	scr := tui.NewImmediate(m, out)
	defer scr.Close()
	in := &hangupInput{File: tty.in, hungUp: cancel}
	p := tea.NewProgram(scr, tea.WithoutRenderer(), tea.WithInput(in), tea.WithContext(ctx), tea.WithoutSignalHandler())
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	defer signal.Stop(winch)
	sendSize := func() {
		if w, h, err := term.GetSize(out.Fd()); err == nil {
			p.Send(tea.WindowSizeMsg{Width: w, Height: h})
		}
	}
	go func() {
		sendSize()
		for {
			select {
			case <-ctx.Done():
				return
			case <-winch:
				sendSize()
			}
		}
	}()
	if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) && !errors.Is(err, context.Canceled) {
		return err
	}
	if in.hung.Load() {
		return errHungUp
	}
	return nil
}

var errHungUp = errors.New("the terminal hung up")

// hangupInput is the terminal's input for the screen. A raw terminal gives
// end of file only when it hangs up (Ctrl-D is just a key): the window was
// closed or the tmux session killed, and whoever started hcscan (make, a
// script) need not pass SIGHUP on. Then the screen ends, so that what
// hcscan started is stopped in order. It keeps Fd and Name, so bubbletea
// can still wait on the terminal and interrupt its read at the end.
type hangupInput struct {
	*os.File
	hungUp func()
	hung   atomic.Bool
}

func (h *hangupInput) Read(p []byte) (int, error) {
	n, err := h.File.Read(p)
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.EIO) {
		h.hung.Store(true)
		h.hungUp()
	}
	return n, err
}

// buildScreen wires the screen to the parts: the store, the verifier over
// the cached (or given) trust list, the sync client when enrolled, and the
// camera. close stops what it started.
func buildScreen(ctx context.Context, sc screenConfig, st *store.Store, log *slog.Logger, bell func()) (m *tui.Model, stop func(), err error) {
	cfg := sc.cfg
	fail := func(err error) (*tui.Model, func(), error) { return nil, nil, err }
	ops, err := st.Operators()
	if err != nil {
		return fail(err)
	}
	if len(ops) == 0 {
		return fail(fmt.Errorf("no operator on this scanner yet: add one with `hcscan operator add NAME` (data file %s)", sc.dataPath))
	}
	dev, enrolled, err := st.Device()
	if err != nil {
		return fail(err)
	}

	clk := sc.trusted
	if clk == nil {
		clk = newTrustedClock(sc.clock, st, log)
	}
	loc, err := cfg.Location()
	if err != nil {
		return fail(err)
	}
	policy := cfg.Policy()
	var fixed *healthcode.TrustList
	if sc.trustPath != "" {
		if fixed, err = readTrustList(sc.trustPath, sc.rootPath); err != nil {
			return fail(err)
		}
	} else if !enrolled {
		log.Warn("no trust list: every code will be refused until the scanner is enrolled", "err", errNoTrust)
	}
	checkOpts := screenwire.CheckerOptions{Fixed: fixed, Policy: policy, Clock: clk, Log: log}
	if fixed == nil && enrolled {
		checkOpts.Root = dev.RootKey
	}

	set := tui.Settings{
		Institution: cfg.Gate.Institution, Gate: cfg.Gate.Name, Policy: policy, AutoNext: cfg.Gate.AutoNext.Duration,
		VerdictHold: cfg.Gate.VerdictHold.Duration, KeyGuard: cfg.Gate.KeyGuard.Duration, RepeatWindow: cfg.Gate.RepeatWindow.Duration,
		Bell: cfg.Gate.Bell, IdleLock: cfg.UI.IdleLock.Duration, Lang: cfg.UI.Language, Banner: sc.banner, SignInAs: sc.signInAs,
		Location: loc, RosterOnly: cfg.Gate.RosterOnly,
	}
	var syncer tui.Syncer
	var roster *screenwire.RosterBook
	var checker *screenwire.Checker
	recordStore := screenwire.NewStore(st, fixed)
	stopSync := func() {}
	if enrolled {
		set.DeviceID, set.Gate = dev.ID, dev.Gate
		set.Institution = dev.Institution
		if dev.InstitutionName != "" {
			set.Institution = dev.InstitutionName
		}
		client, err := hcsync.New(st, hcsync.Options{Logger: log, Interval: cfg.Server.SyncInterval.Duration,
			LiveTimeout: cfg.Server.OnlineCheck.Duration, Clock: clk})
		if err != nil {
			return fail(err)
		}
		checkOpts.Live = client
		roster = screenwire.NewRosterBook(st, dev.Institution, func() ed25519.PublicKey { return checker.StatusKey(dev.ServerKey)() }, log)
		checkOpts.Roster = roster
		recordStore = recordStore.OnAppend(client.RecordSaved)
		sctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); client.Run(sctx) }()
		stopSync = func() { cancel(); <-done }
		syncer = screenwire.NewSync(sctx, client)
	}

	openCam := func() (*camera.Camera, error) {
		src, err := camera.ParseSource(cfg.Camera.Source)
		if err != nil {
			log.Error("camera", "source", cfg.Camera.Source, "err", err)
			return nil, err
		}
		cam, err := camera.Open(ctx, src, cameraOptions(cfg.Camera, src, log))
		if err != nil {
			log.Error("camera", "source", cfg.Camera.Source, "err", err)
		}
		return cam, err
	}
	var cam *screenwire.Camera
	var onSignIn func(string)
	if sc.camAfterSignIn || startsAtSignIn(cfg.Camera.Source) {
		var start func()
		cam, start = screenwire.NewDelayedCamera(openCam)
		onSignIn = func(string) { start() } // outside the screen's loop; the screen looks at the camera after
	} else {
		cam = screenwire.NewCamera(openCam())
	}
	checker = screenwire.NewChecker(st, checkOpts)
	deps := tui.Deps{Store: recordStore, Verify: checker.Verify, CanVerify: checker.CanVerify, Camera: cam,
		Sync: syncer, Seal: screenwire.Sealer(dev, enrolled), Bell: bell, Therm: sc.therm, Log: log, OnSignIn: onSignIn,
		Clock: clk, ClockEvents: clk.Watch(ctx, time.Second)}
	if roster != nil {
		deps.Roster = roster
	}
	m = tui.New(ctx, deps, set)
	return m, func() { stopSync(); cam.Close() }, nil
}

// startsAtSignIn says the camera source is one that plays rather than
// watches (a video file, an image folder or file, a stream URL): it starts
// when an operator signs in, so nothing plays to an empty screen. A webcam
// starts at once; what it reads before sign-in waits in the screen's queue.
func startsAtSignIn(source string) bool {
	src, err := camera.ParseSource(source)
	return err == nil && src.Kind != camera.Webcam
}

// cameraOptions are the camera's options from the configuration: a folder
// of images (or one image) is shown one image every camera.image_seconds,
// about the time a person stands at the gate.
func cameraOptions(cc CameraConfig, src camera.Source, log *slog.Logger) camera.Options {
	o := camera.Options{Width: cc.Width, Height: cc.Height, FPS: cc.FPS, Cooldown: cc.Cooldown.Duration, Logger: log}
	if src.Kind == camera.Folder || src.Kind == camera.ImageFile {
		o.FPS = 1 / cc.ImageSeconds
	}
	return o
}

// readTrustList reads a signed trust list given with --trust and checks it
// against the province's root key (root.pub beside it unless given).
func readTrustList(path, rootPath string) (*healthcode.TrustList, error) {
	if rootPath == "" {
		rootPath = filepath.Join(filepath.Dir(path), "root.pub")
	}
	pub, err := pemkey.ReadPublic(rootPath)
	if err != nil {
		return nil, fmt.Errorf("root key %s: %w (give --root FILE)", rootPath, err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	tl, err := healthcode.ParseTrustList(raw, pub, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return tl, nil
}

var errNoTrust = errors.New("no trust list: enrol this scanner (`hcscan enroll`) or give --trust FILE")
