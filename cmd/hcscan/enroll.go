package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"hcscan/protocol"
	"hcscan/store"
	hcsync "hcscan/sync"
)

func init() {
	register("enroll", "enrol this scanner with the provincial server: `hcscan enroll --server URL --token T`", func(args []string) int {
		return runEnroll(args, os.Stdin, os.Stdout, os.Stderr)
	})
}

func runEnroll(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("enroll", flag.ContinueOnError)
	fs.SetOutput(stderr)
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
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "hcscan enroll: "+format+"\n", a...)
		return exitUsage
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q.", fs.Arg(0))
	}
	cfg, err := LoadConfig(configPath(*cfgFlag))
	if err != nil {
		return usageErr("%v", err)
	}
	server := *serverFlag
	if server == "" {
		server = cfg.Server.URL
	}
	if server == "" {
		return usageErr("give the provincial server with --server https://HOST (or server.url in the configuration).")
	}
	pin := *pinFlag
	if pin == "" {
		pin = cfg.Server.RootFingerprint
	}
	token := *tokenFlag
	if token == "-" {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && line == "" {
			return usageErr("no token on standard input.")
		}
		token = strings.TrimSpace(line)
	}
	if token == "" {
		return usageErr("give the enrolment token from the portal with --token TOKEN.")
	}
	name := *nameFlag
	if name == "" {
		name, _ = os.Hostname()
	}

	path := dataPath(*dataFlag, cfg)
	st, err := store.Open(path, store.Options{})
	if err != nil {
		fmt.Fprintf(stderr, "hcscan enroll: %v\n", err)
		return exitUsage
	}
	defer st.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	dev, err := hcsync.Enroll(ctx, st, hcsync.EnrollOptions{ServerURL: server, Token: token, PinRoot: pin, Name: name, Force: *force})
	if err != nil {
		fmt.Fprintf(stderr, "hcscan enroll: %v\n", err)
		if errors.Is(err, hcsync.ErrRootMismatch) {
			return exitInvalid
		}
		return exitUsage
	}
	fp := protocol.Fingerprint(dev.RootKey)
	fmt.Fprintf(stdout, "Enrolled as device %s for %s, gate %s, with %s.\n", dev.ID, dev.Institution, dev.Gate, dev.ServerURL)
	fmt.Fprintf(stdout, "Province root key fingerprint: %s\n", fp)
	fmt.Fprintf(stdout, "Data file: %s (device key %s)\n", path, st.KeyPath())
	if pin == "" {
		fmt.Fprintln(stderr, "hcscan enroll: no root fingerprint was pinned; compare the fingerprint above with the one the provincial office published.")
	}
	return exitOK
}
