package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"hcscan/healthcode"
	"hcscan/internal/cli"
	"hcscan/internal/qrimage"
	"hcscan/server"
)

// runIssue is `hcserver issue`: a test code signed by a region's issuer key,
// printed (and drawn as a PNG) as a citizen's phone or paper would show it.
func runIssue(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.FlagSet("hcserver", "issue", stderr)
	dir := fs.String("dir", "", "the keys directory made by `hcserver keys init`")
	colour := fs.String("colour", "green", "green, yellow or red")
	fs.StringVar(colour, "color", "green", "same as --colour")
	name := fs.String("name", "", "holder's full name (the code carries it masked)")
	id := fs.String("id", "", "holder's ID number (the code carries it masked)")
	idType := fs.String("id-type", healthcode.IDResident, "the kind of ID document: "+strings.Join(healthcode.IDTypes, ", "))
	withPerson := fs.Bool("person-key", true, "put the holder's person key (keyed by subject.key) in the code, so institutions can follow their own people; false leaves it out")
	lang := fs.String("lang", "zh", "holder's language: zh, en, ko, ja, ru, de, fr")
	region := fs.String("region", "110000", "issuing region, GB/T 2260 code; its province must have a key in --dir")
	expires := fs.Duration("expires", 72*time.Hour, "validity, at most 72h")
	issuedAt := fs.String("issued-at", "", "issue time, RFC 3339 (default now; for test codes that are expired or not yet valid)")
	pngPath := fs.String("png", "", "also write the QR code image to this PNG file")
	dynamic := fs.Bool("dynamic", false, "print a live presentation (HCP1) signed by a new holder key, as a phone shows it")
	holderOut := fs.String("holder-key", "", "with --dynamic: write the holder's private key seed (hex) to this file, mode 0600")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" || *name == "" || *id == "" {
		return usage(fmt.Errorf("--dir, --name and --id are required"))
	}
	c, err := healthcode.ParseColour(*colour)
	if err != nil {
		return usage(err)
	}
	if !healthcode.ValidLanguage(*lang) {
		return usage(fmt.Errorf("--lang %q: choose one of %v", *lang, healthcode.Languages))
	}
	if *expires <= 0 || *expires > healthcode.MaxValidity {
		return usage(fmt.Errorf("--expires %s: must be more than 0 and at most 72h", *expires))
	}
	r, err := healthcode.ParseRegion(*region)
	if err != nil {
		return usage(err)
	}
	at := time.Now()
	if *issuedAt != "" {
		if at, err = time.Parse(time.RFC3339, *issuedAt); err != nil {
			return usage(fmt.Errorf("--issued-at: %w", err))
		}
	}
	keys, err := server.LoadKeys(*dir)
	if err != nil {
		return usage(err)
	}
	issuer, err := keys.Issuer(r)
	if err != nil {
		return usage(err)
	}
	claims, err := healthcode.NewClaims(rand.Reader, r, c, *name, *id, *lang, at, *expires)
	if err != nil {
		return usage(err)
	}
	if *withPerson {
		if claims.PersonKey, err = keys.PersonKey(*idType, *id); err != nil {
			return usage(err)
		}
	}
	var holder ed25519.PrivateKey
	if *dynamic {
		_, holder, _ = ed25519.GenerateKey(rand.Reader)
		claims.HolderKey = holder.Public().(ed25519.PublicKey)
	}
	text, err := issuer.Issue(rand.Reader, claims)
	if err != nil {
		return usage(err)
	}
	if *dynamic {
		if text, err = healthcode.Present(text, holder, time.Now()); err != nil {
			return usage(err)
		}
		if *holderOut != "" {
			if err := os.WriteFile(*holderOut, fmt.Appendf(nil, "%x\n", holder.Seed()), 0o600); err != nil {
				return usage(err)
			}
		}
	}
	if *pngPath != "" {
		if err := qrimage.WritePNG(*pngPath, text, 4); err != nil {
			return usage(err)
		}
	}
	fmt.Fprintln(stdout, text)
	return nil
}
