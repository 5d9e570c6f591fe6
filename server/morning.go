package server

import (
	"context"
	"fmt"
	"sort"
	gosync "sync"
	"time"

	"hcscan/healthcode"
)

// The morning view: what an institution asks every morning about its own
// people. Who was checked today (first time, gate, temperature, verdict),
// who not yet, who had a fever or was stopped, and whose code turned
// yellow or red (from the status feed, joined by person key on the
// server), per group and per person, with the day's counts per group, the
// summary an institution sends upward.

// DayCounts are one day's figures of a group or of the institution, each
// counting people (not checks).
type DayCounts struct {
	Expected int `json:"expected"` // on the roster
	Checked  int `json:"checked"`  // checked at least once
	Absent   int `json:"absent"`   // not checked (not yet, on the current day)
	Fever    int `json:"fever"`    // a fever at one of the institution's gates
	Stopped  int `json:"stopped"`  // stopped at a gate at least once
	Yellow   int `json:"yellow"`   // code yellow on the day
	Red      int `json:"red"`      // code red on the day
}

func (c *DayCounts) add(d *MemberDay) {
	c.Expected++
	if d.Checks > 0 {
		c.Checked++
	} else {
		c.Absent++
	}
	if d.Fever {
		c.Fever++
	}
	if d.Stopped {
		c.Stopped++
	}
	switch d.Colour {
	case healthcode.Yellow:
		c.Yellow++
	case healthcode.Red:
		c.Red++
	}
}

// MemberDay is one member's day.
type MemberDay struct {
	Member RosterMember
	Checks int
	First  RosterCheck // the first check of the day (when Checks > 0)
	Last   RosterCheck // the last one
	// MaxTemperature is the highest reading of the day (0: none taken).
	MaxTemperature healthcode.Temperature
	Fever          bool
	Stopped        bool
	// Colour is the person's colour on the day, from whichever is newer:
	// the status feed or the last check at a gate (ColourUnknown: neither).
	Colour healthcode.Colour
	// Turned is when the status feed turned the code yellow or red, when
	// that is where Colour comes from.
	Turned time.Time
	// NotSeenSince: the code turned yellow or red after the day's last
	// check, or the person was not checked at all.
	NotSeenSince bool
}

// Checked reports whether the member was checked on the day.
func (d MemberDay) Checked() bool { return d.Checks > 0 }

// GroupDay is one group's day.
type GroupDay struct {
	Group   string
	Role    healthcode.Role
	Counts  DayCounts
	Members []MemberDay // by name
}

// MorningView is an institution's day.
type MorningView struct {
	Institution string
	Day         time.Time // midnight that starts the day, in the institution's zone
	Generated   time.Time
	// Current is set while the day is not over: the absent are "not yet
	// checked".
	Current bool
	// Attention lists the members whose code is red or yellow on the day
	// (red first), checked or not: the top of the page.
	Attention []MemberDay
	Groups    []GroupDay
	Totals    DayCounts
	Unlinked  int           // members no scan has linked yet: they cannot show as checked
	Alerts    []RosterAlert // raised on the day, newest first
}

// DayStart is midnight at the start of t's day in loc.
func DayStart(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// MorningView builds an institution's view of the day that holds day (in
// day's location, the institution's zone).
func (s *Server) MorningView(ctx context.Context, institution string, day time.Time) (*MorningView, error) {
	start := DayStart(day, day.Location())
	end := start.AddDate(0, 0, 1)
	now := s.now()
	// The four reads go to the database at once: on PostgreSQL the day's
	// checks and the roster are the two long ones.
	var (
		members  []RosterMember
		checks   []RosterCheck
		statuses []PersonStatus
		alerts   []RosterAlert
		wg       gosync.WaitGroup
		errs     [4]error
	)
	wg.Add(4)
	go func() { defer wg.Done(); members, errs[0] = s.store.RosterMembers(ctx, institution) }()
	go func() { defer wg.Done(); checks, errs[1] = s.store.RosterChecks(ctx, institution, start, end) }()
	go func() { defer wg.Done(); statuses, errs[2] = s.store.PersonStatuses(ctx, institution) }()
	go func() { defer wg.Done(); alerts, errs[3] = s.store.RosterAlerts(ctx, institution, start) }()
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("morning view: %w", err)
		}
	}
	v := &MorningView{Institution: institution, Day: start, Generated: now, Current: now.Before(end)}
	for _, a := range alerts {
		if a.Raised.Before(end) {
			v.Alerts = append(v.Alerts, a)
		}
	}
	byPerson := make(map[healthcode.PersonKey][]RosterCheck, len(members))
	for _, c := range checks {
		byPerson[c.Person] = append(byPerson[c.Person], c)
	}
	status := make(map[healthcode.PersonKey]PersonStatus, len(statuses))
	for _, st := range statuses {
		status[st.Person] = st
	}
	order := RosterGroups(members)
	groups := make(map[string]*GroupDay, len(order))
	for _, g := range order {
		groups[g.Name] = &GroupDay{Group: g.Name, Role: g.Role}
	}
	for i := range members {
		m := &members[i]
		if !m.IsLinked() {
			v.Unlinked++
		}
		d := memberDay(m, byPerson[m.Person], status, end)
		g := groups[m.Group]
		g.Counts.add(&d)
		g.Members = append(g.Members, d)
		v.Totals.add(&d)
		if d.Colour.Stops() {
			v.Attention = append(v.Attention, d)
		}
	}
	for _, g := range order {
		gd := groups[g.Name]
		sort.SliceStable(gd.Members, func(i, j int) bool { return gd.Members[i].Member.Name < gd.Members[j].Member.Name })
		v.Groups = append(v.Groups, *gd)
	}
	sort.SliceStable(v.Attention, func(i, j int) bool {
		a, b := &v.Attention[i], &v.Attention[j]
		if a.Colour != b.Colour {
			return a.Colour == healthcode.Red
		}
		if a.Member.Group != b.Member.Group {
			return a.Member.Group < b.Member.Group
		}
		return a.Member.Name < b.Member.Name
	})
	return v, nil
}

// memberDay sums one member's checks of a day that ends at end.
func memberDay(m *RosterMember, checks []RosterCheck, status map[healthcode.PersonKey]PersonStatus, end time.Time) MemberDay {
	d := MemberDay{Member: *m}
	if !m.IsLinked() {
		return d
	}
	for i, c := range checks {
		if i == 0 {
			d.First = c
		}
		d.Last = c
		d.Checks++
		if c.Temperature > d.MaxTemperature {
			d.MaxTemperature = c.Temperature
		}
		d.Fever = d.Fever || c.Fever
		d.Stopped = d.Stopped || c.Verdict != healthcode.VerdictPass
	}
	var seen time.Time
	if d.Checks > 0 && d.Last.Colour.Valid() {
		d.Colour, seen = d.Last.Colour, d.Last.At
	}
	if st, ok := status[m.Person]; ok && st.Updated.Before(end) && !st.Updated.Before(seen) {
		d.Colour = st.Colour
		if st.Colour.Stops() {
			d.Turned = st.Updated
			d.NotSeenSince = d.Checks == 0 || d.Last.At.Before(st.Updated)
		}
	}
	return d
}
