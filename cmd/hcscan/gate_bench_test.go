package main

import (
	"context"
	"fmt"
	"path/filepath"
	gosync "sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"hcscan/healthcode"
	"hcscan/internal/benchfig"
)

// keyCounter is the screen with a count of the key events it receives
// (a burst of runes in one event counts each rune).
type keyCounter struct {
	tea.Model
	mu   gosync.Mutex
	keys int
}

func (k *keyCounter) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if km, ok := msg.(tea.KeyMsg); ok {
		k.mu.Lock()
		if km.Type == tea.KeyRunes {
			k.keys += len(km.Runes)
		} else {
			k.keys++
		}
		k.mu.Unlock()
	}
	_, cmd := k.Model.Update(msg)
	return k, cmd
}

func (k *keyCounter) count() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.keys
}

// BenchmarkGateGreenPeople runs the real screen (buildScreen, the default
// configuration: key guard, verdict hold) on a generated video of 24
// people with green codes, back to back (the next is in view before the
// operator is done), and a scripted operator who types 3 6 5 Enter as soon
// as the temperature prompt shows. It reports the keys the program
// received per person, from code in view to ready for the next
// (gate_keys_green_with_temperature, goal ≤ 4), and the time per person
// from the first one on screen to the last one saved
// (gate_seconds_per_green_person, goal ≤ 1.5 s): what the software adds,
// since the operator types at once (the verdict hold and key guard are in it).
func BenchmarkGateGreenPeople(b *testing.B) {
	const n = 24
	for range b.N {
		keys, secs := gateGreenPeople(b, n)
		benchfig.Record(b, "gate_keys_green_with_temperature", keys, "keys")
		benchfig.Record(b, "gate_seconds_per_green_person", secs, "s")
	}
}

func gateGreenPeople(b *testing.B, n int) (keysPerPerson, secondsPerPerson float64) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := gateWorld(b, ctx)
	surnames := []rune("赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张")
	var crowd []demoPerson
	var names []string
	var mu gosync.Mutex
	var wg gosync.WaitGroup
	crowd, names = make([]demoPerson, n), make([]string, n)
	for i := range n {
		wg.Go(func() {
			name := string(surnames[i]) + "小" + string(surnames[(i+7)%len(surnames)])
			code := issueCode(b, ctx, w, "green", name, fmt.Sprintf("1101082000020%05d", i))
			mu.Lock()
			crowd[i], names[i] = demoPerson{Label: name, Payload: code}, healthcode.MaskName(name)
			mu.Unlock()
		})
	}
	wg.Wait()
	video := filepath.Join(b.TempDir(), "crowd.avi")
	// 0.5 s in view, 0.2 s between: faster than anyone can check them.
	if err := renderVideo(video, crowd, demoPacing{FPS: 10, FramesPerPerson: 5, GapFrames: 2, LeadFrames: 5}); err != nil {
		b.Fatal(err)
	}
	cfg := gateConfig(b, video)
	counter := &keyCounter{}
	f := startFlowIn(b, ctx, screenConfig{cfg: cfg, dataPath: w.DataPath}, 100, 30,
		func(m tea.Model) tea.Model { counter.Model = m; return counter })
	f.wait("Operator sign-in")
	f.signIn(w.Operator, w.PIN)
	var first time.Time
	keysBefore := 0
	for i, name := range names {
		f.waitAll(name, askTemp)
		if i == 0 {
			first, keysBefore = time.Now(), counter.count()
		}
		f.typeText("365")
		f.enter()
		f.wait(savedMsg)
	}
	last := time.Now()
	keys := counter.count() - keysBefore
	recs := f.records()
	f.quit()
	if len(recs) != n {
		b.Fatalf("%d records, want %d", len(recs), n)
	}
	for i, r := range recs {
		if r.Name != names[i] || r.Verdict != healthcode.VerdictPass || r.Temperature != 365 {
			b.Fatalf("record %d: %s %v %v", i, r.Name, r.Verdict, r.Temperature)
		}
	}
	// The first person's wait before their prompt (the guard) is not in
	// first..last; add it, so each person counts a whole turn.
	return float64(keys) / float64(n), (last.Sub(first).Seconds() + cfg.Gate.KeyGuard.Seconds()) / float64(n)
}
