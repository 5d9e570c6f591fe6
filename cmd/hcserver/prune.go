package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"hcscan/internal/cli"
	"hcscan/server"
)

// runPrune is `hcserver prune`: drop the days of records older than the
// retention period now, as every `serve --db` process does on its own
// schedule. Only the PostgreSQL store drops whole days.
func runPrune(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.FlagSet("hcserver", "prune", stderr)
	db := dbFlag(fs)
	keep := fs.Int("keep-days", 0, "keep the records of this many days back from today (UTC) and drop the older days")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *db == "":
		return usage(errors.New("--db is required: only the PostgreSQL store keeps records in day partitions"))
	case *keep < 1:
		return usage(errors.New("--keep-days must be at least 1"))
	}
	st, err := openDB(ctx, "", *db, "", slog.New(slog.DiscardHandler))
	if err != nil {
		return usage(err)
	}
	defer st.Close()
	rr, ok := st.(server.RecordRetention)
	if !ok {
		return usage(errors.New("this store does not drop days of records"))
	}
	cutoff := time.Now().UTC().AddDate(0, 0, -*keep)
	dropped, err := rr.DropDaysBefore(ctx, cutoff)
	for _, name := range dropped {
		fmt.Fprintln(stdout, "dropped", name)
	}
	if err != nil {
		return usage(err)
	}
	fmt.Fprintf(stdout, "records before %s dropped (%d day partitions)\n", cutoff.Format("2006-01-02"), len(dropped))
	return nil
}
