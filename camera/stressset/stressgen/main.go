// Command stressgen writes the generated QR stress set into a folder, for
// looking at it or feeding it to other decoders by hand, or with -gate the
// gate video (people showing codes at a door, 1280×720) and its stills:
//
//	go run ./camera/stressset/stressgen [-seed N] DIR
//	go run ./camera/stressset/stressgen -gate [-people N] [-seed N] DIR
package main

import (
	"flag"
	"fmt"
	"os"

	"hcscan/camera/stressset"
)

func main() {
	seed := flag.Int64("seed", stressset.DefaultSeed, "seed of the set (the tests and make bench use the default)")
	gate := flag.Bool("gate", false, "write the gate video instead of the picture set")
	people := flag.Int("people", stressset.GatePeople, "people in the gate video")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: stressgen [-seed N] DIR | stressgen -gate [-people N] [-seed N] DIR")
		os.Exit(2)
	}
	if *gate {
		gv, err := stressset.WriteGateVideo(flag.Arg(0), *seed, *people)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("%s: %d frames (%.0f s), %d people, stills and %s in %s\n", gv.Video, gv.Frames, float64(gv.Frames)/gv.FPS, len(gv.People), stressset.GateManifestName, flag.Arg(0))
		return
	}
	imgs, err := stressset.Write(flag.Arg(0), *seed)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	codes := 0
	for _, im := range imgs {
		codes += len(im.Texts)
	}
	fmt.Printf("%d images, %d codes in %s (manifest %s)\n", len(imgs), codes, flag.Arg(0), stressset.ManifestName)
}
