package dashboard

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wharf/wharf/internal/config"
	"github.com/wharf/wharf/internal/dashboard/control"
)

// fakeAPI records what reaches the Engine API, and serves an exec start
// that takes over its connection (as the real one does) and echoes
// what it reads in upper case.
type fakeAPI struct {
	got   chan *http.Request
	mount string // every volume's Mountpoint
	list  string // GET /containers/json?all=1's answer, if set
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if name, ok := strings.CutPrefix(r.URL.Path, "/volumes/"); ok && r.Method == http.MethodGet {
		w.Header().Set("Content-Type", "application/json")
		if name == "missing" {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"get missing: no such volume"}`)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"Name": name, "Mountpoint": f.mount})
		return
	}
	if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/exec/") && strings.HasSuffix(r.URL.Path, "/start") {
		if strings.Contains(r.URL.Path, "/missing/") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"No such exec instance: missing"}`)
			return
		}
		conn, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		rw.WriteString("HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n$ ")
		rw.Flush()
		line, _ := rw.ReadString('\n')
		conn.Write([]byte(strings.ToUpper(line)))
		return
	}
	if r.URL.Path == "/containers/json" && r.URL.Query().Get("all") == "1" && f.list != "" {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, f.list)
		return
	}
	if r.URL.Path == "/build" {
		serveBuild(w, r)
		return
	}
	select {
	case f.got <- r.Clone(context.Background()):
	default:
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"ok":true}`)
}

func start(t *testing.T) (*Server, *fakeAPI) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	api := &fakeAPI{got: make(chan *http.Request, 8), mount: t.TempDir()}
	s, err := Start(ctx, config.Dashboard{Addr: "127.0.0.1:0"}, api, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return s, api
}

// login gets a link from the socket's control route and trades it for a session.
func login(t *testing.T, s *Server) string {
	t.Helper()
	rec := httptest.NewRecorder()
	s.Control(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, control.Path, nil))
	var link control.LoginLink
	if err := json.Unmarshal(rec.Body.Bytes(), &link); err != nil || !strings.HasPrefix(link.URL, s.URL()+"/#login=") {
		t.Fatalf("control: %d %s", rec.Code, rec.Body)
	}
	token := strings.TrimPrefix(link.URL, s.URL()+"/#login=")
	resp := do(t, s, http.MethodPost, "/login", `{"Login":"`+token+`"}`, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %s", resp.Status)
	}
	var out struct{ Session string }
	json.NewDecoder(resp.Body).Decode(&out)
	// A link works once.
	if again := do(t, s, http.MethodPost, "/login", `{"Login":"`+token+`"}`, nil); again.StatusCode != http.StatusUnauthorized {
		t.Fatalf("second login with one link: %s", again.Status)
	}
	return out.Session
}

func do(t *testing.T, s *Server, method, path, body string, header http.Header) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestAPIThroughDashboard(t *testing.T) {
	s, api := start(t)
	session := login(t, s)

	if resp := do(t, s, http.MethodGet, "/api/containers/json", "", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without a session: %s", resp.Status)
	}
	if resp := do(t, s, http.MethodGet, "/api/containers/json", "", http.Header{"Authorization": {"Bearer nope"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("with a wrong session: %s", resp.Status)
	}
	resp := do(t, s, http.MethodGet, "/api/v1.41/containers/json?all=1", "", http.Header{"Authorization": {"Bearer " + session}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("with a session: %s", resp.Status)
	}
	got := <-api.got
	if got.URL.Path != "/v1.41/containers/json" || got.URL.RawQuery != "all=1" {
		t.Errorf("the API got %s", got.URL)
	}
	if got.Header.Get("Authorization") != "" {
		t.Errorf("the session reached the API")
	}

	// Logged out, the session is gone.
	do(t, s, http.MethodPost, "/logout", "", http.Header{"Authorization": {"Bearer " + session}})
	if resp := do(t, s, http.MethodGet, "/api/_ping", "", http.Header{"Authorization": {"Bearer " + session}}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("after logout: %s", resp.Status)
	}
}

func TestGuardRefusesOtherSitesAndHosts(t *testing.T) {
	s, _ := start(t)
	session := login(t, s)
	auth := "Bearer " + session
	for _, tc := range []struct {
		name   string
		header http.Header
		host   string
		want   int
	}{
		{"same origin", http.Header{"Origin": {s.URL()}, "Sec-Fetch-Site": {"same-origin"}}, "", http.StatusOK},
		{"other origin", http.Header{"Origin": {"http://evil.example"}}, "", http.StatusForbidden},
		{"other port", http.Header{"Origin": {"http://127.0.0.1:1"}}, "", http.StatusForbidden},
		{"cross-site fetch", http.Header{"Sec-Fetch-Site": {"cross-site"}}, "", http.StatusForbidden},
		{"rebound host name", nil, "evil.example:80", http.StatusMisdirectedRequest},
		{"localhost", nil, "localhost:" + s.URL()[strings.LastIndex(s.URL(), ":")+1:], http.StatusOK},
	} {
		// The API, and the dashboard's own routes (compose, build, volume files):
		// a request the guard lets through gets the handler's own answer
		// (a 400 for compose's missing body, a 404 for the missing file).
		for _, route := range []struct{ method, path string }{
			{http.MethodPost, "/api/containers/x/stop"},
			{http.MethodPost, "/compose/down"},
			{http.MethodPost, "/images/build"},
			{http.MethodGet, "/volumes/v/files"},
			{http.MethodGet, "/volumes/v/download?path=f"},
		} {
			t.Run(tc.name+" "+route.path, func(t *testing.T) {
				req, _ := http.NewRequest(route.method, s.URL()+route.path, nil)
				req.Header = tc.header.Clone()
				if req.Header == nil {
					req.Header = http.Header{}
				}
				req.Header.Set("Authorization", auth)
				if tc.host != "" {
					req.Host = tc.host
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				got := resp.StatusCode
				if tc.want == http.StatusOK && got != http.StatusForbidden && got != http.StatusMisdirectedRequest && got != http.StatusUnauthorized {
					got = http.StatusOK // passed the guard and the session
				}
				if got != tc.want {
					t.Errorf("got %s, want %d", resp.Status, tc.want)
				}
			})
		}
	}
	// The page may not be framed.
	resp := do(t, s, http.MethodGet, "/", "", nil)
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
}

func TestExecSocket(t *testing.T) {
	s, _ := start(t)
	session := login(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(s.URL(), "http") + "/ws/exec/abc"
	dial := func(origin string, protocols ...string) (*websocket.Conn, *http.Response, error) {
		return websocket.Dial(ctx, wsURL, &websocket.DialOptions{Subprotocols: protocols, HTTPHeader: http.Header{"Origin": {origin}}})
	}

	if _, resp, err := dial(s.URL(), "wharf.exec"); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without a session: %v", err)
	}
	if _, resp, err := dial("http://evil.example", "wharf.exec", sessionProtocol+session); err == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("from another origin: %v", err)
	}
	c, resp, err := dial(s.URL(), "wharf.exec", sessionProtocol+session)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if p := resp.Header.Get("Sec-WebSocket-Protocol"); p != "wharf.exec" {
		t.Errorf("chosen subprotocol %q", p)
	}
	if err := c.Write(ctx, websocket.MessageBinary, []byte("echo hi\n")); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for !strings.Contains(out.String(), "ECHO HI") {
		_, data, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("read after %q: %v", out.String(), err)
		}
		out.Write(data)
	}
	if !strings.HasPrefix(out.String(), "$ ") {
		t.Errorf("terminal got %q", out.String())
	}
	// The exec ended: the socket closes normally.
	if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Errorf("after exit: %v", err)
	}
}

func TestExecSocketCarriesAPIError(t *testing.T) {
	s, _ := start(t)
	session := login(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.URL(), "http")+"/ws/exec/missing",
		&websocket.DialOptions{Subprotocols: []string{"wharf.exec", sessionProtocol + session}, HTTPHeader: http.Header{"Origin": {s.URL()}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	_, _, err = c.Read(ctx)
	var ce websocket.CloseError
	if !errors.As(err, &ce) || !strings.Contains(ce.Reason, "No such exec instance") {
		t.Errorf("got %v", err)
	}
}

func TestStaticFiles(t *testing.T) {
	s, _ := start(t)
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("index: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	if resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("index Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
	// Revalidation costs no body.
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	again, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	again.Body.Close()
	if again.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: %s", again.Status)
	}
	for name, f := range s.files {
		if !strings.HasPrefix(name, "assets/") {
			continue
		}
		resp := do(t, s, http.MethodGet, "/"+name, "", http.Header{"Accept-Encoding": {"gzip"}})
		if resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", name, resp.Header.Get("Cache-Control"))
		}
		if f.gz != nil && resp.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("%s: not compressed", name)
		}
	}
	if resp := do(t, s, http.MethodGet, "/assets/nope.js", "", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("missing asset: %s", resp.Status)
	}
}

// The index's boot script runs under the page's policy by its hash, and
// no other inline script would: the policy names exactly the hashes of
// the scripts in the page it is sent with.
func TestIndexPolicyAllowsItsBootScriptOnly(t *testing.T) {
	page := []byte("<head><script>boot()</script><script type=\"module\" src=\"/assets/x.js\"></script><script>\n  two()\n</script></head>")
	csp := contentSecurityPolicy(page)
	for _, body := range []string{"boot()", "\n  two()\n"} {
		sum := sha256.Sum256([]byte(body))
		if want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, want) {
			t.Errorf("policy %q lacks %s for %q", csp, want, body)
		}
	}
	if strings.Count(csp, "sha256-") != 2 || strings.Contains(csp, "unsafe-inline' ;") || !strings.Contains(csp, "script-src 'self' 'sha256-") {
		t.Errorf("policy %q", csp)
	}

	s, _ := start(t)
	resp := do(t, s, http.MethodGet, "/", "", nil)
	if got, want := resp.Header.Get("Content-Security-Policy"), contentSecurityPolicy(s.files["index.html"].body); got != want {
		t.Errorf("index policy %q, want %q", got, want)
	}
}

// Each file goes out in the best encoding the request takes: brotli,
// then gzip, else as it is; q=0 refuses one.
func TestStaticFilesEncodings(t *testing.T) {
	f := newFile("assets/a.js", []byte(strings.Repeat("wharf ", 200)), []byte("gz"), []byte("br"))
	for accept, want := range map[string]string{"gzip, deflate, br, zstd": "br", "gzip": "gzip", "br;q=0, gzip": "gzip", "br;q=0.5": "br", "": "", "identity": ""} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/assets/a.js", nil)
		req.Header.Set("Accept-Encoding", accept)
		serveFile(rec, req, "assets/a.js", f)
		if got := rec.Header().Get("Content-Encoding"); got != want {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want %q", accept, got, want)
		}
		if body := map[string]string{"br": "br", "gzip": "gz", "": string(f.body)}[want]; rec.Body.String() != body {
			t.Errorf("Accept-Encoding %q: body %.20q", accept, rec.Body.String())
		}
		if rec.Header().Get("Vary") != "Accept-Encoding" || rec.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("Accept-Encoding %q: headers %v", accept, rec.Header())
		}
	}
	// A file without built forms is gzipped once; none kept that is not smaller.
	if g := newFile("x.html", []byte(strings.Repeat("<p>wharf</p>", 100)), nil, nil); g.gz == nil || g.br != nil {
		t.Errorf("built without forms: gz %d br %d bytes", len(g.gz), len(g.br))
	}
	if g := newFile("x.svg", []byte("<svg/>"), []byte("longer than the body"), []byte("longer too, really")); g.gz != nil || g.br != nil {
		t.Error("kept a compressed form larger than the file")
	}
}

// A login link's page asks for the container list with its login: the
// answer carries it as the Engine API's handler gave it; a failing or
// non-JSON list is left out (the page asks itself and shows the error).
func TestLoginWithContainerList(t *testing.T) {
	s, api := start(t)
	link := func() string {
		rec := httptest.NewRecorder()
		s.Control(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, control.Path, nil))
		var l control.LoginLink
		json.Unmarshal(rec.Body.Bytes(), &l)
		return strings.TrimPrefix(l.URL, s.URL()+"/#login=")
	}
	api.list = `[{"Id":"c1","Names":["/web"]}]`
	for _, tc := range []struct{ with, list, want string }{
		{"containers", `[{"Id":"c1","Names":["/web"]}]`, `[{"Id":"c1","Names":["/web"]}]`},
		{"", `[{"Id":"c1"}]`, ""},
		{"containers", `[{"Id":`, ""},
	} {
		api.list = tc.list
		resp := do(t, s, http.MethodPost, "/login", `{"Login":"`+link()+`","With":"`+tc.with+`"}`, nil)
		var out struct {
			Session    string
			Containers json.RawMessage
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK || !s.auth.valid(out.Session) {
			t.Fatalf("login with %q: %s %v", tc.with, resp.Status, err)
		}
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("login answer Cache-Control %q", resp.Header.Get("Cache-Control"))
		}
		if string(out.Containers) != tc.want {
			t.Errorf("login with %q, list %s: Containers %s, want %s", tc.with, tc.list, out.Containers, tc.want)
		}
	}
	// A spent link answers nothing, list or not.
	token := link()
	do(t, s, http.MethodPost, "/login", `{"Login":"`+token+`"}`, nil)
	if resp := do(t, s, http.MethodPost, "/login", `{"Login":"`+token+`","With":"containers"}`, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("spent link with a list: %s", resp.Status)
	}
}
