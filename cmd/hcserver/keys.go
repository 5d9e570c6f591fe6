package main

import (
	"crypto/ed25519"
	"flag"
	"fmt"
	"os"
	"strings"

	"hcscan/healthcode"
	"hcscan/server"
)

func init() {
	register("keys", "make the province's keys: `hcserver keys init --dir D`", runKeys)
}

func runKeys(args []string) int {
	if len(args) == 0 || args[0] != "init" {
		fmt.Fprintln(os.Stderr, "usage: hcserver keys init --dir DIR [--regions 110000,310000,...]")
		return exitUsage
	}
	fs := flag.NewFlagSet("keys init", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory for the keys (created, mode 0700)")
	regions := fs.String("regions", joinRegions(server.DefaultRegions), "issuing provinces, GB/T 2260 codes separated by commas")
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage
	}
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "hcserver keys init: --dir is required")
		return exitUsage
	}
	var rs []healthcode.Region
	for _, s := range strings.Split(*regions, ",") {
		r, err := healthcode.ParseRegion(strings.TrimSpace(s))
		if err != nil {
			fmt.Fprintln(os.Stderr, "hcserver keys init:", err)
			return exitUsage
		}
		rs = append(rs, r.Province())
	}
	k, err := server.InitKeys(*dir, rs)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hcserver keys init:", err)
		return exitUsage
	}
	if _, err := writeTrustList(k); err != nil {
		fmt.Fprintln(os.Stderr, "hcserver keys init:", err)
		return exitUsage
	}
	fmt.Printf("keys written to %s (private keys mode 0600)\n", *dir)
	fmt.Printf("issuers: %s\n", joinRegions(k.Regions()))
	fmt.Printf("root key fingerprint (scanners pin this): %s\n", healthcode.Fingerprint(k.Root.Public().(ed25519.PublicKey)))
	fmt.Printf("trust list: %s/trust.json\n", *dir)
	fmt.Printf("sealing key for manual entries: %s/seal.pub (scanners get it at enrolment; seal.key opens them)\n", *dir)
	return exitOK
}

func joinRegions(rs []healthcode.Region) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = r.String()
	}
	return strings.Join(s, ",")
}
