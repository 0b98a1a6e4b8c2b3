// Package dashboard serves wharfd's web dashboard: the front end built
// from web/ and embedded in the binary, and /api/, the Engine API itself
// called in-process, so the page sees exactly what the docker CLI sees
// through the socket. Nothing here talks to a service directly.
//
// Access: a one-time login link from the API socket (Control, used by
// `wharf dashboard`) becomes a session token that the page sends as a
// bearer header (auth.go). Requests from another origin are refused, the
// websocket checks its Origin, and on loopback the Host header must name
// this server (no DNS rebinding). Any address beyond loopback needs TLS
// (config.Dashboard.Check).
package dashboard

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"golang.org/x/net/netutil"

	"github.com/wharf/wharf/internal/config"
	"github.com/wharf/wharf/internal/dashboard/control"
)

// maxConns bounds the dashboard's open connections (each page keeps an
// events stream and, while shown, a logs or stats stream and a terminal).
const maxConns = 256

// Server is a running dashboard.
type Server struct {
	log    *slog.Logger
	api    http.Handler
	auth   *auth
	files  map[string]file
	csp    string // Content-Security-Policy, with index.html's inline scripts' hashes
	inproc *pipeListener
	base   string          // "http://127.0.0.1:7380": what users open
	hosts  map[string]bool // Host headers accepted; nil accepts any (TLS)
	ctx    context.Context // ends when the dashboard stops

	apiSocket   *apiSocket // the API for docker compose (compose.go)
	composeRuns composeRuns
	composeDirs []string // where the compose plugin is looked for
}

// Start listens on cfg.Addr and serves the dashboard over api (the
// handler wharfd serves on its socket) until ctx ends.
func Start(ctx context.Context, cfg config.Dashboard, api http.Handler, log *slog.Logger) (*Server, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	files, err := loadAssets()
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	// Every local user can connect: bound what connections can hold.
	ln = netutil.LimitListener(ln, maxConns)
	scheme := "http"
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("dashboard: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		scheme = "https"
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	s := &Server{
		log: log, api: api, auth: newAuth(time.Now), files: files,
		csp:    contentSecurityPolicy(files["index.html"].body),
		inproc: newPipeListener(),
		base:   scheme + "://" + net.JoinHostPort(host, port),
		ctx:    ctx,

		composeDirs: defaultComposeDirs(),
	}
	if config.IsLoopback(host) {
		s.hosts = map[string]bool{}
		for _, h := range []string{host, "localhost", "127.0.0.1", "::1"} {
			s.hosts[net.JoinHostPort(h, port)] = true
		}
	}
	// Streams (logs, events, exec) run as long as the page keeps them:
	// no write timeout; headers and idle connections are bounded.
	srv := &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	inner := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}
	s.apiSocket = &apiSocket{serve: func(l net.Listener) { inner.Serve(l) }}
	go srv.Serve(ln)
	go inner.Serve(s.inproc)
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
		inner.Shutdown(shutdown)
		srv.Close()
		inner.Close()
		s.apiSocket.close()
	}()
	log.Info("dashboard listening", "url", s.base, "login", "wharf dashboard")
	return s, nil
}

// URL is the dashboard's address, e.g. http://127.0.0.1:7380.
func (s *Server) URL() string { return s.base }

// Control wraps the socket's handler with control.Path: whoever may use
// the socket may log in to the dashboard, and no one else.
func (s *Server) Control(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != control.Path {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, http.StatusMethodNotAllowed, "use POST")
			return
		}
		writeJSON(w, http.StatusOK, control.LoginLink{URL: s.base + "/#login=" + s.auth.newLogin()})
	})
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.serveIndex)
	mux.HandleFunc("GET /assets/", s.serveAsset)
	mux.HandleFunc("GET /favicon.svg", s.serveAsset)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.logout)
	mux.Handle("/api/", s.authed(http.StripPrefix("/api", s.api).ServeHTTP))
	mux.HandleFunc("GET /ws/exec/{id}", s.authedSocket(s.execSocket))
	// The dashboard's own routes beyond the Engine API, with the same
	// session (a bearer header: no CSRF) and guard.
	mux.HandleFunc("POST /compose/up", s.authed(s.composeUp))
	mux.HandleFunc("POST /compose/down", s.authed(s.composeDown))
	mux.HandleFunc("POST /images/build", s.authed(s.buildImage))
	mux.HandleFunc("GET /volumes/{name}/files", s.authed(s.volumeFiles))
	mux.HandleFunc("GET /volumes/{name}/download", s.authed(s.volumeDownload))
	return s.guard(mux)
}

// guard applies to every request: the Host must be this server's (on
// loopback, against DNS rebinding), a request from another origin is
// refused, and the page may be neither framed nor fed foreign scripts.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.hosts != nil && !s.hosts[r.Host] {
			writeError(w, http.StatusMisdirectedRequest, "unknown host "+r.Host)
			return
		}
		if !sameOrigin(r) {
			writeError(w, http.StatusForbidden, "cross-origin request refused")
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", s.csp)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// sameOrigin is false for a request a browser made on behalf of another
// site: its Origin names another host, or Sec-Fetch-Site says so.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	return origin == scheme+r.Host
}

// authed requires a session's bearer token, and keeps it from the API.
func (s *Server) authed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || !s.auth.valid(token) {
			writeError(w, http.StatusUnauthorized, "not logged in: run `wharf dashboard` for a login link")
			return
		}
		r.Header.Del("Authorization")
		next(w, r)
	}
}

// authedSocket requires a session for a websocket: browsers cannot set
// headers there, so the token travels as a subprotocol
// ("wharf.session.<token>"), never in the URL.
func (s *Server) authedSocket(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for _, p := range strings.Split(r.Header.Get("Sec-WebSocket-Protocol"), ",") {
			if token, ok := strings.CutPrefix(strings.TrimSpace(p), sessionProtocol); ok && s.auth.valid(token) {
				next(w, r)
				return
			}
		}
		writeError(w, http.StatusUnauthorized, "not logged in: run `wharf dashboard` for a login link")
	}
}

const sessionProtocol = "wharf.session."

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Login string
		With  string // "containers": answer the container list too (firstlist.go)
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "bad login request: "+err.Error())
		return
	}
	session := s.auth.login(req.Login)
	if session == "" {
		writeError(w, http.StatusUnauthorized, "this login link is used or expired: run `wharf dashboard` for a new one")
		return
	}
	answer := struct {
		Session    string
		Containers json.RawMessage `json:",omitempty"`
	}{Session: session}
	if req.With == "containers" {
		answer.Containers = s.containerList(r.Context())
	}
	w.Header().Set("Cache-Control", "no-store") // a session token: kept by no cache
	writeJSON(w, http.StatusOK, answer)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		s.auth.logout(token)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) serveIndex(w http.ResponseWriter, r *http.Request) {
	serveFile(w, r, "index.html", s.files["index.html"])
}

func (s *Server) serveAsset(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/")
	f, ok := s.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	serveFile(w, r, name, f)
}

// writeError answers in the Engine API's error shape, so the page reads
// the dashboard's errors as it reads docker's.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
