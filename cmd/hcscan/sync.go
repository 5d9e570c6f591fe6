package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"hcscan/internal/cli"
	"hcscan/store"
	hcsync "hcscan/sync"
)

// sync runs one sync with the province and exits: 0 all uploaded, 1 the
// sync failed (records stay waiting), 2 usage or not enrolled.
func (e env) sync(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.FlagSet("hcscan", "sync", stderr)
	cfgFlag := fs.String("config", "", "configuration file (default $HCSCAN_CONFIG or ~/.config/hcscan/config.toml)")
	dataFlag := fs.String("data", "", "data file (default DATA_DIR/hcscan.db)")
	retries := fs.Int("retries", 5, "how many times to try again after a network or server failure (0: once only)")
	quiet := fs.Bool("quiet", false, "no progress bar")
	verbose := fs.Bool("verbose", false, "log to standard error instead of the log file")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hcscan sync [--data FILE] [--retries N] [--quiet] [--verbose]")
		fmt.Fprintln(stderr, "Fetches the trust list and status changes and uploads every waiting record, then exits.")
		fmt.Fprintln(stderr, "Exit code: 0 all uploaded, 1 the sync failed (records stay waiting), 2 usage or not enrolled.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cli.Usagef("unexpected argument %q.", fs.Arg(0))
	}
	if *retries < 0 {
		return cli.Usagef("--retries must be 0 or more.")
	}
	cfg, err := LoadConfig(configPath(*cfgFlag))
	if err != nil {
		return usage(err)
	}
	path := dataPath(*dataFlag, cfg)
	if _, err := os.Stat(path); err != nil {
		return cli.Usagef("there is no data file at %s; enrol first with `hcscan enroll`.", path)
	}
	var log *slog.Logger
	if *verbose {
		log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	} else {
		l, closer, err := openLog(cfg, path)
		if err != nil {
			return usage(err)
		}
		defer closer.Close()
		log = l
	}
	loc, err := cfg.Location()
	if err != nil {
		return usage(err)
	}
	st, clk, err := openData(path, e.clock, loc, store.Options{Logger: log})
	if err != nil {
		return usage(err)
	}
	defer st.Close()
	client, err := hcsync.New(st, hcsync.Options{Logger: log, Clock: clk})
	if err != nil {
		return usage(fmt.Errorf("%s: %w", path, err))
	}

	bar := newProgressBar(stderr, isTerminal(stderr) && !*quiet, *quiet)
	var total hcsync.Report
	backoff := hcsync.Backoff{Base: time.Second, Cap: 30 * time.Second}
	for attempt := 0; ; attempt++ {
		rep, err := client.SyncOnce(ctx, bar.update)
		bar.done()
		total = addReports(total, rep)
		if err == nil {
			break
		}
		fmt.Fprintf(stderr, "hcscan sync: %v\n", err)
		if ctx.Err() != nil || attempt >= *retries || !hcsync.Retryable(err) {
			printSummary(stdout, total, client.State())
			return cli.Exit(exitInvalid)
		}
		wait := backoff.Next(hcsync.RetryAfter(err))
		fmt.Fprintf(stderr, "hcscan sync: trying again in %s (%d of %d)\n", wait.Round(100*time.Millisecond), attempt+1, *retries)
		select {
		case <-ctx.Done():
			printSummary(stdout, total, client.State())
			return cli.Exit(exitInvalid)
		case <-time.After(wait):
		}
	}
	printSummary(stdout, total, client.State())
	return nil
}

func addReports(a, b hcsync.Report) hcsync.Report {
	b.Stored += a.Stored
	b.Duplicates += a.Duplicates
	b.Rejected += a.Rejected
	b.Batches += a.Batches
	b.Alerts = append(a.Alerts, b.Alerts...)
	b.AcksReported += a.AcksReported
	b.Took += a.Took
	return b
}

func printSummary(w io.Writer, r hcsync.Report, s hcsync.State) {
	fmt.Fprintf(w, "Uploaded %d records", r.Stored)
	if r.Duplicates > 0 {
		fmt.Fprintf(w, " (and %d the server already had)", r.Duplicates)
	}
	fmt.Fprintf(w, "; %d still waiting.\n", s.Pending)
	if r.Rejected > 0 || s.DeadLetters > 0 {
		fmt.Fprintf(w, "Rejected by the server: %d now, %d in all (see the records screen; they are kept and not uploaded again).\n", r.Rejected, s.DeadLetters)
	}
	if s.TrustSeq > 0 {
		fmt.Fprintf(w, "Trust list #%d, status list #%d.\n", s.TrustSeq, s.StatusSeq)
	}
	if m := s.Clock; m.Confirmed {
		fmt.Fprintf(w, "Clock offset to the province: %s", m.Offset().Round(time.Millisecond))
		if s.ClockSkewed {
			fmt.Fprint(w, " — this computer's clock is off; set it (verdicts and records use the province's time)")
		}
		fmt.Fprintln(w, ".")
	}
	for _, a := range r.Alerts {
		fmt.Fprintf(w, "ALERT: record %s (#%d): %s\n", a.RecordID, a.Seq, a.Reason)
	}
	if r.AcksReported > 0 {
		fmt.Fprintf(w, "Told the province that %d alerts were seen at the gate.\n", r.AcksReported)
	}
}

// progressBar draws "uploaded 12000/100000 [######........]" on stderr:
// redrawn in place on a terminal, a line per tenth otherwise.
type progressBar struct {
	w         io.Writer
	tty, off  bool
	drawn     bool
	lastTenth int
	last      time.Time
}

func newProgressBar(w io.Writer, tty, off bool) *progressBar {
	return &progressBar{w: w, tty: tty, off: off, lastTenth: -1}
}

const barWidth = 30

func progressLine(sent, total int) string {
	filled := 0
	if total > 0 {
		filled = sent * barWidth / total
	}
	return fmt.Sprintf("uploaded %d/%d [%s%s]", sent, total, strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled))
}

func (p *progressBar) update(sent, total int) {
	if p.off || total == 0 {
		return
	}
	if p.tty {
		if now := time.Now(); sent < total && now.Sub(p.last) < 100*time.Millisecond {
			return
		} else {
			p.last = now
		}
		fmt.Fprintf(p.w, "\r%s", progressLine(sent, total))
		p.drawn = true
		return
	}
	if tenth := sent * 10 / total; tenth != p.lastTenth {
		p.lastTenth = tenth
		fmt.Fprintln(p.w, progressLine(sent, total))
	}
}

// done ends the bar's line on a terminal.
func (p *progressBar) done() {
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
	p.lastTenth = -1
}

func isTerminal(w io.Writer) bool {
	f := cli.FileOf(w)
	if f == nil {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
