package build

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestExpansionBounded: a word's expansion is refused once what it
// could build passes the limits, before it is built.
func TestExpansionBounded(t *testing.T) {
	big := strings.Repeat("x", 600<<10) // two of them pass maxWordSize
	eight := strings.Repeat("x", 8<<10) // replaced by itself: 64 MiB
	for _, c := range []struct {
		word, env string
		want      string // the value, or the error's text
		fails     bool
	}{
		{word: "$A", env: big, want: big},
		{word: "${A}-${A:+set}", env: "v", want: "v-set"},
		{word: "${A//x/y}", env: "xax", want: "yay"},
		{word: strings.Repeat("$A", 100), env: strings.Repeat("s", 1<<10), want: strings.Repeat("s", 100<<10)},
		{word: "$A$A", env: big, want: "exceeds maximum allowed size of 1048576 bytes", fails: true},
		{word: "${A//x/$A}", env: eight, want: "exceeds maximum allowed size of 1048576 bytes", fails: true},
		{word: "${A///$A}", env: eight, want: "exceeds maximum allowed size of 1048576 bytes", fails: true},
	} {
		r := &run{}
		st := &stageState{args: map[string]string{}, cfg: dockerspec.DockerOCIImageConfig{ImageConfig: ocispec.ImageConfig{Env: []string{"A=" + c.env}}}}
		stages, _, err := parseDockerfile([]byte("FROM scratch\nENV B=" + c.word + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		env := stages[0].Commands[0].(*instructions.EnvCommand)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		err = r.expand(st, env)
		runtime.ReadMemStats(&after)
		name := c.word
		if len(name) > 20 {
			name = name[:20] + "..."
		}
		// Never more than a few times the largest word: the limit is
		// enforced as the expansion goes, not on its result.
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
			t.Errorf("%s: expanding allocated %d bytes", name, alloc)
		}
		switch {
		case c.fails && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want %q", name, err, c.want)
		case !c.fails && err != nil:
			t.Errorf("%s: %v", name, err)
		case !c.fails && env.Env[0].Value != c.want:
			t.Errorf("%s: expanded to %d bytes, want %d", name, len(env.Env[0].Value), len(c.want))
		}
	}
}

// TestBuildLimits: each build input past its limit fails the build with
// a clear message, and the failed build leaves no image behind.
func TestBuildLimits(t *testing.T) {
	sixty := strings.Repeat("s", 60<<10)
	huge := strings.Repeat("v", 1<<20+1)
	var doubling strings.Builder
	fmt.Fprintf(&doubling, "FROM scratch\nENV A0=%s\n", strings.Repeat("a", 1<<10))
	for i := 1; i <= 12; i++ { // to 4 MiB: past the limits, yet cheap without them
		fmt.Fprintf(&doubling, "ENV A%d=$A%d$A%d\n", i, i-1, i-1)
	}
	for _, c := range []struct {
		name string
		ents []tent
		o    Options
		want string
	}{
		{
			name: "doubling ENV",
			ents: []tent{{name: "Dockerfile", body: doubling.String()}},
			want: "exceeds maximum allowed size of",
		},
		{
			name: "Dockerfile size",
			ents: []tent{{name: "Dockerfile", body: "FROM scratch\nLABEL a=b\n" + strings.Repeat("# "+strings.Repeat("c", 4094)+"\n", 4200)}},
			want: "Dockerfile exceeds maximum allowed size of 16777216 bytes",
		},
		{
			name: ".dockerignore size",
			ents: []tent{{name: "Dockerfile", body: "FROM scratch\nLABEL a=b\n"}, {name: ".dockerignore", body: strings.Repeat("x\n", 8500<<10)}},
			want: ".dockerignore exceeds maximum allowed size of 16777216 bytes",
		},
		{
			name: "line length",
			ents: []tent{{name: "Dockerfile", body: "FROM scratch\nLABEL a=" + strings.Repeat("l", 70000) + "\n"}},
			want: "dockerfile line greater than max allowed size of 65535",
		},
		{
			name: "build arg",
			ents: []tent{{name: "Dockerfile", body: "FROM scratch\nARG BIG\nLABEL a=b\n"}},
			o:    Options{BuildArgs: map[string]*string{"BIG": &huge}},
			want: `build-arg "BIG" exceeds maximum allowed size of 1048576 bytes`,
		},
		{
			name: "label",
			ents: []tent{{name: "Dockerfile", body: "FROM scratch\nLABEL a=b\n"}},
			o:    Options{Labels: map[string]string{"big": huge}},
			want: `label "big" exceeds maximum allowed size of 1048576 bytes`,
		},
		{
			name: "image config",
			ents: []tent{{name: "Dockerfile", body: "FROM scratch\nARG S=" + sixty + "\nENV B1=" + strings.Repeat("$S", 16) + "\nENV B2=$B1\nENV B3=$B1\nENV B4=$B1\nENV B5=$B1\n"}},
			want: "image config exceeds maximum allowed size of 4194304 bytes",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			images := newFakeImages()
			_, out, err := fakeBuild(t, images, c.o, c.ents...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q\n%.2000s", err, c.want, out)
			}
			if ids := images.ids(); len(ids) > 0 {
				t.Errorf("the failed build left %d images", len(ids))
			}
		})
	}
}
