package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"strings"
	"time"

	"hcscan/healthcode"
	"hcscan/internal/cli"
	"hcscan/server"
)

// runKeys is `hcserver keys init`: a new key directory and its trust
// list; `hcserver keys rotate-seal` replaces the sealing key.
func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "rotate-seal" {
		return runRotateSeal(ctx, args[1:], stdout, stderr)
	}
	fs := cli.FlagSet("hcserver", "keys init", stderr)
	dir := fs.String("dir", "", "directory for the keys (created, mode 0700)")
	regions := fs.String("regions", joinRegions(server.DefaultRegions), "issuing provinces, GB/T 2260 codes separated by commas")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hcserver keys init --dir DIR [--regions 110000,310000,...]")
		fmt.Fprintln(stderr, "       hcserver keys rotate-seal --dir DIR")
		fs.PrintDefaults()
	}
	args, err := subcommand(fs, "init", args)
	if err != nil {
		return err
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return usage(fmt.Errorf("--dir is required"))
	}
	var rs []healthcode.Region
	for _, s := range strings.Split(*regions, ",") {
		r, err := healthcode.ParseRegion(strings.TrimSpace(s))
		if err != nil {
			return usage(err)
		}
		rs = append(rs, r.Province())
	}
	k, err := server.InitKeys(*dir, rs)
	if err != nil {
		return usage(err)
	}
	if _, err := writeTrustList(k); err != nil {
		return usage(err)
	}
	fmt.Fprintf(stdout, "keys written to %s (private keys mode 0600)\n", *dir)
	fmt.Fprintf(stdout, "issuers: %s\n", joinRegions(k.Regions()))
	fmt.Fprintf(stdout, "root key fingerprint (scanners pin this): %s\n", healthcode.Fingerprint(k.Root.Public().(ed25519.PublicKey)))
	fmt.Fprintf(stdout, "trust list: %s/trust.json\n", *dir)
	fmt.Fprintf(stdout, "sealing key for manual entries: %s/seal.pub (scanners get it at enrolment; seal.key opens them)\n", *dir)
	fmt.Fprintf(stdout, "subject key for person keys: %s/subject.key (mode 0600; never replace it: every roster depends on it)\n", *dir)
	return nil
}

func joinRegions(rs []healthcode.Region) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = r.String()
	}
	return strings.Join(s, ",")
}

// runRotateSeal is `hcserver keys rotate-seal`: a new sealing key for
// manual entries; the old one is kept to open what was sealed to it.
func runRotateSeal(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.FlagSet("hcserver", "keys rotate-seal", stderr)
	dir := fs.String("dir", "", "the key directory (keys init --dir)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return usage(fmt.Errorf("--dir is required"))
	}
	if err := server.NeedKeys(*dir); err != nil {
		return usage(err)
	}
	kept, err := server.RotateSealKey(server.KeysDir(*dir), time.Now())
	if err != nil {
		return usage(err)
	}
	fmt.Fprintf(stdout, "new sealing key in %s/seal.key; the old one is kept in %s (identities sealed to it still open)\n", server.KeysDir(*dir), kept)
	fmt.Fprintln(stdout, "send SIGHUP to every `hcserver serve` process: their trust list then names the new key, and scanners seal to it after their next sync")
	return nil
}
