package container

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wharf/wharf/internal/execinit"
)

func TestRlimits(t *testing.T) {
	nofile := func(soft, hard uint64) specs.POSIXRlimit {
		return specs.POSIXRlimit{Type: "RLIMIT_NOFILE", Soft: soft, Hard: hard}
	}
	defaults := map[string]*container.Ulimit{
		"nproc":  {Name: "nproc", Soft: 50, Hard: 100},
		"core":   {Name: "core", Soft: 0, Hard: 0},
		"nofile": {Name: "nofile", Soft: 4000, Hard: 8000},
	}
	cases := []struct {
		name      string
		own       []*container.Ulimit
		defaults  map[string]*container.Ulimit
		maxNofile uint64
		want      []specs.POSIXRlimit
	}{
		{"nothing set: docker's nofile", nil, nil, 0, []specs.POSIXRlimit{nofile(1024, 524288)}},
		{"default capped at the daemon's hard limit", nil, nil, 20000, []specs.POSIXRlimit{nofile(1024, 20000)}},
		{"a daemon below 1024", nil, nil, 512, []specs.POSIXRlimit{nofile(512, 512)}},
		{"the container's own, uncapped", []*container.Ulimit{{Name: "nofile", Soft: 1000, Hard: 50000}}, nil, 20000,
			[]specs.POSIXRlimit{nofile(1000, 50000)}},
		{"daemon defaults in name order after the container's", []*container.Ulimit{{Name: "nproc", Soft: 7, Hard: 9}, nil}, defaults, 0,
			[]specs.POSIXRlimit{{Type: "RLIMIT_NPROC", Soft: 7, Hard: 9}, {Type: "RLIMIT_CORE"}, nofile(4000, 8000)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := rlimits(c.own, c.defaults, c.maxNofile); !slices.Equal(got, c.want) {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestMergeUlimitsLeavesRecordAlone(t *testing.T) {
	own := make([]*container.Ulimit, 1, 4)
	own[0] = &container.Ulimit{Name: "nofile", Soft: 1, Hard: 2}
	merged := mergeUlimits(own, map[string]*container.Ulimit{"nproc": {Name: "nproc", Soft: 3, Hard: 4}})
	if len(merged) != 2 || merged[1].Name != "nproc" {
		t.Fatalf("merged: %+v", merged)
	}
	if full := own[:cap(own)]; full[1] != nil {
		t.Fatal("merge wrote into the container's ulimits")
	}
	// Without defaults the record's list is shown as it is (nil or empty).
	if got := mergeUlimits([]*container.Ulimit{}, nil); got == nil || len(got) != 0 {
		t.Fatalf("empty list became %#v", got)
	}
}

func TestExecProcessCarriesTheContainersRlimits(t *testing.T) {
	run := t.TempDir()
	s := &Service{cfg: Config{RunRoot: run, ExecInit: "/bin/true"}}
	c := &Container{ID: "c1"}
	write := func(rl []specs.POSIXRlimit) *specs.Process {
		t.Helper()
		os.MkdirAll(s.bundle(c.ID), 0o700)
		data, _ := json.Marshal(specs.Spec{Process: &specs.Process{Args: []string{"sleep", "9"}, Rlimits: rl}})
		os.WriteFile(filepath.Join(s.bundle(c.ID), "config.json"), data, 0o600)
		path := filepath.Join(run, "process.json")
		files, err := s.writeExecProcess(c, &Exec{Config: container.ExecCreateRequest{Cmd: []string{"sh", "-c", "ulimit -n"}}}, nil, path, filepath.Join(run, "runtime.log"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			f.Close()
		}
		if len(files) != 0 && len(files) != 2 {
			t.Fatalf("%d files", len(files))
		}
		var p specs.Process
		data, _ = os.ReadFile(path)
		if err := json.Unmarshal(data, &p); err != nil {
			t.Fatal(err)
		}
		return &p
	}
	rl := []specs.POSIXRlimit{{Type: "RLIMIT_NPROC", Soft: 5, Hard: 6}, {Type: "RLIMIT_NOFILE", Soft: 1000, Hard: 2000}}
	p := write(rl)
	if !slices.Equal(p.Rlimits, rl) {
		t.Fatalf("rlimits %+v", p.Rlimits)
	}
	// A soft nofile below the hard one goes through wharf-exec-init.
	if want := execinit.Args(1000, 2000, []string{"sh", "-c", "ulimit -n"}); !slices.Equal(p.Args, want) {
		t.Fatalf("args %q, want %q", p.Args, want)
	}
	// Otherwise the runtime runs the command itself.
	rl[1].Soft = 2000
	if p := write(rl); !slices.Equal(p.Args, []string{"sh", "-c", "ulimit -n"}) {
		t.Fatalf("args %q", p.Args)
	}
}
