package container

import (
	"testing"

	"github.com/moby/moby/api/types/container"
)

func TestLogDetails(t *testing.T) {
	c := &Container{
		ID: "0123456789abcdef", Name: "/web",
		Config: &container.Config{Labels: map[string]string{"app": "shop", "tier": "front end", "x.y": "1"},
			Env: []string{"REGION=eu", "SECRET=s", "PATH=/bin"}},
		HostConfig: &container.HostConfig{LogConfig: container.LogConfig{Type: "json-file", Config: map[string]string{
			"labels": "app,missing", "labels-regex": "^tier$", "env": "REGION", "env-regex": "^PA", "tag": "{{.Name}}/{{.ID}}"}}},
	}
	want := "PATH=%2Fbin,REGION=eu,app=shop,tag=web%2F0123456789ab,tier=front+end"
	if got := string(logDetails(c)); got != want {
		t.Errorf("details %q, want %q", got, want)
	}
	c.HostConfig.LogConfig.Config = nil
	if got := logDetails(c); len(got) != 0 {
		t.Errorf("no options: %q", got)
	}
}
