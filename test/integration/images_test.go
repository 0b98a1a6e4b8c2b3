//go:build integration

package integration

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var imageID = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

func TestImportInspectImages(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			ref := "imp-" + uniqueName(t, "img") + ":v1"
			t.Cleanup(func() { testEnv.run("wharf", "rmi", "-f", ref) })
			out := strings.TrimSpace(cli(t, c, "import", "-c", `ENTRYPOINT ["echo","a"]`, "-c", `CMD ["b"]`, "-c", "ENV X=1", "-c", "WORKDIR /tmp", "-c", "LABEL k=v", busyboxRootfs(t), ref))
			if !imageID.MatchString(out) {
				t.Fatalf("import printed %q", out)
			}
			var img []struct {
				ID       string `json:"Id"`
				RepoTags []string
				Os       string
				Size     int64
				Config   struct {
					Entrypoint, Cmd, Env []string
					WorkingDir           string
					Labels               map[string]string
				}
			}
			if err := json.Unmarshal([]byte(cli(t, c, "image", "inspect", ref)), &img); err != nil || len(img) != 1 {
				t.Fatalf("image inspect: %v", err)
			}
			cfg := img[0].Config
			if img[0].ID != out || strings.Join(img[0].RepoTags, ",") != ref || img[0].Os != "linux" || img[0].Size < 1<<20 {
				t.Errorf("image %+v", img[0])
			}
			if strings.Join(cfg.Entrypoint, " ") != "echo a" || strings.Join(cfg.Cmd, " ") != "b" || strings.Join(cfg.Env, " ") != "X=1" || cfg.WorkingDir != "/tmp" || cfg.Labels["k"] != "v" {
				t.Errorf("image config %+v", cfg)
			}
			if out := cli(t, c, "run", "--rm", ref); out != "a b\n" {
				t.Errorf("run of the imported image: %q", out)
			}

			repo, tag, _ := strings.Cut(ref, ":")
			// docker/cli 29 (wharf) lists images in its new layout by default.
			args := []string{"images", repo}
			if c == "wharf" {
				args = append(args, "--format", "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}")
			}
			rows := lines(cli(t, c, args...))
			head := regexp.MustCompile(`\s{2,}`)
			if len(rows) != 2 || strings.Join(head.Split(rows[0], -1), "|") != "REPOSITORY|TAG|IMAGE ID|CREATED|SIZE" {
				t.Fatalf("images %s:\n%s", repo, strings.Join(rows, "\n"))
			}
			f := head.Split(rows[1], -1)
			if len(f) != 5 || f[0] != repo || f[1] != tag || f[2] != out[7:19] {
				t.Errorf("images row %q", rows[1])
			}
			if got := lines(cli(t, c, "images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}", "--no-trunc")); !contains(got, ref+" "+out) {
				t.Errorf("images --format: %q", got)
			}
			if got := lines(cli(t, c, "images", "-q", repo)); len(got) != 1 || got[0] != out[7:19] {
				t.Errorf("images -q: %q", got)
			}
			if r := testEnv.run(c, "image", "inspect", "no-such-image:x"); r.code != 1 || !strings.Contains(strings.ToLower(r.stderr), "no such image: no-such-image:x") {
				t.Errorf("inspect of a missing image: %+v", r)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

func TestTagRmi(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			ref := "tag-" + uniqueName(t, "img") + ":1"
			alias := "alias-" + uniqueName(t, "img") + ":2"
			t.Cleanup(func() { testEnv.run("wharf", "rmi", "-f", alias) })
			id := importImage(t, ref, `CMD ["sh"]`)
			cli(t, c, "tag", ref, alias)
			if got := strings.TrimSpace(cli(t, c, "image", "inspect", "--format", "{{.Id}}", alias)); got != id {
				t.Fatalf("tagged image id %q, want %q", got, id)
			}
			// Removing one of two tags only untags.
			if out := cli(t, c, "rmi", alias); out != "Untagged: "+alias+"\n" {
				t.Fatalf("rmi of an extra tag: %q", out)
			}
			cli(t, c, "tag", ref, alias)

			// A container, even stopped, keeps its image.
			name := uniqueName(t, "user")
			cleanupContainers(t, name)
			ctr := strings.TrimSpace(cli(t, c, "create", "--name", name, ref, "sleep", "60"))
			cli(t, c, "rmi", alias)
			r := testEnv.run(c, "rmi", ref)
			want := `Error response from daemon: conflict: unable to remove repository reference "` + ref + `" (must force) - container ` + ctr[:12] + ` is using its referenced image ` + id[7:19]
			if r.code != 1 || strings.TrimSpace(r.stderr) != want {
				t.Fatalf("rmi of a used image:\n got %+v\nwant %s", r, want)
			}
			r = testEnv.run(c, "rmi", id[7:19])
			want = `Error response from daemon: conflict: unable to delete ` + id[7:19] + ` (must be forced) - image is being used by stopped container ` + ctr[:12]
			if r.code != 1 || strings.TrimSpace(r.stderr) != want {
				t.Fatalf("rmi by id of a used image:\n got %+v\nwant %s", r, want)
			}
			cli(t, c, "start", name)
			waitState(t, name, "running")
			r = testEnv.run(c, "rmi", "-f", id[7:19])
			want = `Error response from daemon: conflict: unable to delete ` + id[7:19] + ` (cannot be forced) - image is being used by running container ` + ctr[:12]
			if r.code != 1 || strings.TrimSpace(r.stderr) != want {
				t.Fatalf("rmi -f of an image a running container uses:\n got %+v\nwant %s", r, want)
			}
			cli(t, c, "rm", "-f", name)
			out := cli(t, c, "rmi", ref)
			if !strings.Contains(out, "Untagged: "+ref+"\n") || !strings.Contains(out, "Deleted: "+id+"\n") {
				t.Fatalf("rmi of an unused image: %q", out)
			}
			if r := testEnv.run(c, "image", "inspect", id); r.code == 0 {
				t.Fatalf("deleted image still there: %+v", r)
			}
			r = testEnv.run(c, "rmi", ref)
			if r.code != 1 || !strings.Contains(r.stderr, "No such image: "+ref) {
				t.Fatalf("rmi of a missing image: %+v", r)
			}
		})
	}
}

func TestSaveLoad(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			ref := "saved-" + uniqueName(t, "img") + ":1"
			id := importImage(t, ref, `ENTRYPOINT ["echo","loaded"]`)
			tar := filepath.Join(t.TempDir(), "image.tar")
			cli(t, c, "save", "-o", tar, ref)
			cli(t, c, "rmi", ref)
			if r := testEnv.run(c, "image", "inspect", ref); r.code == 0 {
				t.Fatalf("image still there after rmi")
			}
			if out := cli(t, c, "load", "-i", tar); !strings.Contains(out, "Loaded image: "+ref) {
				t.Fatalf("load printed %q", out)
			}
			if got := strings.TrimSpace(cli(t, c, "image", "inspect", "--format", "{{.Id}}", ref)); got != id {
				t.Fatalf("loaded image id %q, want %q", got, id)
			}
			if out := cli(t, c, "run", "--rm", ref, "x"); out != "loaded x\n" {
				t.Fatalf("run of the loaded image: %q", out)
			}
			// save to stdout, load from stdin.
			data := testEnv.run(c, "save", ref)
			if data.code != 0 || len(data.stdout) < 1<<20 {
				t.Fatalf("save to stdout: code %d, %d bytes, %s", data.code, len(data.stdout), data.stderr)
			}
			cli(t, c, "rmi", ref)
			if r := testEnv.runIn([]byte(data.stdout), c, "load"); r.code != 0 || !strings.Contains(r.stdout, "Loaded image: "+ref) {
				t.Fatalf("load from stdin: %+v", r)
			}
		})
	}
}
