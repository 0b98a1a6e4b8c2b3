//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

func TestDiff(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "diff")
			cleanupContainers(t, name)
			cli(t, c, "create", "--name", name, "busybox", "sh", "-c", "echo new > /added && rm /bin/ls && echo x >> /etc/passwd")
			if out := strings.TrimSpace(cli(t, c, "diff", name)); out != "" {
				t.Fatalf("diff of a new container: %q", out)
			}
			cli(t, c, "start", "-a", name)
			got := lines(cli(t, c, "diff", name))
			want := []string{"A /added", "C /bin", "D /bin/ls", "C /etc", "C /etc/passwd"}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("diff:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestExport(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "export")
			cleanupContainers(t, name)
			cli(t, c, "run", "--name", name, "busybox", "sh", "-c", "echo exported > /marker && rm /bin/ls")
			out := cli(t, c, "export", name)
			files := map[string]string{}
			tr := tar.NewReader(bytes.NewReader([]byte(out)))
			for {
				h, err := tr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				data, _ := io.ReadAll(tr)
				files[strings.TrimPrefix(h.Name, "./")] = string(data)
			}
			if files["marker"] != "exported\n" {
				t.Fatalf("marker in export: %q (%d entries)", files["marker"], len(files))
			}
			if _, ok := files["bin/busybox"]; !ok {
				t.Fatal("export lacks the image's files")
			}
			if _, ok := files["bin/ls"]; ok {
				t.Fatal("export has a deleted file")
			}
		})
	}
}

func TestCommit(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "commit")
			repo := uniqueName(t, "img")
			cleanupContainers(t, name, name+"-2")
			t.Cleanup(func() { testEnv.run("wharf", "rmi", "-f", repo+":v1") })
			runDetached(t, c, name, "busybox", "sh", "-c", "echo committed > /marker && rm /bin/ls && mkdir -p /d && sleep 300")
			waitFor(t, 10*time.Second, "the container's changes", func() bool {
				return testEnv.run(c, "exec", name, "test", "-d", "/d").code == 0
			})
			id := strings.TrimSpace(cli(t, c, "commit", "-m", "a message", "-a", "someone", "-c", "ENV FOO=bar", "-c", `CMD ["cat", "/marker"]`, name, repo+":v1"))
			if !strings.HasPrefix(id, "sha256:") {
				t.Fatalf("commit printed %q", id)
			}
			if st := inspectField(t, name, "{{.State.Status}}"); st != "running" {
				t.Fatalf("container is %s after commit", st)
			}
			if out := cli(t, c, "run", "--rm", repo+":v1"); out != "committed\n" {
				t.Fatalf("committed image ran %q", out)
			}
			r := testEnv.run(c, "run", "--rm", repo+":v1", "ls", "/")
			if r.code == 0 {
				t.Fatal("deleted /bin/ls came back in the committed image")
			}
			if env := inspectField(t, repo+":v1", "{{json .Config.Env}}"); !strings.Contains(env, "FOO=bar") {
				t.Fatalf("env %s", env)
			}
			if a := inspectField(t, repo+":v1", "{{.Author}}"); a != "someone" {
				t.Fatalf("author %q", a)
			}
			if n := inspectField(t, repo+":v1", "{{len .RootFS.Layers}}"); n != "2" {
				t.Fatalf("%s layers", n)
			}
			hist := cli(t, c, "history", "--no-trunc", "--format", "{{.Comment}}|{{.CreatedBy}}", repo+":v1")
			if first := lines(hist)[0]; !strings.HasPrefix(first, "a message|sh -c echo committed") {
				t.Fatalf("history: %q", hist)
			}
		})
	}
}
