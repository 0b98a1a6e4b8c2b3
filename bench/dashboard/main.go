// Command dashboard times the web dashboard in Debian's headless Chromium
// against a running wharfd (started with -dashboard):
//
//   - first load: a new browser profile (empty cache) opens a login link
//     and the container list is shown, in ms from the navigation's start
//     (the page's own clock), plus the DOMContentLoaded and load events;
//
//   - warm load: the same page reloaded with its assets cached;
//
//   - a burst: every listed container renamed at once through the API
//     (one event each), until the page shows every new name;
//
//   - the server's share of a first load: what the page fetches before it
//     shows the list (index.html, its script and styles, gzipped, the
//     login and the container list), fetched in turn by a Go client.
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

	"github.com/chromedp/chromedp"

	"github.com/wharf/wharf/internal/dashboard/control"
)

func main() {
	host := flag.String("host", "unix:///run/wharf/wharf.sock", "the daemon's API socket")
	runs := flag.Int("runs", 10, "counted runs of each figure (after one warm-up)")
	chromium := flag.String("chromium", "/usr/bin/chromium", "the browser")
	burst := flag.Bool("burst", true, "also time a burst of rename events")
	flag.Parse()
	sock := strings.TrimPrefix(*host, "unix://")
	api := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
		MaxIdleConnsPerHost: 200,
	}}
	rows := countContainers(api)

	var first, dcl, load, warm, applied []float64
	for i := 0; i <= *runs; i++ {
		f, d, l, w, b := once(*chromium, loginLink(api), api, *burst && i > 0)
		if i == 0 {
			continue // warm-up: the daemon's and the page cache's first touch
		}
		first, dcl, load, warm = append(first, f), append(dcl, d), append(load, l), append(warm, w)
		if *burst {
			applied = append(applied, b)
		}
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
	report("first load: list shown", first)
	report("first load: DOMContentLoaded", dcl)
	report("first load: load event", load)
	report("warm reload: list shown", warm)
	if *burst {
		report(fmt.Sprintf("burst of %d renames: all shown", rows), applied)
	}
}

// once opens the dashboard in a new profile and returns its figures.
func once(chromium, link string, api *http.Client, burst bool) (first, dcl, load, warm, applied float64) {
	dir, err := os.MkdirTemp("", "wharf-bench-chromium-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(dir), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	// An empty tab first, so the browser's own start is not counted.
	must(chromedp.Do(bctx, chromedp.Navigate("about:blank")))

	must(chromedp.Do(bctx, chromedp.Navigate(link)))
	first = listShown(bctx)
	timing, err := chromedp.Run(bctx, chromedp.Evaluate[[]float64](
		`(() => { const n = performance.getEntriesByType('navigation')[0]; return [n.domContentLoadedEventEnd, n.loadEventEnd]; })()`))
	must(err)
	dcl, load = timing[0], timing[1]

	must(chromedp.Do(bctx, chromedp.Reload()))
	warm = listShown(bctx)

	if burst {
		applied = renameAll(bctx, api)
	}
	return
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
	ms, err := chromedp.Run(ctx, chromedp.Poll[float64](
		`document.querySelector('table[aria-label="Containers"] tr[data-name]') ? performance.now() : null`,
		chromedp.WithPollingInterval(time.Millisecond), chromedp.WithPollingTimeout(30*time.Second)))
	must(err)
	return ms
}

// renameAll renames every container at once (a burst of rename events)
// and returns the ms until the page shows every new name.
func renameAll(ctx context.Context, api *http.Client) float64 {
	ids := containerIDs(api)
	suffix := fmt.Sprintf("-r%d", time.Now().UnixNano()%1e6)
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
		fmt.Sprintf(`document.querySelectorAll('table[aria-label="Containers"] tr[data-name$="%s"]').length === %d ? performance.now() : null`, suffix, len(ids)),
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
		log.Fatal(err)
	}
}
