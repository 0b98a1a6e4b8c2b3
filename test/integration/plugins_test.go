//go:build integration

package integration

import (
	"strings"
	"testing"
)

// TestPluginsNotSupported: `plugin ls` lists none, and the plugin
// commands answer dockerd's error for a platform without plugins, not a
// bare 404.
func TestPluginsNotSupported(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			if out := cli(t, c, "plugin", "ls", "--format", "{{.Name}}"); out != "" {
				t.Errorf("plugin ls: %q", out)
			}
			r := testEnv.run(c, "plugin", "inspect", "vieux/sshfs")
			if r.code == 0 || !strings.Contains(r.stderr, `plugin "vieux/sshfs" not found`) {
				t.Errorf("plugin inspect: %d %s", r.code, r.stderr)
			}
		})
	}
}
