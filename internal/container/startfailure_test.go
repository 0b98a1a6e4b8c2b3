package container

import "testing"

func TestStartFailureCode(t *testing.T) {
	for msg, want := range map[string]int{
		`exec: "/etc/passwd": permission denied: unknown`:               126,
		`exec: "nope": executable file not found in $PATH: unknown`:     127,
		`exec: "/nope": stat /nope: no such file or directory: unknown`: 127,
		`exec: "/bin/x": Permission Denied`:                             126,
	} {
		if got := startFailureCode(msg); got != want {
			t.Errorf("%s: %d, want %d", msg, got, want)
		}
	}
}
