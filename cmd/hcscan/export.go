package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"hcscan/healthcode"
	"hcscan/internal/cli"
	"hcscan/internal/trustclock"
	"hcscan/store"
)

// export writes the records of some local days as CSV or JSON lines.
func (e env) export(_ context.Context, args []string, stdout, stderr io.Writer) error {
	return cli.Exit(exportCommand(args, stdout, stderr, e.clock))
}

// exportColumns is the CSV header; the sealed identity of manual entries
// is never exported (only the province can open it anyway).
var exportColumns = []string{
	"id", "seq", "time", "corrected_time", "time_source", "clock_jump_s", "device_id", "institution", "gate", "operator",
	"verdict", "provisional", "scanned_colour", "effective_colour", "reason", "temperature", "fever",
	"disposition", "name_masked", "id_masked", "region", "lang", "manual", "manual_reason", "code_hash", "upload_state",
	"abandoned", "repeat_of",
}

// exportCommand exports the checks of the days from --from to --to: the
// institution's days (gate.time_zone) by the time of each check (its
// corrected time), the days today's counts and list use; the default is
// today by the province's time when the data file has it.
func exportCommand(args []string, stdout, stderr io.Writer, clock trustclock.Source) int {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgFlag := fs.String("config", "", "configuration file (default $HCSCAN_CONFIG or ~/.config/hcscan/config.toml)")
	data := fs.String("data", "", "data file (default DATA_DIR/hcscan.db from the configuration)")
	from := fs.String("from", "", "first day to export, YYYY-MM-DD (the institution's day; default today)")
	to := fs.String("to", "", "last day to export, YYYY-MM-DD (inclusive; default today)")
	format := fs.String("format", "csv", "csv or jsonl")
	out := fs.String("out", "", "write to this file (mode 0600) instead of standard output")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hcscan export [--from DATE] [--to DATE] [--format csv|jsonl] [--out FILE] [--data FILE]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hcscan export: unexpected argument %q.\n", fs.Arg(0))
		return exitUsage
	}
	if *format != "csv" && *format != "jsonl" {
		fmt.Fprintf(stderr, "hcscan export: --format must be csv or jsonl, not %q.\n", *format)
		return exitUsage
	}
	cfg, err := LoadConfig(configPath(*cfgFlag))
	if err != nil {
		fmt.Fprintln(stderr, "hcscan export:", err)
		return exitUsage
	}
	path := dataPath(*data, cfg)
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintf(stderr, "hcscan export: there is no data file at %s.\n", path)
		return exitUsage
	}
	loc, err := cfg.Location()
	if err != nil {
		fmt.Fprintln(stderr, "hcscan export:", err)
		return exitUsage
	}
	s, clk, err := openData(path, clock, loc, store.Options{ReadOnly: true})
	if err != nil {
		fmt.Fprintf(stderr, "hcscan export: %v.\n", err)
		return exitUsage
	}
	defer s.Close()
	today := clk.Now().In(loc).Format("2006-01-02")
	if *from == "" {
		*from = today
	}
	if *to == "" {
		*to = today
	}
	start, err := time.ParseInLocation("2006-01-02", *from, loc)
	if err != nil {
		fmt.Fprintf(stderr, "hcscan export: --from %q is not a date like 2022-04-12.\n", *from)
		return exitUsage
	}
	last, err := time.ParseInLocation("2006-01-02", *to, loc)
	if err != nil {
		fmt.Fprintf(stderr, "hcscan export: --to %q is not a date like 2022-04-12.\n", *to)
		return exitUsage
	}
	if last.Before(start) {
		fmt.Fprintf(stderr, "hcscan export: --to %s is before --from %s.\n", *to, *from)
		return exitUsage
	}

	w := stdout
	var file *os.File
	if *out != "" {
		file, err = os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			fmt.Fprintf(stderr, "hcscan export: cannot write %s: %v.\n", *out, err)
			return exitUsage
		}
		w = file
	}
	bw := bufio.NewWriter(w)
	n, err := writeExport(s, bw, *format, store.Filter{From: start, To: last.AddDate(0, 0, 1)})
	if err == nil {
		err = bw.Flush()
	}
	if file != nil {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "hcscan export: %v.\n", err)
		return exitUsage
	}
	dest := "standard output"
	if *out != "" {
		dest = *out
	}
	fmt.Fprintf(stderr, "exported %d records from %s to %s to %s\n", n, *from, *to, dest)
	return exitOK
}

func writeExport(s *store.Store, w io.Writer, format string, f store.Filter) (int, error) {
	n := 0
	if format == "jsonl" {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		err := s.Each(f, func(e store.Entry) error {
			e.Record.Sealed = nil
			n++
			return enc.Encode(struct {
				healthcode.Record
				UploadState string `json:"upload_state"`
			}{e.Record, e.State.String()})
		})
		return n, err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(exportColumns); err != nil {
		return 0, err
	}
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Local().Format(time.RFC3339)
	}
	err := s.Each(f, func(e store.Entry) error {
		r := e.Record
		temp := ""
		if r.Temperature != 0 {
			temp = r.Temperature.String()
		}
		hash := ""
		if !r.CodeHash.IsZero() {
			hash = r.CodeHash.String()
		}
		region := ""
		if r.Region != 0 {
			region = r.Region.String()
		}
		jump := ""
		if r.ClockJump != 0 {
			jump = strconv.FormatFloat(r.ClockJump.Seconds(), 'f', 0, 64)
		}
		n++
		return cw.Write([]string{
			r.ID, strconv.FormatUint(r.Seq, 10), ts(r.Time), ts(r.CorrectedTime), string(r.TimeSource), jump, r.DeviceID, r.Institution, r.Gate, r.Operator,
			r.Verdict.String(), strconv.FormatBool(r.Provisional), r.ScannedColour.String(), r.EffectiveColour.String(),
			string(r.Reason), temp, strconv.FormatBool(r.Fever), r.Disposition.String(), r.Name, r.IDMasked,
			region, r.Lang, strconv.FormatBool(r.Manual), r.ManualReason, hash, e.State.String(),
			strconv.FormatBool(r.Abandoned), r.RepeatOf,
		})
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	return n, err
}
