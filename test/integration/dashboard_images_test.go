//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// imageBuildPushPrune builds an image from a directory on the host
// through the page (its output streams in), builds it again changed
// (the first becomes dangling), pushes it to `wharf registry serve` on
// loopback with progress, and prunes with a preview: the dangling image
// from the images view, a stopped container from the system view. The
// CLI and the registry check each step.
func imageBuildPushPrune(t *testing.T, e *env, b *browser) {
	t.Helper()
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Dockerfile", "FROM busybox:latest\nCOPY hello.txt /hello.txt\nRUN echo dashboard-build-step && cat /hello.txt\n")
	write("hello.txt", "first\n")
	write("secret.key", "never sent\n")
	write(".dockerignore", "*.key\n")
	registry := startRegistry(t, "")
	ref := fmt.Sprintf("%s/dash/app%d:1", registry, os.Getpid())
	t.Cleanup(func() { e.run("wharf", "rmi", "-f", ref) })

	// A path that is not there: refused in the docker CLI's words.
	b.do("open the build form", b.view("images"),
		chromedp.Click(`//button[text()="Build…"]`, chromedp.NodeVisible),
		chromedp.SendKeys(chromedp.CSS(`input[aria-label="Build context directory"]`), dir+"/missing"),
		chromedp.Click(chromedp.CSS(`form[aria-label="Build an image"] button[type="submit"]`), chromedp.NodeVisible))
	b.waitText(`form[aria-label="Build an image"] p[role="alert"]`, `unable to prepare context: path "`+dir+`/missing" not found`)

	build := func(step string) string {
		b.do(step,
			b.clear(`input[aria-label="Build context directory"]`),
			chromedp.SendKeys(chromedp.CSS(`input[aria-label="Build context directory"]`), dir),
			b.clear(`input[aria-label="Tag for the built image"]`),
			chromedp.SendKeys(chromedp.CSS(`input[aria-label="Tag for the built image"]`), ref),
			chromedp.Click(chromedp.CSS(`form[aria-label="Build an image"] button[type="submit"]`), chromedp.NodeVisible))
		b.waitText(`form[aria-label="Build an image"] p[role="status"]`, "Built sha256:")
		b.waitText(`[data-testid="build-output"]`, "dashboard-build-step")
		id := strings.TrimSpace(e.run("wharf", "image", "inspect", "-f", "{{.Id}}", ref).stdout)
		if id == "" {
			t.Fatalf("%s: wharf image inspect %s finds nothing", step, ref)
		}
		return id
	}
	first := build("build from a host directory")
	b.shot("image-build")
	if r := e.run("wharf", "run", "--rm", ref, "sh", "-c", "cat /hello.txt; ls /secret.key 2>&1"); !strings.Contains(r.stdout, "first") || !strings.Contains(r.stdout, "No such file") {
		t.Fatalf("the built image (the .dockerignore'd file must be absent): %q %s", r.stdout, r.stderr)
	}
	write("hello.txt", "second\n")
	second := build("build again, changed")
	if first == second {
		t.Fatalf("the changed build made the same image %s", first)
	}

	// Push to the registry on loopback, with progress.
	b.do("push",
		chromedp.SendKeys(chromedp.CSS(`input[aria-label="Image to push"]`), ref),
		chromedp.Click(`//form[.//input[@aria-label="Image to push"]]//button[text()="Push"]`, chromedp.NodeVisible))
	b.waitMatch(`[data-testid="transfer-progress"]`, `digest: sha256:[0-9a-f]{64}`)
	b.shot("image-push")
	resp, err := http.Get(fmt.Sprintf("http://%s/v2/dash/app%d/tags/list", registry, os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	var tags struct{ Tags []string }
	json.NewDecoder(resp.Body).Decode(&tags)
	resp.Body.Close()
	if len(tags.Tags) != 1 || tags.Tags[0] != "1" {
		t.Fatalf("the registry's tags after the dashboard's push: %v", tags.Tags)
	}

	// Image prune: the preview names the first build, now dangling; only
	// it goes.
	short := strings.TrimPrefix(first, "sha256:")[:12]
	b.do("image prune preview",
		chromedp.Click(`//button[text()="Prune…"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="prune-images"] li[data-prune="<none> `+short+`"]`)))
	b.shot("image-prune-preview")
	b.do("image prune", chromedp.Click(`//section[@data-testid="prune-images"]//button[starts-with(text(), "Remove")]`, chromedp.NodeVisible))
	b.waitMatch(`[data-testid="prune-images"] [data-testid="prune-result"]`, `Deleted [1-9][0-9]* images?\. Total reclaimed space`)
	if r := e.run("wharf", "image", "inspect", first); r.code == 0 {
		t.Fatalf("the dangling image %s is still there after the dashboard's prune", first)
	}
	if r := e.run("wharf", "image", "inspect", ref); r.code != 0 {
		t.Fatalf("the prune took the tagged image %s too: %s", ref, r.stderr)
	}

	// System prune: the preview lists a stopped container; it goes.
	stopped := fmt.Sprintf("dash-prune-%d", os.Getpid())
	t.Cleanup(func() { e.run("wharf", "rm", "-f", stopped) })
	if r := e.run("wharf", "create", "--name", stopped, "busybox", "true"); r.code != 0 {
		t.Fatalf("wharf create: %s", r.stderr)
	}
	b.do("system prune preview", b.view("system"),
		// The images view's own Prune… button is there until the system view replaces it.
		chromedp.WaitVisible(chromedp.CSS(`table[aria-label="Disk usage"]`)),
		chromedp.Click(`//button[text()="Prune…"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="prune-system"] li[data-prune="`+stopped+`"]`)))
	b.shot("system-prune-preview")
	b.do("system prune", chromedp.Click(`//section[@data-testid="prune-system"]//button[starts-with(text(), "Remove")]`, chromedp.NodeVisible))
	b.waitMatch(`[data-testid="prune-system"] [data-testid="prune-result"]`, `Deleted [1-9][0-9]* containers?`)
	if r := e.run("wharf", "inspect", stopped); r.code == 0 {
		t.Fatalf("the stopped container is still there after the dashboard's system prune")
	}
	if r := e.run("wharf", "image", "inspect", ref); r.code != 0 {
		t.Fatalf("the system prune (without -a) took the tagged image %s: %s", ref, r.stderr)
	}
}

// keyboardAndPhone uses the page with the keyboard alone (Tab to a view's
// link, Enter opens it; Tab to "Prune…", Space opens its preview, Escape
// is not needed: Tab on to Cancel, Enter closes it) and checks that at a
// phone's width no view is wider than the screen.
func keyboardAndPhone(t *testing.T, b *browser) {
	t.Helper()
	b.do("start from the top", b.view("containers"), chromedp.WaitVisible(chromedp.CSS(`table[aria-label="Containers"]`)))
	// tabTo presses Tab until the focused element matches sel.
	tabTo := func(sel string) {
		t.Helper()
		for i := 0; i < 60; i++ {
			b.do("Tab", chromedp.KeyEvent("\t"))
			if on, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](fmt.Sprintf(`!!document.activeElement && document.activeElement.matches(%q)`, sel))); err == nil && on {
				return
			}
		}
		t.Fatalf("Tab never reached %s", sel)
	}
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`(document.activeElement && document.activeElement.blur(), true)`)); err != nil {
		t.Fatal(err)
	}
	tabTo(`nav a[href="#/volumes"]`)
	b.do("Enter opens the view", chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS(`table[aria-label="Volumes"]`)))
	tabTo(`button[aria-expanded="false"]`)
	b.do("Space opens the prune preview", chromedp.KeyEvent(" "), chromedp.WaitVisible(chromedp.CSS(`[data-testid="prune-volumes"]`)))
	tabTo(`[data-testid="prune-volumes"] button:not(.danger)`)
	b.do("Enter cancels it", chromedp.KeyEvent("\r"), chromedp.WaitNotPresent(chromedp.CSS(`[data-testid="prune-volumes"]`)))

	b.do("a phone's width", chromedp.EmulateViewport(390, 844))
	defer b.do("a laptop's width", chromedp.EmulateViewport(1280, 900))
	for _, v := range []string{"containers", "images", "volumes", "networks", "compose", "system"} {
		b.do("phone: "+v, b.view(v), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
		time.Sleep(200 * time.Millisecond) // its lists load
		wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[float64](`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if wide > 0 {
			b.shot("phone-" + v)
			t.Errorf("the %s view is %.0f px wider than a phone's screen (screenshot phone-%s)", v, wide, v)
		}
	}
	b.shot("images-phone")
}

// clear empties an input and tells the page (an input event), as a
// person deleting its text would.
func (b *browser) clear(sel string) chromedp.Action[chromedp.Void] {
	js := fmt.Sprintf(`(() => { const el = document.querySelector(%q); el.value = ''; el.dispatchEvent(new Event('input', {bubbles: true})); return true; })()`, sel)
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](js)(ctx, tg)
		return err
	})
}
