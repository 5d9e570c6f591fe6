package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"time"

	"hcscan/internal/cli"
	"hcscan/store"
)

// doctor checks the data file and, when asked, repairs it.
func (e env) doctor(_ context.Context, args []string, stdout, stderr io.Writer) error {
	return cli.Exit(doctorCommand(args, stdout, stderr, e.now))
}

// Thresholds for warnings in the report.
const (
	lowDiskBytes    = 200 << 20
	oldPendingAfter = 24 * time.Hour
)

func doctorCommand(args []string, stdout, stderr io.Writer, now func() time.Time) int {
	fl := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fl.SetOutput(stderr)
	cfgFlag := fl.String("config", "", "configuration file (default $HCSCAN_CONFIG or ~/.config/hcscan/config.toml)")
	data := fl.String("data", "", "data file (default DATA_DIR/hcscan.db from the configuration)")
	repair := fl.Bool("repair", false, "if the file is damaged: move it aside (kept unchanged), start a new one and copy what can be read")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: hcscan doctor [--repair] [--data FILE]")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "hcscan doctor: unexpected argument %q.\n", fl.Arg(0))
		return exitUsage
	}
	cfg, err := LoadConfig(configPath(*cfgFlag))
	if err != nil {
		fmt.Fprintln(stderr, "hcscan doctor:", err)
		return exitUsage
	}
	path := dataPath(*data, cfg)
	rep, err := store.Inspect(path, time.Second)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		fmt.Fprintf(stderr, "hcscan doctor: there is no data file at %s (hcscan makes it when it first runs).\n", path)
		return exitUsage
	case errors.Is(err, store.ErrLocked):
		fmt.Fprintf(stderr, "hcscan doctor: %v; close it first.\n", err)
		return exitUsage
	case err != nil && !errors.Is(err, store.ErrCorrupt):
		fmt.Fprintf(stderr, "hcscan doctor: %v.\n", err)
		return exitUsage
	}
	printReport(stdout, rep, now())
	if rep.Healthy() {
		if *repair {
			fmt.Fprintln(stdout, "\nnothing to repair.")
		}
		return exitOK
	}
	if !*repair {
		fmt.Fprintf(stdout, "\nThe data file is damaged. Nothing was changed.\n"+
			"To keep it and start a new one with what can still be read, run:\n"+
			"    hcscan doctor --data %s --repair\n"+
			"(the damaged file is renamed to %s.damaged-DATE and kept as it is).\n", path, path)
		return exitInvalid
	}
	res, err := store.Repair(path, now(), store.Options{})
	if res != nil && res.Aside != "" {
		fmt.Fprintf(stdout, "\nmoved the damaged file to %s (kept unchanged)\n", res.Aside)
	}
	if err != nil {
		fmt.Fprintf(stderr, "hcscan doctor: %v.\n", err)
		return exitInvalid
	}
	fmt.Fprintf(stdout, "started a new data file at %s\n", path)
	fmt.Fprintf(stdout, "copied %d records (%d waiting for upload); %d could not be read\n", res.Records, res.Pending, res.Lost)
	if res.Device {
		fmt.Fprintln(stdout, "copied the device enrolment")
	} else {
		fmt.Fprintln(stdout, "the device enrolment could not be read: enrol this device again")
	}
	for _, m := range res.Messages {
		fmt.Fprintf(stdout, "note: %s\n", m)
	}
	return exitOK
}

func printReport(w io.Writer, r *store.Report, now time.Time) {
	fmt.Fprintf(w, "data file    %s\n", r.Path)
	fmt.Fprintf(w, "size         %s (mode %04o", humanBytes(uint64(r.Size)), r.Mode)
	if r.Schema > 0 {
		fmt.Fprintf(w, ", schema %d", r.Schema)
	}
	fmt.Fprintln(w, ")")
	fmt.Fprintf(w, "free space   %s", humanBytes(r.FreeBytes))
	if r.FreeBytes < lowDiskBytes {
		fmt.Fprint(w, "  WARNING: the disk is nearly full; records cannot be saved when it is")
	}
	fmt.Fprintln(w)
	if !r.Healthy() {
		fmt.Fprintln(w, "check        DAMAGED")
		for _, p := range r.Problems {
			fmt.Fprintf(w, "  - %s\n", p)
		}
		return
	}
	fmt.Fprintln(w, "check        ok (bbolt check passed, every record readable, counters match)")
	fmt.Fprintf(w, "records      %d (waiting for upload %d, uploaded %d, rejected %d)\n", r.Records, r.Pending, r.Uploaded, r.Rejected)
	if !r.OldestPending.IsZero() {
		age := now.Sub(r.OldestPending)
		fmt.Fprintf(w, "oldest wait  %s (%s ago)", r.OldestPending.Local().Format("2006-01-02 15:04"), humanAge(age))
		if age > oldPendingAfter {
			fmt.Fprint(w, "  WARNING: records are not reaching the province; connect this device")
		}
		fmt.Fprintln(w)
	}
	if r.Rejected > 0 {
		fmt.Fprintf(w, "rejected     %d records were refused by the server (see the records screen)\n", r.Rejected)
	}
	if r.Enrolled {
		fmt.Fprintf(w, "device       %s", r.DeviceID)
	} else {
		fmt.Fprint(w, "device       not enrolled")
	}
	if r.KeyFile != "" {
		fmt.Fprintf(w, " (key %s, mode %04o)", r.KeyFile, r.KeyFileMode)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "trust list   %s\n", listAge(r.TrustSeq, r.TrustFetched, now))
	fmt.Fprintf(w, "status list  %s\n", listAge(r.StatusSeq, r.StatusFetched, now))
	fmt.Fprintf(w, "operators    %d\n", r.Operators)
	fmt.Fprintf(w, "alerts       %d\n", r.Alerts)
}

func listAge(seq uint64, fetched, now time.Time) string {
	if fetched.IsZero() {
		return "never fetched"
	}
	return fmt.Sprintf("sequence %d, fetched %s (%s ago)", seq, fetched.Local().Format("2006-01-02 15:04"), humanAge(now.Sub(fetched)))
}

func humanBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func humanAge(d time.Duration) string {
	switch {
	case d < 0:
		return "in the future: check the clock"
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d min", int(d.Minutes()))
}
