// Command stressgen writes the generated QR stress set into a folder, for
// looking at it or feeding it to other decoders by hand:
//
//	go run ./camera/stressset/stressgen [-seed N] DIR
package main

import (
	"flag"
	"fmt"
	"os"

	"hcscan/camera/stressset"
)

func main() {
	seed := flag.Int64("seed", stressset.DefaultSeed, "seed of the set (the tests and make bench use the default)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: stressgen [-seed N] DIR")
		os.Exit(2)
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
