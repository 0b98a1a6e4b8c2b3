package build

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

func TestCacheKey(t *testing.T) {
	a := cacheKey("sha256:1", "RUN x")
	if a != cacheKey("sha256:1", "RUN x") {
		t.Error("same parent and instruction: different keys")
	}
	if a == cacheKey("sha256:2", "RUN x") || a == cacheKey("sha256:1", "RUN y") {
		t.Error("different parent or instruction: same key")
	}
	c, err := openCache(filepath.Join(t.TempDir(), "cache.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.put(a, "sha256:img"); err != nil {
		t.Fatal(err)
	}
	c2, err := openCache(c.path)
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := c2.get(a); !ok || id != "sha256:img" {
		t.Errorf("reloaded cache: %q %v", id, ok)
	}
}

func TestApplyConfig(t *testing.T) {
	df := `FROM busybox
ENV A=1 B=2
LABEL x=y
WORKDIR /app
WORKDIR sub
USER 1000
EXPOSE 80 53/udp
VOLUME /data
STOPSIGNAL SIGINT
SHELL ["/bin/bash", "-c"]
CMD echo hi
ENTRYPOINT ["/bin/tini"]
HEALTHCHECK CMD true
`
	stages, _, err := parseDockerfile([]byte(df))
	if err != nil {
		t.Fatal(err)
	}
	var cfg dockerspec.DockerOCIImageConfig
	for _, c := range stages[0].Commands {
		if _, err := applyConfig(&cfg, c); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what string, ok bool) {
		if !ok {
			t.Errorf("%s: %+v", what, cfg)
		}
	}
	check("env", slices.Equal(cfg.Env, []string{"A=1", "B=2"}))
	check("label", cfg.Labels["x"] == "y")
	check("workdir", cfg.WorkingDir == "/app/sub")
	check("user", cfg.User == "1000")
	_, tcp := cfg.ExposedPorts["80/tcp"]
	_, udp := cfg.ExposedPorts["53/udp"]
	check("expose", tcp && udp)
	_, vol := cfg.Volumes["/data"]
	check("volume", vol)
	check("stopsignal", cfg.StopSignal == "SIGINT")
	check("cmd in SHELL", slices.Equal(cfg.Cmd, []string{"/bin/bash", "-c", "echo hi"}))
	check("entrypoint", slices.Equal(cfg.Entrypoint, []string{"/bin/tini"}))
	check("healthcheck", cfg.Healthcheck != nil && len(cfg.Healthcheck.Test) > 0)
}

func TestParseErrorLine(t *testing.T) {
	_, _, err := parseDockerfile([]byte("FROM busybox\nBOGUS x\n"))
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("err = %v", err)
	}
}

func TestNeededStages(t *testing.T) {
	stages, metaArgs, err := parseDockerfile([]byte(`ARG BASE=busybox
FROM ${BASE} AS a
FROM busybox AS b
FROM a AS c
COPY --from=b /x /x
FROM busybox AS d
`))
	if err != nil {
		t.Fatal(err)
	}
	r := &run{stages: stages, metaArgs: metaArgs}
	if err := r.resolveMetaArgs(); err != nil {
		t.Fatal(err)
	}
	need := map[int]bool{}
	r.markNeeded(r.stageIndex("c", len(stages)), need)
	if !need[0] || !need[1] || !need[2] || need[3] {
		t.Errorf("needed for c: %v", need)
	}
	if got := r.baseName(0); got != "busybox" {
		t.Errorf("ARG before FROM: base %q", got)
	}
}
