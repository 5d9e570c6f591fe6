package healthcode

import "fmt"

// Role is what a person is to the institution that keeps them on its
// roster (staff, students, children, elderly residents).
type Role uint8

const (
	RoleNone    Role = 0
	RoleStaff   Role = 1 // 教职工 / 员工
	RoleStudent Role = 2 // 学生
	RoleChild   Role = 3 // 幼儿
	RoleElderly Role = 4 // 老人 (a care home's residents)
)

// Roles lists the roles in the order a form offers them.
var Roles = []Role{RoleStaff, RoleStudent, RoleChild, RoleElderly}

func (r Role) String() string {
	switch r {
	case RoleStaff:
		return "staff"
	case RoleStudent:
		return "student"
	case RoleChild:
		return "child"
	case RoleElderly:
		return "elderly"
	}
	return "none"
}

// Label is the role's name for people in lang ("zh" or "en").
func (r Role) Label(lang string) string {
	zh := map[Role]string{RoleStaff: "职工", RoleStudent: "学生", RoleChild: "幼儿", RoleElderly: "老人"}
	en := map[Role]string{RoleStaff: "staff", RoleStudent: "student", RoleChild: "child", RoleElderly: "resident"}
	if lang == "en" {
		return en[r]
	}
	return zh[r]
}

func (r Role) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

func (r *Role) UnmarshalText(b []byte) error {
	v, err := ParseRole(string(b))
	*r = v
	return err
}

// ParseRole reads a role by its English name or its Chinese label ("" and
// "none" are no role).
func ParseRole(s string) (Role, error) {
	switch s {
	case "", "none":
		return RoleNone, nil
	}
	for _, r := range Roles {
		if s == r.String() || s == r.Label("zh") || s == r.Label("en") {
			return r, nil
		}
	}
	switch s {
	case "教职工", "员工", "教师", "老师", "teacher", "employee":
		return RoleStaff, nil
	case "儿童", "幼儿园", "kid":
		return RoleChild, nil
	case "居民", "老年人", "resident":
		return RoleElderly, nil
	}
	return RoleNone, fmt.Errorf("role %q unknown (want staff, student, child or elderly)", s)
}

// NotListed turns the decision for someone who is not on the roster of a
// roster-only gate (a kindergarten) into a stop: a code that would pass is
// refused with "not on our list"; a code that stops anyway keeps its own
// disposition first, with "not on our list" among the choices. No
// temperature is needed to refuse a stranger.
func (d Decision) NotListed() Decision {
	d.Unlisted = true
	if d.Verdict == VerdictPass {
		d.Verdict = VerdictStop
		d.NeedTemperature = false
		d.OfferRemeasure = false
		d.DefaultDisposition = DispositionNotListed
		d.Alternatives = []Disposition{DispositionNotListed, DispositionPass}
		return d
	}
	alts := []Disposition{DispositionNotListed}
	for _, a := range d.Alternatives {
		if a != DispositionNotListed {
			alts = append(alts, a)
		}
	}
	d.Alternatives = alts
	return d
}
