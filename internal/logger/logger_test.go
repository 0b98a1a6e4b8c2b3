package logger

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRotateKeepsMaxFile: rotating past max-file keeps max-file files,
// the newest ones, compressed if asked, all readable in order.
func TestRotateKeepsMaxFile(t *testing.T) {
	for _, compress := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "container.log")
		r := Rotation{MaxSize: 10, MaxFile: 3, Compress: compress}
		write := func(s string) {
			f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString(s)
			f.Close()
		}
		reopen := func() error { write(""); return nil }
		for i := range 5 {
			write(strings.Repeat(string(rune('a'+i)), 10) + "\n")
			if err := Rotate(path, r, reopen); err != nil {
				t.Fatal(err)
			}
			if err := CompressFirst(path, r); err != nil {
				t.Fatal(err)
			}
		}
		write("live\n")
		files := Files(path)
		if len(files) != 3 {
			t.Fatalf("compress=%v: files %v", compress, files)
		}
		if compress != strings.HasSuffix(files[0], ".2.gz") {
			t.Errorf("compress=%v: oldest %s", compress, files[0])
		}
		var all strings.Builder
		for _, name := range files {
			rc, err := Open(name)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(&all, rc)
			rc.Close()
		}
		if got := all.String(); got != "dddddddddd\neeeeeeeeee\nlive\n" {
			t.Errorf("compress=%v: read %q", compress, got)
		}
	}
}

// TestRotateOneFile: max-file 1 leaves the new file to the writer's reopen.
func TestRotateOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "container.log")
	os.WriteFile(path, []byte("old\n"), 0o640)
	err := Rotate(path, Rotation{MaxSize: 1, MaxFile: 1}, func() error { return os.WriteFile(path, nil, 0o640) })
	if err != nil {
		t.Fatal(err)
	}
	if files := Files(path); len(files) != 1 {
		t.Errorf("files %v", files)
	}
}

func TestRotationFor(t *testing.T) {
	for _, c := range []struct {
		driver string
		opts   map[string]string
		want   Rotation
	}{
		{"json-file", nil, Rotation{MaxFile: 1}},
		{"json-file", map[string]string{"max-file": "3"}, Rotation{MaxFile: 1}},
		{"json-file", map[string]string{"max-size": "1k", "max-file": "3", "compress": "true"}, Rotation{1024, 3, true}},
		{"local", nil, Rotation{20 << 20, 5, true}},
		{"local", map[string]string{"max-size": "1m", "compress": "false"}, Rotation{1 << 20, 5, false}},
	} {
		if got := RotationFor(c.driver, c.opts); got != c.want {
			t.Errorf("%s %v: %+v, want %+v", c.driver, c.opts, got, c.want)
		}
	}
}

func TestValidateLogOpts(t *testing.T) {
	for _, c := range []struct {
		driver string
		opts   map[string]string
		want   string
	}{
		{"json-file", map[string]string{"max-size": "10m", "max-file": "3", "compress": "true", "tag": "{{.Name}}", "labels": "a", "env": "B", "mode": "non-blocking"}, ""},
		{"local", map[string]string{"tag": "x"}, "unknown log opt 'tag' for local log driver"},
		{"journald", map[string]string{"max-size": "1m"}, "unknown log opt 'max-size' for journald log driver"},
		{"none", map[string]string{"anything": "x"}, ""},
		{"syslog", nil, "no log driver named 'syslog' is registered"},
		{"json-file", map[string]string{"max-size": "lots"}, "invalid max-size"},
		{"json-file", map[string]string{"compress": "maybe"}, "invalid compress"},
		{"json-file", map[string]string{"mode": "fast"}, "logging mode not supported: fast"},
	} {
		err := ValidateLogOpts(c.driver, c.opts)
		if (c.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: %v, want %q", c.driver, c.opts, err, c.want)
		}
	}
}
