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

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// TestDashboard drives the web dashboard in Debian's headless Chromium as
// a person would: log in with `wharf dashboard`'s link, run a container
// from an image with a published port, see it running, read its logs,
// type in its terminal, stop and remove it, create and remove a volume;
// and checks each step with the wharf CLI, which must agree. Screenshots
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
	b.do("remove the volume",
		chromedp.Click(chromedp.CSS(vrow+` button`), chromedp.NodeVisible),
		chromedp.Click(chromedp.CSS(vrow+` button.armed`), chromedp.NodeVisible),
		chromedp.WaitNotPresent(chromedp.CSS(vrow)),
	)
	if r := e.run("wharf", "volume", "inspect", vol); r.code == 0 {
		t.Fatalf("the volume is still there after the dashboard removed it")
	}

	// The other views render, with what happened in the events feed.
	b.do("networks", b.view("networks"), chromedp.WaitVisible(chromedp.CSS(`tr[data-network="bridge"]`)))
	b.shot("networks")
	b.do("compose", b.view("compose"), chromedp.WaitVisible(chromedp.CSS(`h1`)))
	b.shot("compose")
	b.do("system", b.view("system"), chromedp.WaitVisible(chromedp.CSS(`table[aria-label="Disk usage"] tbody tr`)))
	b.shot("system")
	b.do("dark mode", chromedp.Click(chromedp.CSS(`button[aria-label="Toggle dark mode"]`)), chromedp.WaitVisible(chromedp.CSS(`html[data-theme="dark"]`)))
	b.shot("system-dark")
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
	rx := regexp.MustCompile(re)
	var got string
	deadline := time.Now().Add(30 * time.Second)
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
