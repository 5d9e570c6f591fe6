package stressset

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"

	"gocv.io/x/gocv"
)

// The gate video: a 1280×720, 30 fps recording of a queue at a door, for
// measuring a scanner on time as well as on pictures. Each person walks
// up, holds a code towards the camera for two-thirds of a second to a second and a third
// (hand shake, the odd re-angling) and leaves; between people the door is
// empty for up to two-thirds of a second. What they show, at what distance
// and angle, is drawn per person:
//
//	phone       a live health code on a phone screen, its modules in the
//	            code's colour (green, yellow or red ink, as health-code apps
//	            draw them), sometimes with a reflection on the glass
//	dark-phone  the same in dark mode: light modules on a black screen
//	paper       a printed static code on a sheet, often further away and
//	            tilted further, in the light of the room
//	far         a small version 1–2 code (a gate or venue code) held at the
//	            back of the queue: 40–70 px a side
//
// Motion blur follows how fast the code moves in each frame; a webcam's
// fixed focus is set for the back of the queue, so a code held close is
// soft; light and gain noise vary per person. The codes are
// issued by the set's test issuer, and some people show the same code as
// someone before them (a family's printed codes, a second try), so the
// video holds fewer distinct texts than people. Beside the video, one
// still per person (the middle of their hold, as the camera delivered it)
// is written for decoders that are given one picture a person.

// GatePerson is one person in the gate video.
type GatePerson struct {
	Text  string `json:"text"`
	Kind  string `json:"kind"`
	First int    `json:"first"` // first frame in which the code is in view
	Last  int    `json:"last"`  // last such frame
	Side  int    `json:"side"`  // the code's side in pixels while held
	Still string `json:"still"` // the still's file name in the folder
}

// GateVideo describes a written gate video.
type GateVideo struct {
	Video  string       `json:"video"` // file name in the folder
	Width  int          `json:"width"`
	Height int          `json:"height"`
	FPS    float64      `json:"fps"`
	Frames int          `json:"frames"`
	People []GatePerson `json:"people"`
}

// GateManifestName is the JSON GateVideo written beside the video.
const GateManifestName = "gate.json"

// GatePeople is the number of people in the default gate video.
const GatePeople = 73

// GateVersion changes whenever the same seed renders a different video,
// so a copy kept between runs is not mistaken for the current one.
const GateVersion = 1

// WriteGateVideo writes a gate video of people to dir (created if missing):
// an H.264 MP4 where OpenCV can write one, else an MJPG AVI, the stills
// and the manifest. The same seed gives the same video.
func WriteGateVideo(dir string, seed int64, people int) (GateVideo, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return GateVideo{}, fmt.Errorf("gate video: %w", err)
	}
	runtime.LockOSThread() // OpenCV's noise generator is per thread (see Write)
	defer runtime.UnlockOSThread()
	const w, h, fps = 1280, 720, 30.0
	gv := GateVideo{Video: "gate.mp4", Width: w, Height: h, FPS: fps}
	vw, err := gocv.VideoWriterFile(filepath.Join(dir, gv.Video), "avc1", fps, w, h, true)
	if err != nil || !vw.IsOpened() {
		if err == nil {
			vw.Close()
		}
		gv.Video = "gate.avi"
		if vw, err = gocv.VideoWriterFile(filepath.Join(dir, gv.Video), "MJPG", fps, w, h, true); err != nil || !vw.IsOpened() {
			return GateVideo{}, fmt.Errorf("gate video: open a video writer in %s: %v", dir, err)
		}
	}
	defer vw.Close()

	rng := rand.New(rand.NewSource(seed))
	gocv.SetRNGSeed(int(rng.Int31()))
	g := newGen(seed + 1)
	bg := background(rng, w, h)
	defer bg.Close()
	frame := gocv.NewMat()
	defer frame.Close()
	write := func() error {
		if err := vw.Write(frame); err != nil {
			return fmt.Errorf("gate video: write frame %d: %w", gv.Frames, err)
		}
		gv.Frames++
		return nil
	}
	var shown []gatePresent
	for i := range people {
		var p gatePresent
		if len(shown) > 4 && rng.Intn(10) == 0 {
			// Someone shows a code that was shown before.
			p = shown[rng.Intn(len(shown))]
		} else if p, err = g.present(rng); err != nil {
			return GateVideo{}, err
		}
		shown = append(shown, p)
		dev, err := p.device(rng)
		if err != nil {
			return GateVideo{}, err
		}
		path := walk(rng, p.kind, w, h)
		person := GatePerson{Text: p.text, Kind: p.kind, First: gv.Frames, Side: int(path.hold.side)}
		look := lookOf(rng, p.kind)
		for f := range path.frames() {
			pose, speed := path.at(f)
			bg.CopyTo(&frame)
			dev.draw(&frame, pose, look)
			defocus(&frame, pose, look)
			if speed > 1.5 {
				blurAround(&frame, pose, speed*look.exposure, pose.heading)
			}
			look.apply(&frame, rng)
			if f == path.approach+path.holdFrames/2 {
				person.Still = fmt.Sprintf("still-%02d.jpg", i)
				if !gocv.IMWriteWithParams(filepath.Join(dir, person.Still), frame, []int{gocv.IMWriteJpegQuality, 92}) {
					return GateVideo{}, fmt.Errorf("gate video: write %s", person.Still)
				}
			}
			if err := write(); err != nil {
				return GateVideo{}, err
			}
		}
		person.Last = gv.Frames - 1
		dev.Close()
		gv.People = append(gv.People, person)
		// The door is empty for a moment (or the next person is right there).
		for range rng.Intn(21) {
			bg.CopyTo(&frame)
			look.apply(&frame, rng)
			if err := write(); err != nil {
				return GateVideo{}, err
			}
		}
	}
	b, err := json.MarshalIndent(gv, "", " ")
	if err != nil {
		return GateVideo{}, err
	}
	if err := os.WriteFile(filepath.Join(dir, GateManifestName), b, 0o644); err != nil {
		return GateVideo{}, fmt.Errorf("gate video: %w", err)
	}
	return gv, nil
}

// gatePose is where a held code is in one frame: its centre, side (px),
// in-plane turn (degrees), keystone (0..0.5) and the edge the keystone
// shortens (0: the right edge, a phone turned away; 1: the bottom edge,
// tilted back), and the direction it moves in (radians).
type gatePose struct {
	cx, cy, side, rot, tilt float64
	tiltAxis                int
	heading                 float64
}

// gatePath is one person's movement: approach, hold, leave.
type gatePath struct {
	from, hold, to              gatePose
	approach, holdFrames, leave int
	shake, drift                float64 // hand shake (px) and slow drift (px a frame) while held
	reangleAt, reangleFrames    int     // frames into the hold when the hand turns the code, and for how long
	reangleRot, reangleTilt     float64
}

func (p gatePath) frames() int { return p.approach + p.holdFrames + p.leave }

// walk draws a person's path for a kind of code in a w×h frame.
func walk(rng *rand.Rand, kind string, w, h int) gatePath {
	var side float64
	switch kind {
	case "far":
		side = between(rng, 40, 70)
	case "paper":
		side = between(rng, 110, 300)
	default:
		side = between(rng, 150, 380)
	}
	// The code stays in the frame while held.
	hold := gatePose{
		cx: between(rng, side*0.8, float64(w)-side*0.8), cy: between(rng, side*0.8, float64(h)-side*0.8),
		side: side, rot: between(rng, -35, 35), tilt: between(rng, 0, 0.3), tiltAxis: rng.Intn(2),
	}
	if kind == "far" {
		hold.rot, hold.tilt = between(rng, -15, 15), between(rng, 0, 0.15)
	}
	// They come in from a side or from below, nearer or further.
	from := hold
	switch rng.Intn(3) {
	case 0:
		from.cx = -0.2 * float64(w)
	case 1:
		from.cx = 1.2 * float64(w)
	default:
		from.cy = 1.3 * float64(h)
	}
	from.side *= between(rng, 0.6, 1.2)
	from.rot += between(rng, -25, 25)
	to := hold
	to.cx += between(rng, -1, 1) * float64(w)
	to.cy += float64(h) * between(rng, 0.5, 1)
	p := gatePath{
		from: from, hold: hold, to: to,
		approach: 8 + rng.Intn(13), holdFrames: 20 + rng.Intn(21), leave: 5 + rng.Intn(6),
		shake: between(rng, 0.5, 3), drift: between(rng, -0.8, 0.8),
	}
	if rng.Intn(4) == 0 {
		p.reangleAt, p.reangleFrames = 5+rng.Intn(10), 4+rng.Intn(5)
		p.reangleRot, p.reangleTilt = between(rng, -20, 20), between(rng, -0.1, 0.1)
	}
	return p
}

func ease(t float64) float64 { return t * t * (3 - 2*t) }

// pose is where the code is in frame f of the path.
func (p gatePath) pose(f int) gatePose {
	switch {
	case f < p.approach:
		return lerpPose(p.from, p.hold, ease(float64(f+1)/float64(p.approach)))
	case f < p.approach+p.holdFrames:
		k := f - p.approach
		q := p.hold
		q.cx += p.drift*float64(k) + p.shake*math.Sin(float64(k)*1.7)
		q.cy += p.shake * math.Cos(float64(k)*2.3)
		q.rot += 0.6 * math.Sin(float64(k)*0.9)
		if p.reangleFrames > 0 && k >= p.reangleAt {
			t := ease(min(1, float64(k-p.reangleAt)/float64(p.reangleFrames)))
			q.rot += t * p.reangleRot
			q.tilt = math.Max(0, q.tilt+t*p.reangleTilt)
		}
		return q
	default:
		k := f - p.approach - p.holdFrames
		return lerpPose(p.hold, p.to, ease(float64(k+1)/float64(p.leave)))
	}
}

// at is the pose in frame f and how far the code's corners moved since the
// previous frame (px): the length of its motion blur at full exposure.
func (p gatePath) at(f int) (gatePose, float64) {
	q, prev := p.pose(f), p.pose(max(0, f-1))
	dx, dy := q.cx-prev.cx, q.cy-prev.cy
	q.heading = math.Atan2(dy, dx)
	spin := math.Abs(q.rot-prev.rot) * math.Pi / 180 * q.side / 2
	return q, math.Hypot(dx, dy) + spin + math.Abs(q.side-prev.side)/2
}

func lerpPose(a, b gatePose, t float64) gatePose {
	l := func(x, y float64) float64 { return x + (y-x)*t }
	return gatePose{cx: l(a.cx, b.cx), cy: l(a.cy, b.cy), side: l(a.side, b.side), rot: l(a.rot, b.rot), tilt: l(a.tilt, b.tilt), tiltAxis: a.tiltAxis}
}
