//go:build stepworth

package camera

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestRegionWorth measures each optional step of decodeAll on the corpus
// and the stress set: codes read, false reads and median time per image
// (loading included), with the step switched off against all steps on.
//
//	go test -tags stepworth -run TestRegionWorth -v ./camera
func TestRegionWorth(t *testing.T) {
	cases := corpusCases(t)
	dir, imgs := stressSet(t)
	configs := []struct {
		name  string
		steps stepSet
	}{
		{"all steps", allSteps},
		{"without regions", allSteps &^ useRegions},
		{"without whole-frame costly", allSteps &^ useCostly},
		{"without local grids", allSteps &^ useLocalGrid},
		{"without enlarging small patterns", allSteps &^ useZoom},
		{"without reading pairs again", allSteps &^ usePairs},
		{"without the fourth-corner search", allSteps &^ useFourth},
	}
	for _, c := range configs {
		r := NewReader()
		r.dec.steps = c.steps
		corpus := 0
		var ctimes []time.Duration
		for _, cc := range cases {
			s, _ := r.DecodeImageFile(cc.path)
			ctimes = append(ctimes, s.DecodeTime)
			if slices.Contains(s.Texts(), string(cc.want)) {
				corpus++
			}
		}
		st := scoreStress(dir, imgs, func(path string) ([]string, time.Duration) {
			s, _ := r.DecodeImageFile(path)
			return s.Texts(), s.DecodeTime
		})
		r.Close()
		fmt.Printf("%-30s corpus %3d of %d (median %5.2f ms)  stress %3d of %d, %d false (median %6.2f ms)  %s\n",
			c.name, corpus, len(cases), ms(median(ctimes)), st.matches, st.codes, st.falseReads, ms(median(st.times)), st)
	}
}
