package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"hcscan/camera"
	"hcscan/internal/cli"
)

// cameras lists the video devices.
func (e env) cameras(_ context.Context, args []string, stdout, stderr io.Writer) error {
	return cli.Exit(camerasCommand(args, stdout, stderr, e.devices))
}

// camerasCommand exits 1 when no usable device is found, so that a setup
// script can stop there.
func camerasCommand(args []string, stdout, stderr io.Writer, list func() []camera.Device) int {
	fl := flag.NewFlagSet("cameras", flag.ContinueOnError)
	fl.SetOutput(stderr)
	asJSON := fl.Bool("json", false, "one JSON object per device")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: hcscan cameras [--json]")
		fmt.Fprintln(stderr, "\nLists the video devices (/dev/video*) and what each delivers; use the index with --camera.")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitOK
		}
		return exitUsage
	}
	if fl.NArg() > 0 {
		fl.Usage()
		return exitUsage
	}
	devs := list()
	usable := 0
	for _, d := range devs {
		if d.Err == nil {
			usable++
		}
		if *asJSON {
			obj := map[string]any{"index": d.Index, "path": d.Path, "name": d.Name}
			if d.Err != nil {
				obj["error"] = d.Err.Error()
			} else {
				obj["width"], obj["height"], obj["fps"], obj["codec"] = d.Format.Width, d.Format.Height, d.Format.FPS, d.Format.Codec
			}
			b, _ := json.Marshal(obj)
			fmt.Fprintln(stdout, string(b))
			continue
		}
		name := d.Name
		if name == "" {
			name = "(unnamed)"
		}
		if d.Err != nil {
			fmt.Fprintf(stdout, "%d\t%s\t%s\tnot usable: %v\n", d.Index, d.Path, camera.SafeText(name), d.Err)
		} else {
			fmt.Fprintf(stdout, "%d\t%s\t%s\t%s\n", d.Index, d.Path, camera.SafeText(name), d.Format)
		}
	}
	if len(devs) == 0 {
		fmt.Fprintln(stderr, "no video devices found (no /dev/video*): plug in a webcam, or check that this user may use it (group \"video\")")
		return exitInvalid
	}
	if usable == 0 {
		fmt.Fprintln(stderr, "no usable video device: every device found is busy, not a capture device, or not permitted")
		return exitInvalid
	}
	return exitOK
}
