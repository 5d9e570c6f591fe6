package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"hcscan/internal/cli"
	"hcscan/protocol"
	"hcscan/store"
	hcsync "hcscan/sync"
)

// enroll registers this scanner with the province (see hcsync.Enroll).
func (e env) enroll(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.FlagSet("hcscan", "enroll", stderr)
	cfgFlag := fs.String("config", "", "configuration file (default $HCSCAN_CONFIG or ~/.config/hcscan/config.toml)")
	dataFlag := fs.String("data", "", "data file (default DATA_DIR/hcscan.db)")
	serverFlag := fs.String("server", "", "the provincial server, https://HOST[:PORT] (default server.url from the configuration)")
	tokenFlag := fs.String("token", "", "the single-use enrolment token from the portal (- reads it from standard input)")
	pinFlag := fs.String("pin-root", "", "hex fingerprint of the province's root key; the server must match it (default server.root_fingerprint)")
	nameFlag := fs.String("name", "", "name of this scanner in the portal (default the host name)")
	force := fs.Bool("force", false, "enrol again although this data file is already enrolled")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hcscan enroll --server URL --token TOKEN [--pin-root FINGERPRINT] [--name NAME] [--data FILE] [--force]")
		fmt.Fprintln(stderr, "Registers this scanner with the province: keeps a device key (device.key, mode 0600)")
		fmt.Fprintln(stderr, "beside the data file, the server's keys and the pinned root, and the trust list.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cli.Usagef("unexpected argument %q.", fs.Arg(0))
	}
	cfg, err := LoadConfig(configPath(*cfgFlag))
	if err != nil {
		return usage(err)
	}
	server := *serverFlag
	if server == "" {
		server = cfg.Server.URL
	}
	if server == "" {
		return cli.Usagef("give the provincial server with --server https://HOST (or server.url in the configuration).")
	}
	pin := *pinFlag
	if pin == "" {
		pin = cfg.Server.RootFingerprint
	}
	token := *tokenFlag
	if token == "-" {
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		if err != nil && line == "" {
			return cli.Usagef("no token on standard input.")
		}
		token = strings.TrimSpace(line)
	}
	if token == "" {
		return cli.Usagef("give the enrolment token from the portal with --token TOKEN.")
	}
	name := *nameFlag
	if name == "" {
		name, _ = os.Hostname()
	}

	path := dataPath(*dataFlag, cfg)
	st, err := store.Open(path, store.Options{})
	if err != nil {
		return usage(err)
	}
	defer st.Close()
	dev, err := hcsync.Enroll(ctx, st, hcsync.EnrollOptions{ServerURL: server, Token: token, PinRoot: pin, Name: name, Force: *force})
	if err != nil {
		if errors.Is(err, hcsync.ErrRootMismatch) {
			return &cli.ExitError{Code: exitInvalid, Err: err}
		}
		return usage(err)
	}
	fp := protocol.Fingerprint(dev.RootKey)
	fmt.Fprintf(stdout, "Enrolled as device %s for %s, gate %s, with %s.\n", dev.ID, dev.Institution, dev.Gate, dev.ServerURL)
	fmt.Fprintf(stdout, "Province root key fingerprint: %s\n", fp)
	fmt.Fprintf(stdout, "Data file: %s (device key %s)\n", path, st.KeyPath())
	if pin == "" {
		fmt.Fprintln(stderr, "hcscan enroll: no root fingerprint was pinned; compare the fingerprint above with the one the provincial office published.")
	}
	return nil
}
