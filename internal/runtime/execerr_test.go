package runtime

import (
	"bytes"
	"testing"
)

func TestRuntimeErrorFilter(t *testing.T) {
	for _, c := range []struct {
		name    string
		writes  []string
		failed  bool
		want    string
		atWrite string // what has passed before end
	}{
		{"crun's line when crun failed", []string{"executable file `x` not found in $PATH: No such file or directory\n"}, true, "", ""},
		{"split in two writes", []string{"chdir `/n", "x`: No such file or directory\r\n"}, true, "", ""},
		{"the process's own line, then more", []string{"exec: mine\n", "more\n"}, false, "exec: mine\nmore\n", "exec: mine\nmore\n"},
		{"the process's own line alone", []string{"exec: mine\n"}, false, "exec: mine\n", ""},
		{"other output passes at once", []string{"hello\n", "exec: x\n"}, false, "hello\nexec: x\n", "hello\nexec: x\n"},
		{"a prefix that stops matching", []string{"exe", "cutable\n"}, false, "executable\n", "executable\n"},
		{"runc's line on a terminal", []string{"exec failed: unable to start container process: exec: \"x\": executable file not found in $PATH\r\n"}, true, "", ""},
		{"two lines in one write", []string{"open executable: x\nmore\n"}, false, "open executable: x\nmore\n", "open executable: x\nmore\n"},
	} {
		var out bytes.Buffer
		f := &runtimeErrorFilter{w: &out}
		for _, w := range c.writes {
			if n, err := f.Write([]byte(w)); n != len(w) || err != nil {
				t.Fatalf("%s: Write: %d, %v", c.name, n, err)
			}
		}
		if out.String() != c.atWrite {
			t.Errorf("%s: before end %q, want %q", c.name, out.String(), c.atWrite)
		}
		f.end(c.failed)
		if out.String() != c.want {
			t.Errorf("%s: %q, want %q", c.name, out.String(), c.want)
		}
	}
}

func TestRuncWordsCrunCwd(t *testing.T) {
	got := runcWords("chdir `/nonexist`: No such file or directory")
	if want := `chdir to cwd ("/nonexist") set in config.json failed: no such file or directory`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
