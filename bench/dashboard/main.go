// Command dashboard times the web dashboard in Debian's headless Chromium
// against a running wharfd (started with -dashboard):
//
//   - first load: a new browser profile (empty cache) opens a login link
//     and the container list is shown, in ms from the navigation's start
//     (the page's own clock), plus the DOMContentLoaded and load events;
//
//   - warm load: the same page reloaded with its assets cached;
//
//   - a render: from a click on Containers (from another view) until
//     the list's rows are shown;
//
//   - a burst: the first -burst containers renamed at once through the
//     API (one event each), until the page, searching for the new names'
//     suffix, lists every one of them (the list is windowed past 150
//     rows, so the count is the table's data-rows, not its rows);
//
//   - the server's share of a first load: what the page fetches before it
//     shows the list (index.html, its script and styles, gzipped, the
//     login and the container list), fetched in turn by a Go client;
//
//   - the browser's own share: a new profile opening a plain text page of
//     the same server (a 404) until its load event, which is what any
//     page pays for a new renderer process before its first byte of
//     script runs;
//
//   - where the renderer's main thread spent a first load, from Chromium's
//     Performance metrics at the moment the list shows (script, layout,
//     style, all tasks).
//
// -trace FILE writes a Chromium trace of one more first load (open it in
// Chromium's DevTools Performance panel or ui.perfetto.dev): that is how
// the first load's time was found to go to the renderer's start, the
// script and, in the first layouts, synchronous font look-ups.
//
// The browser's figures include its own work (a renderer process for the
// new site, parsing and running the script), which the machine's load
// slows: read them beside the load average printed with them.
//
//	go run ./bench/dashboard -host unix:///run/wharf/wharf.sock -runs 10
//
// It prints the median with min and max of each figure.
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"

	"github.com/wharf/wharf/internal/dashboard/control"
)

func main() {
	host := flag.String("host", "unix:///run/wharf/wharf.sock", "the daemon's API socket")
	runs := flag.Int("runs", 10, "counted runs of each figure (after one warm-up)")
	chromium := flag.String("chromium", "/usr/bin/chromium", "the browser")
	burst := flag.Int("burst", 100, "containers renamed at once in the burst (0: no burst)")
	traceFile := flag.String("trace", "", "write a Chromium trace of one more first load to this file")
	flag.Parse()
	log.SetFlags(log.Lshortfile)
	sock := strings.TrimPrefix(*host, "unix://")
	api := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
		MaxIdleConnsPerHost: 200,
	}}
	rows := countContainers(api)

	if *burst > rows {
		*burst = rows
	}
	var first, dcl, load, warm, render, applied, blank, blankCPU []float64
	metrics := map[string][]float64{}
	for i := 0; i <= *runs; i++ {
		n := *burst
		if i == 0 {
			n = 0
		}
		f, d, l, w, r, b, m := once(*chromium, loginLink(api), api, n)
		bl, blCPU := blankPage(*chromium, strings.Split(loginLink(api), "/#")[0]+"/assets/none")
		if i == 0 {
			continue // warm-up: the daemon's and the page cache's first touch
		}
		first, dcl, load, warm, render = append(first, f), append(dcl, d), append(load, l), append(warm, w), append(render, r)
		blank, blankCPU = append(blank, bl), append(blankCPU, blCPU)
		for k, v := range m {
			metrics[k] = append(metrics[k], v)
		}
		if n > 0 {
			applied = append(applied, b)
		}
	}
	if *traceFile != "" {
		traceFirstLoad(*chromium, loginLink(api), *traceFile)
	}
	var server []float64
	for i := 0; i <= *runs*5; i++ {
		if ms := serverShare(api, loginLink(api)); i > 0 {
			server = append(server, ms)
		}
	}
	loadavg, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("dashboard, %d containers listed, %d runs (median [min–max] ms), load average %s\n", rows, *runs, strings.Join(strings.Fields(string(loadavg))[:3], " "))
	report("server's share of a first load", server)
	report("browser's own: a text page shown", blank)
	report("  its main thread's CPU time", blankCPU)
	report("first load: list shown", first)
	for _, k := range metricNames {
		report("  main thread: "+k, metrics[k])
	}
	report("first load: DOMContentLoaded", dcl)
	report("first load: load event", load)
	report("warm reload: list shown", warm)
	report("render: view switch to list shown", render)
	if *burst > 0 {
		report(fmt.Sprintf("burst of %d renames: all shown", *burst), applied)
	}
}

// metricNames are the Performance metrics reported (seconds, turned to
// ms); ThreadTime is the main thread's CPU time, the figure least moved by
// the machine's load.
var metricNames = []string{"ScriptDuration", "LayoutDuration", "RecalcStyleDuration", "TaskDuration", "ThreadTime"}

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
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
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

// once opens the dashboard in a new profile and returns its figures.
func once(chromium, link string, api *http.Client, burst int) (first, dcl, load, warm, render, applied float64, metrics map[string]float64) {
	bctx, stop := newBrowser(chromium)
	defer stop()
	_, err := chromedp.Call(bctx, performance.Enable, performance.EnableParams{})
	must(err)

	must(chromedp.Do(bctx, chromedp.Navigate(link)))
	first = listShown(bctx)
	res, err := chromedp.Call(bctx, performance.GetMetrics, cdp.Empty{})
	must(err)
	metrics = map[string]float64{}
	for _, m := range res.Metrics {
		metrics[m.Name] = m.Value * 1000
	}
	timing, err := chromedp.Run(bctx, chromedp.Evaluate[[]float64](
		`(() => { const n = performance.getEntriesByType('navigation')[0]; return [n.domContentLoadedEventEnd, n.loadEventEnd]; })()`))
	must(err)
	dcl, load = timing[0], timing[1]

	must(chromedp.Do(bctx, chromedp.Reload()))
	warm = listShown(bctx)

	render = viewSwitch(bctx)
	if burst > 0 {
		applied = rename(bctx, api, burst)
	}
	return
}

// blankPage opens url, a plain page of the dashboard's server, in a new
// profile and returns the ms until its load event and the CPU time its
// renderer's main thread spent.
func blankPage(chromium, url string) (ms, cpu float64) {
	bctx, stop := newBrowser(chromium)
	defer stop()
	_, err := chromedp.Call(bctx, performance.Enable, performance.EnableParams{})
	must(err)
	// Navigate returns after the load event.
	must(chromedp.Do(bctx, chromedp.Navigate(url)))
	ms, err = chromedp.Run(bctx, chromedp.Evaluate[float64](`performance.getEntriesByType('navigation')[0].loadEventEnd`))
	must(err)
	res, err := chromedp.Call(bctx, performance.GetMetrics, cdp.Empty{})
	must(err)
	for _, m := range res.Metrics {
		if m.Name == "ThreadTime" {
			cpu = m.Value * 1000
		}
	}
	return ms, cpu
}

// traceFirstLoad records a Chromium trace of a first load until the list
// shows, for DevTools' Performance panel.
func traceFirstLoad(chromium, link, file string) {
	bctx, stop := newBrowser(chromium)
	defer stop()
	var mu sync.Mutex
	var events []string
	done := make(chan struct{})
	must(chromedp.ListenBrowser(bctx, func(ev any) {
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
	categories := []string{"devtools.timeline", "disabled-by-default-devtools.timeline", "v8.execute", "blink", "blink.user_timing", "loading", "toplevel", "fonts"}
	_, err := chromedp.CallBrowser(bctx, tracing.Start, tracing.StartParams{TraceConfig: &tracing.TraceConfig{IncludedCategories: categories}})
	must(err)
	must(chromedp.Do(bctx, chromedp.Navigate(link)))
	listShown(bctx)
	_, err = chromedp.CallBrowser(bctx, tracing.End, cdp.Empty{})
	must(err)
	<-done
	mu.Lock()
	defer mu.Unlock()
	must(os.WriteFile(file, []byte(`{"traceEvents":[`+strings.Join(events, ",")+`]}`), 0o644))
	fmt.Fprintf(os.Stderr, "trace of a first load: %s\n", file)
}

// serverShare fetches what a first load fetches before the list shows,
// from a new connection, and returns the ms it took.
func serverShare(api *http.Client, link string) float64 {
	base, token, _ := strings.Cut(link, "/#login=")
	web := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableCompression: true}}
	defer web.CloseIdleConnections()
	start := time.Now()
	get := func(method, path, body, session string) []byte {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Accept-Encoding", "gzip")
		if session != "" {
			req.Header.Set("Authorization", "Bearer "+session)
		}
		resp, err := web.Do(req)
		must(err)
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		must(err)
		if resp.StatusCode != http.StatusOK {
			log.Fatalf("%s %s: %s", method, path, resp.Status)
		}
		return data
	}
	index := get(http.MethodGet, "/", "", "")
	if bytes.HasPrefix(index, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(index))
		must(err)
		index, err = io.ReadAll(zr)
		must(err)
	}
	for _, m := range regexp.MustCompile(`/assets/[^"]+`).FindAll(index, -1) {
		get(http.MethodGet, string(m), "", "")
	}
	var s struct{ Session string }
	must(json.Unmarshal(get(http.MethodPost, "/login", `{"Login":"`+token+`"}`, ""), &s))
	get(http.MethodGet, "/api/containers/json?all=1", "", s.Session)
	return float64(time.Since(start).Microseconds()) / 1000
}

// listShown waits for the container list's rows and returns when they
// appeared, in ms since the navigation started (performance.now()).
func listShown(ctx context.Context) float64 {
	for try := 0; ; try++ {
		ms, err := chromedp.Run(ctx, chromedp.Poll[float64](
			`document.querySelector('table[aria-label="Containers"] tr[data-name]') ? performance.now() : null`,
			chromedp.WithPollingInterval(time.Millisecond), chromedp.WithPollingTimeout(30*time.Second)))
		// A poll begun as the page's document was replaced finds its
		// context gone: poll the new one.
		if err != nil && strings.Contains(err.Error(), "Cannot find context") && try < 3 {
			continue
		}
		must(err)
		return ms
	}
}

// viewSwitch opens the images view, then the containers view, and
// returns the ms from the click on Containers until its rows show.
func viewSwitch(ctx context.Context) float64 {
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
	fmt.Printf("  %-34s %8.1f  [%.1f–%.1f]\n", name, ms[len(ms)/2], ms[0], ms[len(ms)-1])
}

func must(err error) {
	if err != nil {
		log.Output(2, err.Error())
		os.Exit(1)
	}
}
