//go:build integration

package integration

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// TestDashboard drives the web dashboard in Debian's headless Chromium as
// a person would: log in with `wharf dashboard`'s link, run a container
// from an image with a published port, see it running, read its logs,
// type in its terminal, stop and remove it, create a volume, browse its
// files, download one and be refused a symlink out of it, remove it;
// inspect an image, load one from a `docker save` archive, build one
// from a host directory, push it to a registry on loopback, prune with a
// preview (images, then the system prune), bring a
// compose project up from a pasted file, read its logs, take it down;
// and, once the daemon is a swarm manager, see the swarm tab, a
// service's replicas and tasks, and scale it. With the keyboard alone it
// opens a view and a prune preview, and at a phone's width no view is
// wider than the screen. Each step is checked with
// the wharf CLI, which must agree. Screenshots
// of each view go to $WHARF_IT_SCREENSHOTS, or a directory it logs.
func TestDashboard(t *testing.T) {
	chromium := findChromium()
	if chromium == "" {
		t.Skip("chromium is not installed (apt-get install chromium): the dashboard's browser test needs it")
	}
	// Off unless asked for, and `wharf dashboard` says how to ask.
	if r := testEnv.run("wharf", "dashboard", "--no-open"); r.code == 0 || !strings.Contains(r.stderr, "the dashboard is off") {
		t.Fatalf("wharf dashboard against a daemon without one: %d %q %q", r.code, r.stdout, r.stderr)
	}
	e := privateDaemon(t, `{"dashboard": {"addr": "127.0.0.1:0"}}`)
	r := e.run("wharf", "dashboard", "--no-open")
	if r.code != 0 || !strings.Contains(r.stdout, "/#login=") {
		t.Fatalf("wharf dashboard: %d %s %s", r.code, r.stdout, r.stderr)
	}
	link := strings.TrimSpace(r.stdout)
	shots := screenshotDir(t)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox, // as root
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	defer cancelBrowser()

	// Start the browser on the test's context: one started under a step's
	// timeout would close with it.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting %s: %v", chromium, err)
	}
	b := &browser{t: t, ctx: bctx, shots: shots}
	name := fmt.Sprintf("dash-web-%d", os.Getpid())
	port := 20000 + rand.IntN(20000)
	t.Cleanup(func() { e.run("wharf", "rm", "-f", name) })

	// Log in: the link's token becomes a session, and the list shows.
	b.do("open the login link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`nav[aria-label="Main"]`)))
	b.waitText("h1", "Containers")
	b.shot("containers-empty")

	// Run a container from the busybox image with a published port.
	b.do("open images", b.view("images"), chromedp.WaitVisible(chromedp.CSS(`tr[data-image="busybox:latest"]`)))
	b.shot("images")
	b.do("fill the run form",
		chromedp.Click(chromedp.CSS(`tr[data-image="busybox:latest"] button`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`#run-name`)),
		chromedp.SendKeys(chromedp.CSS(`#run-name`), name),
		chromedp.SendKeys(chromedp.CSS(`#run-cmd`), `sh -c 'echo dashboard-says-hello; while true; do sleep 1; done'`),
		chromedp.SendKeys(chromedp.CSS(`#run-ports`), fmt.Sprintf("%d:80", port)),
	)
	b.waitText(`[data-testid="docker-run"]`, fmt.Sprintf("docker run -d --name %s -p %d:80 busybox:latest sh -c", name, port))
	b.shot("run-form")
	b.do("run", chromedp.Click(chromedp.CSS(`form[aria-label="Run a container"] button[type="submit"]`), chromedp.NodeVisible))
	b.waitText("h1", name)
	b.waitText("h1", "running")
	b.waitMatch(`[data-testid="usage"]`, `memory [1-9]`) // the stats stream has come
	b.shot("container-detail")
	if got := strings.TrimSpace(e.run("wharf", "inspect", "-f", "{{.State.Status}} {{(index (index .HostConfig.PortBindings \"80/tcp\") 0).HostPort}}", name).stdout); got != fmt.Sprintf("running %d", port) {
		t.Fatalf("wharf inspect after the dashboard's run: %q", got)
	}

	// The list shows it running, with its published port.
	row := fmt.Sprintf(`tr[data-name=%q]`, name)
	b.do("open the list", b.view("containers"), chromedp.WaitVisible(chromedp.CSS(row+`[data-state="running"]`)))
	b.waitText(row, fmt.Sprintf(":%d->80/tcp", port))
	b.shot("containers")
	b.do("a phone's width", chromedp.EmulateViewport(390, 844))
	b.shot("containers-phone")
	b.do("a laptop's width", chromedp.EmulateViewport(1280, 900))

	// Its logs.
	b.do("open logs", chromedp.Click(chromedp.CSS(row+` a[href^="#/containers/"]`), chromedp.NodeVisible), chromedp.WaitVisible(chromedp.CSS(`button[role="tab"]`)))
	b.clickTab("Logs")
	b.waitText(`pre.logs`, "dashboard-says-hello")
	b.shot("logs")

	// A command typed in its terminal, and the answer.
	b.clickTab("Terminal")
	b.waitText(`p[aria-live="polite"]`, "connected")
	b.waitText(`.xterm-rows`, "# ") // the shell's prompt: typed before it, keys echo twice
	b.do("type in the terminal", chromedp.Click(chromedp.CSS(`.xterm-screen`), chromedp.NodeVisible), chromedp.KeyEvent("echo $((6*7))-answer\r", asKeyboard))
	b.waitText(`.xterm-rows`, "42-answer")
	b.shot("terminal")

	// Stop it, then remove it (the second press confirms).
	b.clickTab("Overview")
	b.do("stop", chromedp.Click(`//div[@class="toolbar"]//button[text()="Stop"]`, chromedp.NodeVisible))
	b.waitText("h1", "exited")
	if got := strings.TrimSpace(e.run("wharf", "inspect", "-f", "{{.State.Status}}", name).stdout); got != "exited" {
		t.Fatalf("wharf inspect after the dashboard's stop: %q", got)
	}
	b.do("remove",
		chromedp.Click(`//div[@class="toolbar"]//button[normalize-space()="Remove"]`, chromedp.NodeVisible),
		chromedp.Click(`//div[@class="toolbar"]//button[normalize-space()="Remove?"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`table[aria-label="Containers"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(row)),
	)
	if r := e.run("wharf", "inspect", name); r.code == 0 {
		t.Fatalf("the container is still there after the dashboard removed it")
	}

	// A volume, created and removed.
	vol := fmt.Sprintf("dash-vol-%d", os.Getpid())
	t.Cleanup(func() { e.run("wharf", "volume", "rm", "-f", vol) })
	vrow := fmt.Sprintf(`tr[data-volume=%q]`, vol)
	b.do("create a volume",
		b.view("volumes"),
		chromedp.WaitVisible(chromedp.CSS(`input[aria-label="New volume name"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[aria-label="New volume name"]`), vol),
		chromedp.Click(`//button[text()="Create volume"]`),
		chromedp.WaitVisible(chromedp.CSS(vrow)),
	)
	b.shot("volumes")
	if r := e.run("wharf", "volume", "inspect", vol); r.code != 0 {
		t.Fatalf("wharf volume inspect after the dashboard's create: %s", r.stderr)
	}
	volumeFiles(t, e, b, vol)
	b.do("remove the volume",
		chromedp.Click(chromedp.CSS(vrow+` button`), chromedp.NodeVisible),
		chromedp.Click(chromedp.CSS(vrow+` button.armed`), chromedp.NodeVisible),
		chromedp.WaitNotPresent(chromedp.CSS(vrow)),
	)
	if r := e.run("wharf", "volume", "inspect", vol); r.code == 0 {
		t.Fatalf("the volume is still there after the dashboard removed it")
	}

	imageInspectAndLoad(t, e, b)
	imageBuildPushPrune(t, e, b)
	composeUpLogsDown(t, e, b)

	// The other views render, with what happened in the events feed.
	b.do("networks", b.view("networks"), chromedp.WaitVisible(chromedp.CSS(`tr[data-network="bridge"]`)))
	b.shot("networks")
	b.do("compose", b.view("compose"), chromedp.WaitVisible(chromedp.CSS(`h1`)))
	b.shot("compose")
	b.do("system", b.view("system"), chromedp.WaitVisible(chromedp.CSS(`table[aria-label="Disk usage"] tbody tr`)))
	b.shot("system")
	keyboardAndPhone(t, b)
	b.do("system", b.view("system"), chromedp.WaitVisible(chromedp.CSS(`table[aria-label="Disk usage"] tbody tr`)))
	b.do("dark mode", chromedp.Click(chromedp.CSS(`button[aria-label="Toggle dark mode"]`)), chromedp.WaitVisible(chromedp.CSS(`html[data-theme="dark"]`)))
	b.shot("system-dark")

	swarmView(t, e, b)
}

// volumeFiles browses a volume a container wrote into, downloads a file,
// and is refused a symlink leading out of the volume.
func volumeFiles(t *testing.T, e *env, b *browser, vol string) {
	t.Helper()
	if r := e.run("wharf", "run", "--rm", "-v", vol+":/data", "busybox", "sh", "-c",
		"mkdir /data/sub && echo volume-file-says-hi >/data/sub/hello.txt && ln -s /etc/hostname /data/out"); r.code != 0 {
		t.Fatalf("writing into the volume: %s", r.stderr)
	}
	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads}); err != nil {
		t.Fatalf("allowing downloads: %v", err)
	}
	b.do("open the volume's files",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`tr[data-volume=%q] a`, vol)), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-file="sub"]`)),
		chromedp.Click(chromedp.CSS(`tr[data-file="sub"] button`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-file="hello.txt"]`)),
	)
	b.shot("volume-files")
	b.do("download a file", chromedp.Click(chromedp.CSS(`tr[data-file="hello.txt"] button`), chromedp.NodeVisible))
	deadline := time.Now().Add(20 * time.Second)
	for {
		data, err := os.ReadFile(filepath.Join(downloads, "hello.txt"))
		if err == nil && string(data) == "volume-file-says-hi\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("downloaded hello.txt: %q %v", data, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A symlink out of the volume is listed, and refused.
	b.do("back to the volume's root",
		chromedp.Click(`//nav[@aria-label="Path in the volume"]//button[text()="/"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-file="out"]`)),
		chromedp.Click(chromedp.CSS(`tr[data-file="out"] button`), chromedp.NodeVisible),
	)
	b.waitText(`p[role="alert"]`, "path escapes from parent")
	if _, err := os.Stat(filepath.Join(downloads, "out")); err == nil {
		t.Fatal("a symlink leading out of the volume was downloaded")
	}
	b.do("back to volumes", b.view("volumes"), chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`tr[data-volume=%q]`, vol))))
}

// imageInspectAndLoad opens an image's inspect view, then loads an image
// from a `docker save` archive through the page.
func imageInspectAndLoad(t *testing.T, e *env, b *browser) {
	t.Helper()
	b.do("inspect an image", b.view("images"),
		chromedp.Click(chromedp.CSS(`tr[data-image="busybox:latest"] a[title="Inspect"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="inspect"]`)))
	b.waitText(`[data-testid="inspect"]`, "RepoTags")
	b.waitText(`[data-testid="inspect"]`, "busybox:latest")
	b.shot("image-inspect")

	ref := fmt.Sprintf("dash-load-%d:v1", os.Getpid())
	archive := filepath.Join(t.TempDir(), "image.tar")
	t.Cleanup(func() { e.run("wharf", "rmi", "-f", ref) })
	for _, args := range [][]string{{"tag", "busybox:latest", ref}, {"save", "-o", archive, ref}, {"rmi", ref}} {
		if r := e.run("wharf", args...); r.code != 0 {
			t.Fatalf("wharf %v: %s", args, r.stderr)
		}
	}
	b.do("load an image", b.view("images"),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-image="busybox:latest"]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`input[aria-label="Load an image archive"]`), []string{archive}))
	b.waitText(`[data-testid="load-output"]`, "Loaded image: "+ref)
	b.waitText(`table[aria-label="Images"]`, ref) // a second tag of busybox's image: listed in its row
	b.shot("image-loaded")
	if r := e.run("wharf", "image", "inspect", ref); r.code != 0 {
		t.Fatalf("wharf image inspect after the dashboard's load: %s", r.stderr)
	}
}

// composeUpLogsDown brings a compose project up from a pasted file, reads
// its logs, and takes it down, checking each step with the CLI.
func composeUpLogsDown(t *testing.T, e *env, b *browser) {
	t.Helper()
	project := fmt.Sprintf("dashc%d", os.Getpid())
	t.Cleanup(func() { e.run("wharf", "compose", "-p", project, "down", "-t", "1") })
	file := "services:\n" +
		"  web:\n    image: busybox:latest\n    stop_grace_period: 1s\n    command: sh -c 'echo compose-web-says-hi; exec sleep 100000'\n" +
		"  worker:\n    image: busybox:latest\n    stop_grace_period: 1s\n    command: sh -c 'echo compose-worker-here; exec sleep 100000'\n"
	card := fmt.Sprintf(`div[data-project=%q]`, project)
	b.do("compose up",
		b.view("compose"),
		chromedp.Click(`//summary[contains(., "Up a project")]`, chromedp.NodeVisible),
		chromedp.SendKeys(chromedp.CSS(`#compose-project`), project),
		chromedp.SendKeys(chromedp.CSS(`#compose-file`), file),
		chromedp.Click(chromedp.CSS(`form[aria-label="Compose up"] button[type="submit"]`), chromedp.NodeVisible),
	)
	b.waitMatchWithin(card, "2/2 running", 2*time.Minute) // compose's start and two containers, on a loaded machine
	b.waitText(`[data-testid="compose-output"]`, "Started")
	b.shot("compose-up")
	got := e.run("wharf", "ps", "--filter", "label=com.docker.compose.project="+project, "--format", "{{.Label \"com.docker.compose.service\"}} {{.State}}")
	if lines := strings.Fields(got.stdout); len(lines) != 4 || !strings.Contains(got.stdout, "web running") || !strings.Contains(got.stdout, "worker running") {
		t.Fatalf("wharf ps after the dashboard's compose up: %q %s", got.stdout, got.stderr)
	}
	// compose itself finds the project as it left it: nothing to do.
	if r := e.run("wharf", "compose", "-p", project, "ps", "-q"); r.code != 0 || len(strings.Fields(r.stdout)) != 2 {
		t.Fatalf("wharf compose ps: %d %q %s", r.code, r.stdout, r.stderr)
	}

	b.do("project logs", chromedp.Click(chromedp.CSS(card+` button[aria-expanded]`), chromedp.NodeVisible))
	b.waitText(`pre[aria-label="Project logs"]`, "compose-web-says-hi")
	b.waitText(`pre[aria-label="Project logs"]`, project+"-worker-1 | compose-worker-here")
	b.shot("compose-logs")

	b.do("compose down",
		chromedp.Click(chromedp.CSS(card+` button.danger`), chromedp.NodeVisible),
		chromedp.Click(chromedp.CSS(card+` button.danger.armed`), chromedp.NodeVisible),
		chromedp.WaitNotPresent(chromedp.CSS(card)))
	b.waitText(`[data-testid="compose-output"]`, "Removed")
	if r := e.run("wharf", "ps", "-a", "-q", "--filter", "label=com.docker.compose.project="+project); r.stdout != "" {
		t.Fatalf("containers left after the dashboard's compose down: %q", r.stdout)
	}
	if r := e.run("wharf", "network", "inspect", project+"_default"); r.code == 0 {
		t.Fatalf("the project's network is left after the dashboard's compose down")
	}
}

// swarmView: the swarm tab is hidden until the daemon is a swarm
// manager; then it shows a service's replicas and scales it.
func swarmView(t *testing.T, e *env, b *browser) {
	t.Helper()
	if shown, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`!!document.querySelector('nav a[href="#/swarm"]')`)); err != nil || shown {
		t.Fatalf("the swarm tab shows on a daemon that is not in a swarm (%v)", err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	if r := e.run("wharf", "swarm", "init", "--advertise-addr", addr, "--listen-addr", addr); r.code != 0 {
		t.Fatalf("swarm init: %s", r.stderr)
	}
	t.Cleanup(func() { e.run("wharf", "swarm", "leave", "--force") })
	if r := e.run("wharf", "service", "create", "-d", "--name", "dashsvc", "--replicas", "2", "--stop-grace-period", "1s", "busybox", "sleep", "100000"); r.code != 0 {
		t.Fatalf("service create: %s", r.stderr)
	}
	t.Cleanup(func() { e.run("wharf", "service", "rm", "dashsvc") })
	// The page shows what the manager knows: wait until it counts both
	// tasks running before loading it.
	waitFor(t, 60*time.Second, "dashsvc 2/2", func() bool {
		return strings.TrimSpace(e.run("wharf", "service", "ls", "--filter", "name=dashsvc", "--format", "{{.Replicas}}").stdout) == "2/2"
	})
	row := `tr[data-service="dashsvc"]`
	b.do("the swarm tab", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`nav a[href="#/swarm"]`)), b.view("swarm"), chromedp.WaitVisible(chromedp.CSS(row)))
	b.waitText(row+` [data-testid="replicas"]`, "2/2")
	b.do("tasks", chromedp.Click(chromedp.CSS(row+` button`), chromedp.NodeVisible), chromedp.WaitVisible(chromedp.CSS(`table[aria-label="Tasks of dashsvc"]`)))
	b.waitText(`table[aria-label="Tasks of dashsvc"]`, "running")
	b.shot("swarm")
	b.do("scale to 1",
		chromedp.SetValue(chromedp.CSS(`input[aria-label="Replicas of dashsvc"]`), ""),
		chromedp.SendKeys(chromedp.CSS(`input[aria-label="Replicas of dashsvc"]`), "1"),
		chromedp.Click(chromedp.CSS(row+` button[type="submit"]`), chromedp.NodeVisible))
	b.waitText(row+` [data-testid="replicas"]`, "1/1")
	if r := e.run("wharf", "service", "inspect", "-f", "{{.Spec.Mode.Replicated.Replicas}}", "dashsvc"); strings.TrimSpace(r.stdout) != "1" {
		t.Fatalf("replicas after the dashboard's scale: %q %s", r.stdout, r.stderr)
	}
}

// browser runs chromedp actions for a test, failing it with the step's name.
type browser struct {
	t     *testing.T
	ctx   context.Context
	shots string
}

func (b *browser) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.shot("failed-" + strings.ReplaceAll(step, " ", "-"))
		b.t.Fatalf("%s: %v (screenshots in %s)", step, err, b.shots)
	}
}

// waitText waits until the first element matching sel contains want.
func (b *browser) waitText(sel, want string) {
	b.t.Helper()
	b.waitMatch(sel, regexp.QuoteMeta(want))
}

// waitMatch waits until the first element matching sel matches re.
func (b *browser) waitMatch(sel, re string) {
	b.t.Helper()
	b.waitMatchWithin(sel, re, 30*time.Second)
}

func (b *browser) waitMatchWithin(sel, re string, d time.Duration) {
	b.t.Helper()
	rx := regexp.MustCompile(re)
	var got string
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeReady))
		cancel()
		if err == nil {
			got = text
		}
		if rx.MatchString(got) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.shot("failed-wait")
	b.t.Fatalf("%s: want /%s/, have %q (screenshots in %s)", sel, re, got, b.shots)
}

func (b *browser) clickTab(name string) {
	b.t.Helper()
	b.do("tab "+name, chromedp.Click(fmt.Sprintf(`//button[@role="tab"][text()=%q]`, name), chromedp.NodeVisible))
}

func (b *browser) shot(name string) {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	time.Sleep(150 * time.Millisecond) // let the last update paint
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
	}
}

// asKeyboard makes chromedp's key events those of a real keyboard (a
// raw key down, then the character): with chromedp's plain keyDown
// events, xterm.js takes each character twice, once from the key and
// once from the character.
func asKeyboard(p *input.DispatchKeyEventParams) {
	if p.Type == input.DispatchKeyEventTypeKeyDown {
		p.Type = input.DispatchKeyEventTypeRawKeyDown
	}
}

// view opens a view from the navigation bar, as a person would (and
// without a page load, which a fragment's change does not fire).
func (b *browser) view(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Click(chromedp.CSS(fmt.Sprintf(`nav a[href="#/%s"]`, name)), chromedp.NodeVisible)
}

// screenshotDir is $WHARF_IT_SCREENSHOTS, or a directory of its own that
// outlives the test (the screenshots are its output, for a person).
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("WHARF_IT_SCREENSHOTS")
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "wharf-dashboard-screenshots-"); err != nil {
			t.Fatal(err)
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("dashboard screenshots: %s", dir)
	return dir
}

func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}
