package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	gosync "sync"
	"syscall"
	"time"

	"hcscan/camera"
	"hcscan/internal/cli"
	"hcscan/store"
	hcsync "hcscan/sync"
)

// errDemoInterrupted ends a demo stopped by a signal (exit 1).
var errDemoInterrupted = &cli.ExitError{Code: exitInvalid, Err: errors.New("stopped by a signal; the provincial server is stopped")}

// demo builds the demo's world in a temporary folder, prints a guide,
// opens the scanner screen on the video, and afterwards uploads what is
// left and says what the province received.
func (e env) demo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.FlagSet("hcscan", "demo", stderr)
	keep := fs.Bool("keep", false, "keep the demo folder (keys, data file, video, log) afterwards")
	lang := fs.String("lang", "", "zh or en (default: from LC_ALL, LC_MESSAGES or LANG: zh for a Chinese locale, else en; L switches at run time)")
	seconds := fs.Float64("seconds", 8, "how long each person holds up their code")
	serverBin := fs.String("hcserver", "", "the provincial server program (default: hcserver beside hcscan, else on PATH)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cli.Usagef("unexpected argument %q", fs.Arg(0))
	}
	if *lang == "" {
		*lang = localeLang(os.Getenv)
	}
	if *lang != "zh" && *lang != "en" {
		return cli.Usagef("--lang must be zh or en")
	}
	bin := *serverBin
	if bin == "" {
		var err error
		if bin, err = findHCServer(); err != nil {
			return usage(err)
		}
	} else if !isExecutable(bin) {
		return cli.Usagef("--hcserver %s: not an executable file (`make build` builds bin/hcserver)", bin)
	}
	camera.TuneAllocator()

	// A signal (Ctrl-C before the screen opens, kill, the terminal closing)
	// ends the demo in order: the screen closes, the server child is
	// stopped and waited for, the folder is removed.
	ctx, stopSignals := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stopSignals()
	dir, err := os.MkdirTemp("", "hcscan-demo-")
	if err != nil {
		return usage(err)
	}
	var w *demoWorld
	var cleanOnce gosync.Once
	cleanup := func() {
		cleanOnce.Do(func() {
			w.Close()
			if !*keep {
				os.RemoveAll(dir)
			}
		})
	}
	defer cleanup()
	finished := make(chan struct{})
	defer close(finished)
	go func() { // backstop: if the demo is stuck when a signal comes, clean up and leave
		select {
		case <-finished:
		case <-ctx.Done():
			select {
			case <-finished:
			case <-time.After(5 * time.Second):
				cleanup()
				os.Exit(exitInvalid)
			}
		}
	}()

	fmt.Fprintf(stdout, "hcscan demo: making a province, a scanner and a video of %d people in %s …\n", 7, dir)
	logf, err := os.OpenFile(filepath.Join(dir, "demo.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return usage(err)
	}
	defer logf.Close()
	log := slog.New(slog.NewTextHandler(logf, nil))
	const fps = 4
	w, err = buildDemo(ctx, demoOptions{Dir: dir, HCServer: bin, Log: log, ServerLog: logf,
		Pace: demoPacing{FPS: fps, FramesPerPerson: int(*seconds * fps), GapFrames: 2 * fps, LeadFrames: 2 * fps}})
	if err != nil {
		if ctx.Err() != nil {
			return errDemoInterrupted
		}
		if *keep {
			err = fmt.Errorf("%w (the log is in %s)", err, logf.Name())
		}
		return usage(err)
	}
	fmt.Fprintf(stdout, "The provincial server (%s, pid %d) listens on %s.\n", bin, w.server.Pid, w.URL)
	fmt.Fprintln(stdout, "The people at the gate, in order (the thermometer's readings are typed in for you; press Enter):")
	for i, p := range w.People {
		fmt.Fprintf(stdout, "  %d. %s\n", i+1, p.Label)
	}
	fmt.Fprintf(stdout, "Operator %q with PIN %s is filled in on the sign-in screen: press Enter. The video starts when you sign in.\n", w.Operator, w.PIN)
	fmt.Fprintln(stdout, "Keys: Enter confirms, the numbers shown pick an action, Esc asks before letting someone go, m manual entry, r records, s sync, ? help, L 中文/English, q q quits.")

	cfg := DefaultConfig()
	cfg.Data.Dir = filepath.Dir(w.DataPath)
	cfg.Camera.Source = w.Video
	cfg.Camera.Cooldown = Duration{2 * time.Second}
	cfg.Server.SyncInterval = Duration{5 * time.Second}
	cfg.UI.Language = *lang
	cfg.UI.LogFile = w.Log
	banner := fmt.Sprintf("演示 demo: 操作员 operator = %s · PIN = %s", w.Operator, w.PIN)
	if !waitForEnter(ctx, e.stdin, stdout, "Press Enter to open the scanner screen …") {
		if ctx.Err() != nil {
			return errDemoInterrupted
		}
		return nil
	}
	tty, err := e.terminal(stdout)
	if err != nil {
		return usage(err)
	}
	err = openScreen(ctx, screenConfig{cfg: cfg, dataPath: w.DataPath, banner: banner, therm: w.thermometer(),
		camAfterSignIn: true, clock: e.clock, signInAs: [2]string{w.Operator, w.PIN}}, tty, stderr)
	if ctx.Err() != nil {
		return errDemoInterrupted
	}
	if err != nil {
		return err
	}
	return demoAfter(ctx, w, stdout, stderr)
}

// localeLang is the screen's language from the locale (LC_ALL, then
// LC_MESSAGES, then LANG, as POSIX orders them): zh for a Chinese locale,
// en for any other language; zh when none is set.
func localeLang(getenv func(string) string) string {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := getenv(k)
		if v == "" {
			continue
		}
		if strings.HasPrefix(strings.ToLower(v), "zh") {
			return "zh"
		}
		return "en"
	}
	return "zh"
}

// waitForEnter pauses so that the guide can be read: it reads a line from
// in (on a terminal, the operator presses Enter; elsewhere it goes on when
// in ends). It gives up when ctx ends.
func waitForEnter(ctx context.Context, in io.Reader, out io.Writer, prompt string) bool {
	fmt.Fprint(out, prompt)
	read := make(chan error, 1)
	go func() {
		var b [1]byte
		_, err := in.Read(b[:])
		read <- err
	}()
	select {
	case err := <-read:
		fmt.Fprintln(out)
		return err == nil || errors.Is(err, io.EOF)
	case <-ctx.Done():
		fmt.Fprintln(out)
		return false
	}
}

// demoAfter uploads what is left and says what the province received.
func demoAfter(ctx context.Context, w *demoWorld, stdout, stderr io.Writer) error {
	st, err := store.Open(w.DataPath, store.Options{})
	if err != nil {
		return usage(err)
	}
	defer st.Close()
	client, err := hcsync.New(st, hcsync.Options{})
	if err == nil {
		_, err = client.SyncOnce(ctx, nil)
	}
	if err != nil {
		fmt.Fprintln(stderr, "hcscan demo: last upload:", err)
	}
	n, _ := st.Count()
	p, _ := st.Pending()
	fmt.Fprintf(stdout, "hcscan demo: %d records saved on the scanner, %d uploaded to the province, %d waiting.\n", n, n-p, p)
	return nil
}
