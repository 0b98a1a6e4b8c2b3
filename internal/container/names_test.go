package container

import "testing"

func TestNewIDIsHexAndNotNumericPrefix(t *testing.T) {
	for range 100 {
		id := newID()
		if len(id) != 64 {
			t.Fatalf("id %q has length %d", id, len(id))
		}
		numeric := true
		for _, c := range id[:12] {
			if c > '9' {
				numeric = false
			}
		}
		if numeric {
			t.Fatalf("short id %q is all digits", id[:12])
		}
	}
}

func TestValidName(t *testing.T) {
	for name, ok := range map[string]bool{"web": true, "/web": true, "a.b_c-d": true, "a": false, "-x": false, "a b": false, "ä1": false} {
		if validName.MatchString(name) != ok {
			t.Errorf("%q: want valid=%v", name, ok)
		}
	}
	if n := randomName(0); !validName.MatchString(n) {
		t.Errorf("generated name %q is not valid", n)
	}
}
