// Command dashboard times the web dashboard in Debian's headless Chromium
// against running wharfds (started with -dashboard), each -host in turn
// within every round, so builds compare on the same machine load.
//
// A first load is timed two ways, both with an empty cache and empty
// storage, from a `wharf dashboard` login link:
//
//   - cold visit: a browser that is already running opens the link in a
//     new browser context (as a new incognito window: no cached assets,
//     no localStorage). This is what a user opening the URL does.
//
//   - new profile: a browser started with a new profile opens the link
//     (its first tab is already open, so the browser's start is not
//     counted, but the first renderer for any site is).
//
// Each reports, in ms from the navigation's start (the page's clock): the
// container list in the DOM (a MutationObserver installed before the
// page's own scripts sees its first row), the list painted (the next
// frame after it: the first load's time), when the app took over the
// list index.html's boot script drew (live: until then it is inert), first contentful paint and DOMContentLoaded (Paint
// and Navigation Timing), and the renderer's main-thread CPU time until
// the list was painted (Performance metrics, with the page's idle-time
// work held back until read; the figure the machine's load moves least). A plain page of the same server (a 404) opened the same
// way is the browser's own floor. Then, in the same tab, each once the
// page has settled (the other views' code, loaded when the browser is
// first idle, compiled):
//
//   - warm reload: the page reloaded with its assets cached;
//   - render: a click on Containers (from another view) until its rows show;
//   - a burst: the first -burst containers renamed at once through the
//     API (one event each), until the page, searching for the new names'
//     suffix, lists every one (data-rows counts the windowed list's rows).
//
// -trace FILE writes a Chromium trace of one more cold visit, of the last
// -host (open it in DevTools' Performance panel or ui.perfetto.dev), and
// the last cold visit's requests are printed as a waterfall (Resource
// Timing): that is how the first load's time is found.
//
//	go run ./bench/dashboard -host unix:///run/wharf/wharf.sock -runs 10
//
// It prints the median with min and max of each figure.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"

	"github.com/wharf/wharf/internal/dashboard/control"
)

// hosts is -host, repeatable: [name=]unix:///path/to/wharf.sock.
type hosts []string

func (h *hosts) String() string     { return strings.Join(*h, ",") }
func (h *hosts) Set(v string) error { *h = append(*h, v); return nil }

// daemon is one wharfd under test.
type daemon struct {
	name string
	api  *http.Client
	figs figures
}

// figures are each named figure's samples, in the order first recorded.
type figures struct {
	names []string
	ms    map[string][]float64
}

func (f *figures) add(name string, v float64) {
	if f.ms == nil {
		f.ms = map[string][]float64{}
	}
	if _, ok := f.ms[name]; !ok {
		f.names = append(f.names, name)
	}
	f.ms[name] = append(f.ms[name], v)
}

func main() {
	var hostFlags hosts
	flag.Var(&hostFlags, "host", "a daemon's API socket, [name=]unix:///path (repeat to compare builds)")
	runs := flag.Int("runs", 10, "counted runs of each figure (after one warm-up)")
	chromium := flag.String("chromium", "/usr/bin/chromium", "the browser")
	burst := flag.Int("burst", 100, "containers renamed at once in the burst (0: no burst)")
	traceFile := flag.String("trace", "", "write a Chromium trace of one more cold visit (of the last -host) to this file")
	flag.Parse()
	log.SetFlags(log.Lshortfile)
	defer func() {
		if fail, ok := recover().(failure); ok {
			log.Fatal(fail.err)
		}
	}()
	if len(hostFlags) == 0 {
		hostFlags = hosts{"unix:///run/wharf/wharf.sock"}
	}
	var daemons []*daemon
	for _, h := range hostFlags {
		name, addr, ok := strings.Cut(h, "=")
		if !ok {
			name, addr = "wharfd", h
		}
		daemons = append(daemons, &daemon{name: name, api: apiClient(strings.TrimPrefix(addr, "unix://"))})
	}
	rows := countContainers(daemons[0].api)
	*burst = min(*burst, rows)

	// The running browser of the cold visits: one for the whole bench.
	running, stopRunning := newBrowser(*chromium)
	defer stopRunning()
	var waterfall string
	for i := 0; i <= *runs; i++ {
		for _, d := range daemons {
			f := &d.figs
			link := func() string { return loginLink(d.api) }
			if i == 0 {
				f = &figures{} // warm-up: the daemon's, the browser's and the page cache's first touch
			}
			// A cold visit, then the browser's floor the same way.
			attempt(f, func(f *figures) {
				ctx, cancel := chromedp.NewContext(running, chromedp.WithNewBrowserContext())
				defer cancel()
				waterfall = firstLoad(ctx, f, "cold visit", link, true)
			})
			attempt(f, func(f *figures) {
				ctx, cancel := chromedp.NewContext(running, chromedp.WithNewBrowserContext())
				defer cancel()
				plainPage(ctx, f, "cold visit", link)
			})

			// A new profile, then its floor, then the rest in its tab.
			attempt(f, func(f *figures) {
				bctx, stop := newBrowser(*chromium)
				defer stop()
				firstLoad(bctx, f, "new profile", link, false)
				f.add("render: view switch to list shown", viewSwitch(bctx))
				if n := *burst; n > 0 && i > 0 {
					f.add(fmt.Sprintf("burst of %d renames: all shown", n), rename(bctx, d.api, n))
				}
			})
			attempt(f, func(f *figures) {
				bctx, stop := newBrowser(*chromium)
				defer stop()
				plainPage(bctx, f, "new profile", link)
			})
		}
	}
	if *traceFile != "" {
		ctx, cancel := chromedp.NewContext(running, chromedp.WithNewBrowserContext())
		traceFirstLoad(ctx, func() string { return loginLink(daemons[len(daemons)-1].api) }, *traceFile)
		cancel()
	}
	loadavg, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("dashboard, %d containers listed, %d runs (median [min–max] ms), load average %s\n", rows, *runs, strings.Join(strings.Fields(string(loadavg))[:3], " "))
	for _, d := range daemons {
		if len(daemons) > 1 {
			fmt.Printf(" %s:\n", d.name)
		}
		for _, name := range d.figs.names {
			report(name, d.figs.ms[name])
		}
	}
	fmt.Printf("requests of the last cold visit (%s; ms from the navigation's start):\n%s", daemons[len(daemons)-1].name, waterfall)
}

// listWatch runs in every document before the page's own scripts: it
// records when the container list's first row is in the DOM, and the
// next frame after (the list painted), without polling the page. It
// holds back the page's idle-time work (requestIdleCallback: the other
// views' code, loaded after the list) until the bench has read the main
// thread's CPU time, so that figure is the list's.
const listWatch = `window.__wharfList = new Promise((done) => {
  const seen = () => {
    if (!document.querySelector('table[aria-label="Containers"] tr[data-name]')) return false;
    const inDOM = performance.now();
    performance.mark('wharf: list in DOM'); // for traces
    requestAnimationFrame(() => {
      const c = new MessageChannel();
      c.port1.onmessage = () => done([inDOM, performance.now()]);
      c.port2.postMessage(0);
    });
    return true;
  };
  const watch = new MutationObserver(() => seen() && watch.disconnect());
  watch.observe(document, { childList: true, subtree: true });
});
(() => {
  const idle = window.requestIdleCallback, held = [];
  window.requestIdleCallback = (f, o) => (held.push([f, o]), 0);
  window.__wharfRelease = () => {
    window.requestIdleCallback = idle;
    held.forEach(([f, o]) => idle(f, o));
  };
})();`

// paintTimes reads, once the list has shown, first contentful paint and
// DOMContentLoaded (Paint and Navigation Timing), and lets the page's
// idle-time work go.
const paintTimes = `new Promise((done) => {
  const nav = performance.getEntriesByType('navigation')[0];
  const fcp = () => performance.getEntriesByName('first-contentful-paint')[0];
  const give = () => (window.__wharfRelease(), done([fcp() ? fcp().startTime : -1, nav.domContentLoadedEventEnd]));
  // The paint entry is queued after the frame is presented: wait for it.
  if (fcp()) return give();
  new PerformanceObserver(() => fcp() && give()).observe({ type: 'paint' });
  setTimeout(give, 2000);
})`

// appMounted is when the app mounted (src/main.ts marks it): until
// then the list index.html's boot script drew is inert. -1 for a build
// without the mark.
const appMounted = `new Promise((done) => {
  const m = () => performance.getEntriesByName('wharf: app mounted')[0];
  if (m()) return done(m().startTime);
  new PerformanceObserver(() => m() && done(m().startTime)).observe({ type: 'mark' });
  setTimeout(() => done(-1), 3000);
})`

// listTimes waits (a minute at most) for the list: in DOM, painted.
func listTimes(ctx context.Context) []float64 {
	wait, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	t, err := chromedp.Run(wait, chromedp.Evaluate[[]float64](`window.__wharfList`, chromedp.EvalAwaitPromise))
	must(err)
	return t
}

// firstLoad opens link in ctx's new tab, records its figures under kind,
// reloads it warm (if warm), and returns the load's requests as a table.
func firstLoad(ctx context.Context, f *figures, kind string, link func() string, warm bool) string {
	_, err := chromedp.Call(ctx, performance.Enable, performance.EnableParams{})
	must(err)
	_, err = chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: listWatch})
	must(err)
	navigate(ctx, link)
	t := listTimes(ctx)
	cpu := threadTime(ctx)
	p, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](paintTimes, chromedp.EvalAwaitPromise))
	must(err)
	live, err := chromedp.Run(ctx, chromedp.Evaluate[float64](appMounted, chromedp.EvalAwaitPromise))
	must(err)
	f.add(kind+": list in DOM", t[0])
	f.add(kind+": list painted", t[1])
	if live >= 0 {
		f.add(kind+": app live (took over the list)", live)
	}
	f.add(kind+": first contentful paint", p[0])
	f.add(kind+": DOMContentLoaded", p[1])
	f.add(kind+": main thread CPU until painted", cpu)
	table := waterfall(ctx)
	if warm {
		settle(ctx)
		must(chromedp.Do(ctx, chromedp.Reload()))
		f.add(kind+": warm reload, list in DOM", listTimes(ctx)[0])
		_, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](paintTimes, chromedp.EvalAwaitPromise))
		must(err)
	}
	return table
}

// plainPage opens the dashboard server's 404 page, text only, in ctx's
// new tab: the browser's own share of any first load.
func plainPage(ctx context.Context, f *figures, kind string, link func() string) {
	url := strings.Split(link(), "/#")[0] + "/assets/none"
	_, err := chromedp.Call(ctx, performance.Enable, performance.EnableParams{})
	must(err)
	navigate(ctx, func() string { return url }) // returns after the load event
	ms, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`performance.getEntriesByType('navigation')[0].loadEventEnd`))
	must(err)
	f.add(kind+": browser's own, a text page", ms)
	f.add(kind+": browser's own, main thread CPU", threadTime(ctx))
}

// navigate opens link() and returns after its load event.
func navigate(ctx context.Context, link func() string) {
	must(chromedp.Do(ctx, chromedp.Navigate(link())))
}

func threadTime(ctx context.Context) float64 {
	res, err := chromedp.Call(ctx, performance.GetMetrics, cdp.Empty{})
	must(err)
	for _, m := range res.Metrics {
		if m.Name == "ThreadTime" {
			return m.Value * 1000
		}
	}
	return -1
}

// waterfall lists the navigation's and each resource's start, first byte
// and end, and the document's parse milestones.
func waterfall(ctx context.Context) string {
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[][]any](`[
	  ...performance.getEntriesByType('navigation').map((n) => [n.name.replace(/#.*/, ''), n.startTime, n.responseStart, n.responseEnd, n.transferSize]),
	  ...performance.getEntriesByType('resource').map((r) => [r.name, r.startTime, r.responseStart, r.responseEnd, r.transferSize]),
	  ...performance.getEntriesByType('navigation').map((n) => ['(domInteractive, DOMContentLoaded end)', n.domInteractive, n.domContentLoadedEventEnd, n.domContentLoadedEventEnd, 0]),
	]`))
	must(err)
	var b strings.Builder
	fmt.Fprintf(&b, "  %-58s %8s %8s %8s %8s\n", "", "start", "1st byte", "end", "bytes")
	for _, r := range rows {
		name := fmt.Sprint(r[0])
		if i := strings.Index(name, "//"); i >= 0 {
			if j := strings.Index(name[i+2:], "/"); j >= 0 {
				name = name[i+2+j:]
			}
		}
		fmt.Fprintf(&b, "  %-58.58s %8.1f %8.1f %8.1f %8.0f\n", name, r[1], r[2], r[3], r[4])
	}
	return b.String()
}

// newBrowser starts Chromium with a new profile and an empty tab (so the
// browser's own start is not counted); stop ends it and removes the profile.
func newBrowser(chromium string) (ctx context.Context, stop func()) {
	dir, err := os.MkdirTemp("", "wharf-bench-chromium-")
	if err != nil {
		log.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(dir), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	must(chromedp.Do(bctx, chromedp.Navigate("about:blank")))
	return bctx, func() {
		cancelBrowser()
		cancelAlloc()
		cancel()
		os.RemoveAll(dir)
	}
}

// traceFirstLoad records a Chromium trace of a first load in ctx's new
// tab until the list shows, for DevTools' Performance panel.
func traceFirstLoad(ctx context.Context, link func() string, file string) {
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: listWatch})
	must(err)
	var mu sync.Mutex
	var events []string
	done := make(chan struct{})
	must(chromedp.ListenBrowser(ctx, func(ev any) {
		switch e := ev.(type) {
		case *tracing.EventDataCollected:
			mu.Lock()
			for _, v := range e.Value {
				events = append(events, string(v))
			}
			mu.Unlock()
		case *tracing.EventTracingComplete:
			close(done)
		}
	}))
	categories := []string{"devtools.timeline", "disabled-by-default-devtools.timeline", "v8.execute", "blink", "blink.user_timing", "loading", "toplevel", "fonts", "netlog", "navigation", "disabled-by-default-v8.cpu_profiler"}
	_, err = chromedp.CallBrowser(ctx, tracing.Start, tracing.StartParams{TraceConfig: &tracing.TraceConfig{IncludedCategories: categories}})
	must(err)
	navigate(ctx, link)
	_, err = chromedp.Run(ctx, chromedp.Evaluate[[]float64](`window.__wharfList`, chromedp.EvalAwaitPromise))
	must(err)
	_, err = chromedp.CallBrowser(ctx, tracing.End, cdp.Empty{})
	must(err)
	<-done
	mu.Lock()
	defer mu.Unlock()
	must(os.WriteFile(file, []byte(`{"traceEvents":[`+strings.Join(events, ",")+`]}`), 0o644))
	fmt.Fprintf(os.Stderr, "trace of a cold visit: %s\n", file)
}

// settle waits (5 s at most) until the page has been idle for three
// whole idle periods: the other views' code, loaded when the browser is
// first idle after the list, is compiled by then, so what is timed next
// (a reload, a view switch, a burst) is not timed against it.
func settle(ctx context.Context) {
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise((done) => {
	  let quiet = 0;
	  const check = (d) => ((quiet = d.timeRemaining() >= 45 ? quiet + 1 : 0) >= 3 ? done(true) : requestIdleCallback(check));
	  requestIdleCallback(check);
	  setTimeout(() => done(false), 5000);
	})`, chromedp.EvalAwaitPromise))
	must(err)
}

// viewSwitch opens the images view, then the containers view, and
// returns the ms from the click on Containers until its rows show.
func viewSwitch(ctx context.Context) float64 {
	settle(ctx)
	must(chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`nav a[href="#/images"]`)), chromedp.WaitVisible(chromedp.CSS(`table[aria-label="Images"]`))))
	ms, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`new Promise((done) => {
		const start = performance.now();
		document.querySelector('nav a[href="#/containers"]').click();
		const poll = () => document.querySelector('table[aria-label="Containers"] tr[data-name]') ? done(performance.now() - start) : requestAnimationFrame(poll);
		poll();
	})`, chromedp.EvalAsValue, chromedp.EvalAwaitPromise))
	must(err)
	return ms
}

// rename renames the first n containers at once (a burst of rename
// events) and returns the ms until the page lists every new name.
func rename(ctx context.Context, api *http.Client, n int) float64 {
	settle(ctx)
	ids := containerIDs(api)[:n]
	suffix := fmt.Sprintf("-r%d", time.Now().UnixNano()%1e6)
	must(chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`input[aria-label="Search containers"]`), suffix),
		chromedp.WaitVisible(chromedp.CSS(`table[aria-label="Containers"][data-rows="0"]`))))
	start, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`performance.now()`))
	must(err)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := api.Post(fmt.Sprintf("http://wharfd/containers/%s/rename?name=bench%d%s", id, i, suffix), "", nil)
			if err != nil {
				log.Fatal(err)
			}
			resp.Body.Close()
		}()
	}
	wg.Wait()
	done, err := chromedp.Run(ctx, chromedp.Poll[float64](
		fmt.Sprintf(`document.querySelector('table[aria-label="Containers"][data-rows="%d"]') ? performance.now() : null`, len(ids)),
		chromedp.WithPollingInterval(time.Millisecond), chromedp.WithPollingTimeout(60*time.Second)))
	must(err)
	return done - start
}

func apiClient(sock string) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
		MaxIdleConnsPerHost: 200,
	}}
}

func loginLink(api *http.Client) string {
	resp, err := api.Post("http://wharfd"+control.Path, "", nil)
	must(err)
	defer resp.Body.Close()
	var link control.LoginLink
	if err := json.NewDecoder(resp.Body).Decode(&link); err != nil || link.URL == "" {
		log.Fatalf("no login link (is wharfd running with -dashboard?): %s %v", resp.Status, err)
	}
	return link.URL
}

func containerIDs(api *http.Client) []string {
	resp, err := api.Get("http://wharfd/containers/json?all=1")
	must(err)
	defer resp.Body.Close()
	var cs []struct {
		ID string `json:"Id"`
	}
	must(json.NewDecoder(resp.Body).Decode(&cs))
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

func countContainers(api *http.Client) int {
	n := len(containerIDs(api))
	if n == 0 {
		log.Fatal("no containers: the list would never show a row")
	}
	return n
}

func report(name string, ms []float64) {
	sort.Float64s(ms)
	fmt.Printf("  %-44s %8.1f  [%.1f–%.1f]\n", name, ms[len(ms)/2], ms[0], ms[len(ms)-1])
}

// failure is what must panics with: attempt retries it, main reports it.
type failure struct{ err error }

func must(err error) {
	if err != nil {
		panic(failure{err})
	}
}

// attempt runs one measurement into a scratch set of figures and keeps
// them if it succeeds. Other helpers' bridges coming and going abort a
// browser's loads (net::ERR_NETWORK_CHANGED): a measurement that fails
// so, or times out, runs again from the start (a new browser context or
// profile, so still cold), up to five times.
func attempt(into *figures, measure func(f *figures)) {
	for try := 1; ; try++ {
		var f figures
		err := func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					fail, ok := r.(failure)
					if !ok {
						panic(r)
					}
					err = fail.err
				}
			}()
			measure(&f)
			return nil
		}()
		if err == nil {
			for _, name := range f.names {
				for _, v := range f.ms[name] {
					into.add(name, v)
				}
			}
			return
		}
		if try == 5 || !strings.Contains(err.Error(), "ERR_NETWORK_CHANGED") && !errors.Is(err, context.DeadlineExceeded) {
			log.Fatal(err)
		}
		log.Printf("measuring again: %v", err)
	}
}
