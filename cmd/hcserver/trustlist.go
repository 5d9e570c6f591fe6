package main

import (
	"crypto/ed25519"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"hcscan/healthcode"
	"hcscan/server"
)

func init() {
	register("trust-list", "write the signed trust list: `hcserver trust-list --dir D`", runTrustList)
}

func runTrustList(args []string) int {
	fs := flag.NewFlagSet("trust-list", flag.ContinueOnError)
	dir := fs.String("dir", "", "the keys directory made by `hcserver keys init`")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "hcserver trust-list: --dir is required")
		return exitUsage
	}
	k, err := server.LoadKeys(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hcserver trust-list:", err)
		return exitUsage
	}
	tl, err := writeTrustList(k)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hcserver trust-list:", err)
		return exitUsage
	}
	fmt.Printf("%s: sequence %d, %d issuers\n", filepath.Join(*dir, "trust.json"), tl.Seq, len(tl.Issuers))
	return exitOK
}

// writeTrustList signs the list of every issuer key in the directory, with
// a sequence one above the list already there, so scanners accept it.
func writeTrustList(k *server.Keys) (*healthcode.TrustList, error) {
	path := filepath.Join(k.Dir, "trust.json")
	seq := uint64(1)
	if old, err := os.ReadFile(path); err == nil {
		prev, err := healthcode.ParseTrustList(old, k.Root.Public().(ed25519.PublicKey), 0)
		if err != nil {
			return nil, fmt.Errorf("existing %s: %w", path, err)
		}
		seq = prev.Seq + 1
	}
	tl, err := k.TrustList(seq, time.Now())
	if err != nil {
		return nil, err
	}
	signed, err := tl.Sign(k.Root)
	if err != nil {
		return nil, err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(signed, '\n'), 0o644); err != nil {
		return nil, err
	}
	return tl, os.Rename(tmp, path)
}
