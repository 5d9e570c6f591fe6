package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"hcscan/healthcode"
	"hcscan/internal/cli"
	"hcscan/server"
)

// runTrustList is `hcserver trust-list`: the signed list of the issuer keys
// in a key directory, with the next sequence.
func runTrustList(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.FlagSet("hcserver", "trust-list", stderr)
	dir := fs.String("dir", "", "the keys directory made by `hcserver keys init`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return usage(fmt.Errorf("--dir is required"))
	}
	k, err := server.LoadKeys(*dir)
	if err != nil {
		return usage(err)
	}
	tl, err := writeTrustList(k)
	if err != nil {
		return usage(err)
	}
	fmt.Fprintf(stdout, "%s: sequence %d, %d issuers\n", filepath.Join(*dir, "trust.json"), tl.Seq, len(tl.Issuers))
	return nil
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
