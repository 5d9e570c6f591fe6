package healthcode

import (
	"errors"
	"testing"
	"time"
)

// panickyStatus stands for a bug in the project's own code on the verify path.
type panickyStatus struct{}

func (panickyStatus) Lookup(CodeHash) (StatusEntry, bool) { panic("bug in a status lookup") }

// A panic in our own code must surface as a panic, not as "bad code".
func TestVerifyDoesNotHideOwnBugs(t *testing.T) {
	w := newWorld(t)
	code := w.issue(t, w.claims(t, Green, "zh"))
	v := w.verifier()
	v.Status = panickyStatus{}
	defer func() {
		if p := recover(); p != "bug in a status lookup" {
			t.Fatalf("recovered %v, want the lookup's own panic", p)
		}
	}()
	r := v.Verify(code, w.now)
	t.Fatalf("Verify returned %s (%s) instead of panicking", r.Reason, r.Detail)
}

// A panic inside a third-party decoder is the payload's failure, marked and counted.
func TestGuardedDecoderPanic(t *testing.T) {
	before := DecoderPanics()
	err := guarded("cbor", func() error { panic("index out of range") })
	var p errDecoderPanic
	if !errors.As(err, &p) {
		t.Fatalf("guarded returned %v, want a decoder panic", err)
	}
	if DecoderPanics() != before+1 {
		t.Fatalf("DecoderPanics = %d, want %d", DecoderPanics(), before+1)
	}
	r := failDecode(Result{}, ReasonBadCBOR, err)
	if !r.DecoderPanic || r.Valid || r.Reason != ReasonBadCBOR {
		t.Fatalf("failDecode = %+v", r)
	}
	if err := guarded("cbor", func() error { return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestStatusTransition(t *testing.T) {
	for _, c := range []struct {
		prev           Colour
		known          bool
		next           Colour
		changed, alert bool
	}{
		{0, false, Green, true, false},
		{0, false, Red, true, true},
		{Green, true, Green, false, false},
		{Red, true, Red, false, false},
		{Green, true, Yellow, true, true},
		{Red, true, Green, true, false},
	} {
		ch, al := StatusTransition(c.prev, c.known, c.next)
		if ch != c.changed || al != c.alert {
			t.Errorf("%v(%v)→%v: changed %v alert %v, want %v %v", c.prev, c.known, c.next, ch, al, c.changed, c.alert)
		}
	}
}

func TestApplyStatusOnlyWhenNewer(t *testing.T) {
	w := newWorld(t)
	c := w.claims(t, Green, "zh")
	res := Result{Claims: c, ScannedColour: Green, EffectiveColour: Green}
	res.ApplyStatus(StatusEntry{Colour: Red, Updated: c.IssuedAt.Add(-time.Minute)})
	if res.EffectiveColour != Green || res.StatusOverride {
		t.Fatalf("an entry older than the code changed it: %+v", res)
	}
	res.ApplyStatus(StatusEntry{Colour: Red, Updated: c.IssuedAt.Add(time.Minute)})
	if res.EffectiveColour != Red || !res.StatusOverride {
		t.Fatalf("a newer red entry did not override: %+v", res)
	}
}

func TestProvisionalPassAndTally(t *testing.T) {
	r := Record{Provisional: true, Verdict: VerdictPass, CodeHash: CodeHash{1}}
	if !r.ProvisionalPass() {
		t.Fatal("provisional pass with a code not watched")
	}
	m := r
	m.CodeHash, m.Manual = CodeHash{}, true
	if m.ProvisionalPass() {
		t.Fatal("a manual entry (no code) is watched")
	}
	var tl Tally
	recs := []Record{r, m, {Verdict: VerdictStop, Fever: true}, {Verdict: VerdictInvalid},
		{Verdict: VerdictPass, RepeatOf: "earlier"}, {Verdict: VerdictStop, Abandoned: true}}
	for _, rec := range recs {
		tl.Add(&rec)
	}
	// A repeat counts by its verdict and as a repeat; a person left without
	// a decision as stopped and as abandoned.
	want := Tally{Total: 6, Passed: 3, Stopped: 2, Invalid: 1, Fever: 1, Manual: 1, Provisional: 2, Repeats: 1, Abandoned: 1}
	if tl != want {
		t.Fatalf("tally %+v, want %+v", tl, want)
	}
	var sum Tally
	sum.Merge(tl)
	sum.Merge(tl)
	if sum.Total != 12 || sum.Fever != 2 || sum.Repeats != 2 || sum.Abandoned != 2 {
		t.Fatalf("merge %+v", sum)
	}
}
