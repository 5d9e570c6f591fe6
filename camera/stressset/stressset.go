// Package stressset writes a generated set of QR photographs for testing
// and benchmarking decoders beside the shared corpus of real photographs:
// the kinds of picture a general decoder reads and a tuned one misses
// (light-on-dark, tiny, huge, dotted modules, curved, blurred, low
// contrast, several codes in one picture, phone screens with moiré,
// rotated and keystoned).
//
// Everything is made here, deterministically from a seed: the codes are
// health codes issued with a fixed test issuer key (healthcode.Issuer) and
// short texts (URLs, Wi-Fi and contact cards); the backgrounds are
// synthetic textures (multi-octave noise, shapes, lines, printed words and
// a light gradient), with JPEG compression and sensor noise. No image comes
// from elsewhere, so the set has no licence of its own to carry and the
// same seed gives the same files on every machine with the same OpenCV.
//
// The package is a measuring tool: hcscan's programs never import it.
package stressset

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"gocv.io/x/gocv"

	"hcscan/healthcode"
)

// Image is one picture of the set and the texts of the codes in it.
type Image struct {
	File  string   `json:"file"` // name inside the set's folder
	Kind  string   `json:"kind"`
	Texts []string `json:"texts"`
}

// Kinds are the kinds of picture, in the order they are written.
var kinds = []struct {
	name  string
	count int
	make  func(g *gen, rng *rand.Rand) (gocv.Mat, []string, error)
}{
	{"inverted", 10, makeInverted},
	{"tiny", 10, makeTiny},
	{"huge", 6, makeHuge},
	{"dotted", 10, makeDotted},
	{"curved", 8, makeCurved},
	{"blurred", 10, makeBlurred},
	{"lowcontrast", 10, makeLowContrast},
	{"multi", 10, makeMulti},
	{"screen", 10, makeScreen},
	{"keystone", 10, makeKeystone},
}

// DefaultSeed is the seed of the set the tests and the benchmark use.
const DefaultSeed = 20261201

// ManifestName is the JSON list of Images written beside the pictures.
const ManifestName = "manifest.json"

// Write makes the set in dir (created if missing) and returns its images;
// the manifest is written too. The same seed gives the same set.
func Write(dir string, seed int64) ([]Image, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("stress set: %w", err)
	}
	// OpenCV's random numbers (the noise) come from a generator per OS
	// thread: stay on one thread and seed it per image, or the set would
	// depend on which thread each call ran.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	g := newGen(seed)
	var out []Image
	for ki, k := range kinds {
		for i := range k.count {
			rng := rand.New(rand.NewSource(seed*1000 + int64(ki*100+i)))
			gocv.SetRNGSeed(int(rng.Int31()))
			m, texts, err := k.make(g, rng)
			if err != nil {
				return nil, fmt.Errorf("stress set: %s %d: %w", k.name, i, err)
			}
			// Most pictures are camera JPEGs; every fourth is a lossless screenshot.
			ext, params := ".jpg", []int{gocv.IMWriteJpegQuality, 70 + rng.Intn(25)}
			if i%4 == 3 {
				ext, params = ".png", nil
			}
			name := fmt.Sprintf("%s-%02d%s", k.name, i, ext)
			var ok bool
			if params == nil {
				ok = gocv.IMWrite(filepath.Join(dir, name), m)
			} else {
				ok = gocv.IMWriteWithParams(filepath.Join(dir, name), m, params)
			}
			m.Close()
			if !ok {
				return nil, fmt.Errorf("stress set: write %s", name)
			}
			out = append(out, Image{File: name, Kind: k.name, Texts: texts})
		}
	}
	b, err := json.MarshalIndent(out, "", " ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestName), b, 0o644); err != nil {
		return nil, fmt.Errorf("stress set: %w", err)
	}
	return out, nil
}

// gen issues the set's codes.
type gen struct {
	issuer healthcode.Issuer
	holder ed25519.PrivateKey
	n      int
}

func newGen(seed int64) *gen {
	k := sha256.Sum256(fmt.Appendf(nil, "hcscan stress set issuer %d", seed))
	h := sha256.Sum256(fmt.Appendf(nil, "hcscan stress set holder %d", seed))
	return &gen{
		issuer: healthcode.Issuer{Region: 110000, Key: ed25519.NewKeyFromSeed(k[:])},
		holder: ed25519.NewKeyFromSeed(h[:]),
	}
}

var (
	givenNames = []string{"张三丰", "李小龙", "王芳", "Kim Minjun", "Anna Schmidt", "Иван Петров", "佐藤花子"}
	langs      = []string{"zh", "zh", "zh", "ko", "de", "ru", "ja"}
	colours    = []healthcode.Colour{healthcode.Green, healthcode.Green, healthcode.Yellow, healthcode.Red}
)

// healthCode issues a static credential (version 10 at level M) or, with
// live, a presentation of one (denser: version 12).
func (g *gen) healthCode(rng *rand.Rand, live bool) (string, error) {
	text, _, err := g.healthCodeColour(rng, live)
	return text, err
}

// healthCodeColour is healthCode and the colour it was issued with.
func (g *gen) healthCodeColour(rng *rand.Rand, live bool) (string, healthcode.Colour, error) {
	g.n++
	p := rng.Intn(len(givenNames))
	id := fmt.Sprintf("1101051990%02d%02d%04d", 1+rng.Intn(12), 1+rng.Intn(28), rng.Intn(10000))
	at := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(g.n) * time.Minute)
	colour := colours[rng.Intn(len(colours))]
	c, err := healthcode.NewClaims(rng, 110105, colour, givenNames[p], id, langs[p], at, 72*time.Hour)
	if err != nil {
		return "", 0, err
	}
	code, err := g.issuer.Issue(rng, c)
	if err != nil || !live {
		return code, colour, err
	}
	code, err = healthcode.Present(code, g.holder, at.Add(time.Hour))
	return code, colour, err
}

// shortText is a small code's content (versions 1 to 4).
func shortText(rng *rand.Rand) string {
	switch rng.Intn(5) {
	case 0:
		return fmt.Sprintf("https://hc.example.cn/g/%d", rng.Intn(100000))
	case 1:
		return fmt.Sprintf("GATE-%03d", rng.Intn(1000))
	case 2:
		return fmt.Sprintf("WIFI:S:Clinic-%d;T:WPA;P:%08d;;", rng.Intn(100), rng.Intn(1e8))
	case 3:
		return fmt.Sprintf("MECARD:N:王,芳;TEL:1380013%04d;;", rng.Intn(10000))
	default:
		return fmt.Sprintf("%d", rng.Int63n(1e12))
	}
}

// anyText is a health code two times in three, else a short text.
func (g *gen) anyText(rng *rand.Rand) (string, error) {
	if rng.Intn(3) == 2 {
		return shortText(rng), nil
	}
	return g.healthCode(rng, rng.Intn(4) == 0)
}
