package pinhash

import (
	"strings"
	"testing"
)

func TestHashCheckAndRefuseWeak(t *testing.T) {
	v, err := Hash("4711")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v, "$argon2id$v=19$m=65536,t=3,p=2$") || strings.Contains(v, "4711") {
		t.Fatalf("verifier %q", v)
	}
	if ok, err := Check(v, "4711"); !ok || err != nil {
		t.Errorf("right PIN: %v %v", ok, err)
	}
	if ok, _ := Check(v, "4712"); ok {
		t.Error("wrong PIN accepted")
	}
	v2, _ := Hash("4711")
	if v2 == v {
		t.Error("two verifiers of one PIN are equal: no salt")
	}
	for _, bad := range []string{"", "4711", strings.Replace(v, "m=65536", "m=8", 1), strings.Replace(v, "t=3", "t=1", 1),
		strings.Replace(v, "m=65536", "m=4194304", 1), strings.Replace(v, "argon2id", "argon2i", 1), v + "$x", strings.Replace(v, "$v=19", "$v=16", 1)} {
		if err := Valid(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
