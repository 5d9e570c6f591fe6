package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"hcscan/healthcode"
	"hcscan/internal/cli"
	"hcscan/internal/pemkey"
	"hcscan/internal/termsafe"
)

// verifyOutput is the JSON form of a verdict.
type verifyOutput struct {
	Valid           bool              `json:"valid"`
	Colour          healthcode.Colour `json:"colour"`
	ScannedColour   healthcode.Colour `json:"scanned_colour"`
	Verdict         string            `json:"verdict"`
	Reason          healthcode.Reason `json:"reason"`
	Message         string            `json:"message"`
	Name            string            `json:"name_masked,omitempty"`
	ID              string            `json:"id_masked,omitempty"`
	Region          string            `json:"region,omitempty"`
	RegionName      string            `json:"region_name,omitempty"`
	Lang            string            `json:"lang,omitempty"`
	Expires         *time.Time        `json:"expires,omitempty"`
	Dynamic         bool              `json:"dynamic"`
	Printed         bool              `json:"printed"`
	Provisional     bool              `json:"provisional"`
	CodeHash        string            `json:"code_hash,omitempty"`
	TrustListSeq    uint64            `json:"trust_list_seq"`
	StatusOverrides bool              `json:"status_override,omitempty"`
}

// verify checks one code offline: exit 0 for a valid code (any colour), 1
// for an invalid one, 2 for a usage error.
func (e env) verify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.FlagSet("hcscan", "verify", stderr)
	trustPath := fs.String("trust", "", "signed trust list (trust.json from `hcserver trust-list`)")
	rootPath := fs.String("root", "", "the province's root public key (PEM); default: root.pub beside the trust list")
	statusPath := fs.String("status", "", "optional signed status list to apply")
	asJSON := fs.Bool("json", false, "print the verdict as JSON")
	lang := fs.String("lang", "en", "language of the message: zh or en")
	temp := fs.String("temperature", "", "a temperature reading to include in the verdict (°C)")
	at := fs.String("at", "", "check as of this time (RFC 3339), default now")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hcscan verify --trust FILE [--root FILE] [--status FILE] [--json] [PAYLOAD|-]")
		fmt.Fprintln(stderr, "Reads the payload from the argument, or from standard input with - or none.")
		fmt.Fprintln(stderr, "Exit code: 0 valid code (any colour), 1 invalid code, 2 usage error.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *trustPath == "" {
		return cli.Usagef("--trust FILE is required (the signed trust list)")
	}
	if fs.NArg() > 1 {
		return cli.Usagef("give one payload (quote it: it may contain spaces)")
	}
	now := e.now()
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return cli.Usagef("--at: %w", err)
		}
		now = t
	}
	if *rootPath == "" {
		*rootPath = filepath.Join(filepath.Dir(*trustPath), "root.pub")
	}
	root, err := pemkey.ReadPublic(*rootPath)
	if err != nil {
		return cli.Usagef("root key %s: %w (give --root FILE)", *rootPath, err)
	}
	raw, err := os.ReadFile(*trustPath)
	if err != nil {
		return usage(err)
	}
	tl, err := healthcode.ParseTrustList(raw, root, 0)
	if err != nil {
		return cli.Usagef("%s: %w", *trustPath, err)
	}
	v := &healthcode.Verifier{Trust: tl}
	if *statusPath != "" {
		sraw, err := os.ReadFile(*statusPath)
		if err != nil {
			return usage(err)
		}
		sl, err := healthcode.ParseStatusList(sraw, tl.StatusKey)
		if err != nil {
			return cli.Usagef("%s: %w", *statusPath, err)
		}
		m := healthcode.StatusMap{}
		m.Apply(sl.Entries)
		v.Status, v.StatusFetched = m, sl.Generated
	}
	var reading healthcode.Temperature
	if *temp != "" {
		if reading, err = healthcode.ParseTemperature(*temp); err != nil {
			return usage(err)
		}
	}

	payload := ""
	if fs.NArg() == 1 && fs.Arg(0) != "-" {
		payload = fs.Arg(0)
	} else {
		b, err := io.ReadAll(io.LimitReader(e.stdin, 64<<10))
		if err != nil {
			return usage(err)
		}
		payload = strings.TrimRight(string(b), "\r\n")
	}

	res := v.Verify(payload, now)
	policy := healthcode.DefaultPolicy()
	policy.TakeTemperature = reading != 0
	d := policy.Decide(res, reading, false)
	out := verifyOutput{
		Valid: res.Valid, Colour: res.EffectiveColour, ScannedColour: res.ScannedColour, Verdict: d.Verdict.String(),
		Reason: res.Reason, Message: res.Reason.Message(*lang), Dynamic: res.Dynamic, Printed: d.Printed,
		Provisional: d.Provisional, TrustListSeq: tl.Seq, StatusOverrides: res.StatusOverride,
	}
	if res.Claims.Name != "" {
		exp := res.Claims.Expires
		out.Name, out.ID, out.Lang, out.Expires = res.Claims.Name, res.Claims.ID, res.Claims.Lang, &exp
		out.Region, out.RegionName = res.Claims.Region.String(), res.Claims.Region.Name(*lang)
		out.CodeHash = res.CodeHash.String()
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(out)
	} else {
		fmt.Fprintln(stdout, humanVerdict(out, d, *lang))
	}
	if !res.Valid {
		return cli.Exit(exitInvalid)
	}
	return nil
}

func humanVerdict(o verifyOutput, d healthcode.Decision, lang string) string {
	word := map[healthcode.Verdict][2]string{
		healthcode.VerdictPass: {"通行 ✔", "PASS ✔"}, healthcode.VerdictStop: {"停止 ✖", "STOP ✖"},
		healthcode.VerdictInvalid: {"无效 ?", "INVALID CODE ?"},
	}[d.Verdict]
	w := word[1]
	if lang == "zh" {
		w = word[0]
	}
	if !o.Valid {
		return fmt.Sprintf("%s  %s (%s)", w, termsafe.Clean(o.Message), o.Reason)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %s code  %s %s  %s %s", w, o.Colour, termsafe.Clean(o.Name), termsafe.Clean(o.ID), o.RegionName, o.Region)
	if o.Expires != nil {
		fmt.Fprintf(&b, "  expires %s", o.Expires.Local().Format("2006-01-02 15:04"))
	}
	if d.Printed {
		b.WriteString("  printed code: check photo ID")
	} else {
		b.WriteString("  live code")
	}
	if o.StatusOverrides {
		fmt.Fprintf(&b, "  (code shows %s; status list says %s)", o.ScannedColour, o.Colour)
	}
	if d.Provisional {
		b.WriteString("  provisional: no fresh status data")
	}
	return b.String()
}
