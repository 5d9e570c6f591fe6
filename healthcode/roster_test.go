package healthcode

import "testing"

func TestNotListedRefusesAStrangerWhoWouldPass(t *testing.T) {
	w := newWorld(t)
	p := DefaultPolicy()
	green := w.verifier().Verify(w.issue(t, w.claims(t, Green, "zh")), w.now)
	d := p.Decide(green, 0, false).NotListed()
	if d.Verdict != VerdictStop || !d.Unlisted || d.NeedTemperature || d.DefaultDisposition != DispositionNotListed {
		t.Errorf("green stranger at a roster-only gate: %+v", d)
	}
	red := w.verifier().Verify(w.issue(t, w.claims(t, Red, "zh")), w.now)
	d = p.Decide(red, 365, false).NotListed()
	if d.Verdict != VerdictStop || d.DefaultDisposition != DispositionSendToClinic || len(d.Alternatives) == 0 || d.Alternatives[0] != DispositionNotListed {
		t.Errorf("red stranger: %+v (the clinic stays the default, not on our list is a choice)", d)
	}
	if d := p.Decide(green, 365, false); d.Unlisted || d.Verdict != VerdictPass {
		t.Errorf("a listed person: %+v", d)
	}
	for _, in := range []Disposition{DispositionNotListed, DispositionPass} {
		b, _ := in.MarshalText()
		var out Disposition
		if err := out.UnmarshalText(b); err != nil || out != in {
			t.Errorf("disposition %s round trip: %v %v", in, out, err)
		}
	}
	if DispositionNotListed.Label("zh") == DispositionNotListed.Label("en") || DispositionNotListed.Label("en") == "none" {
		t.Error("not on our list has no label")
	}
}

func TestRoles(t *testing.T) {
	for _, r := range Roles {
		b, _ := r.MarshalText()
		var back Role
		if err := back.UnmarshalText(b); err != nil || back != r {
			t.Errorf("role %s round trip: %v %v", r, back, err)
		}
		if got, err := ParseRole(r.Label("zh")); err != nil || got != r {
			t.Errorf("ParseRole(%q) = %v %v", r.Label("zh"), got, err)
		}
	}
	if _, err := ParseRole("principal's cat"); err == nil {
		t.Error("unknown role accepted")
	}
}
