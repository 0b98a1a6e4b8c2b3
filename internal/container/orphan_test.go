package container

import "testing"

func TestNamesPath(t *testing.T) {
	for _, c := range []struct {
		cmdline string
		want    bool
	}{
		{"conmon\x00-b\x00/run/w/containers/abc\x00-c\x00abc", true},
		{"runc\x00create\x00--bundle\x00/run/w/containers/abc\x00abc", true},
		{"conmon\x00-p\x00/run/w/containers/abc/pidfile", true},
		{"conmon\x00-b\x00/run/w/containers/abcd", false},
		{"sleep\x003600", false},
	} {
		if got := namesPath(c.cmdline, "/run/w/containers/abc"); got != c.want {
			t.Errorf("namesPath(%q) = %v, want %v", c.cmdline, got, c.want)
		}
	}
}
