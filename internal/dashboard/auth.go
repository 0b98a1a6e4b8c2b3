package dashboard

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"sync"
	"time"
)

// Logins are one-time links handed out over the API socket (`wharf
// dashboard`), so only who may use the socket (root, or the socket's
// group) gets into the dashboard: a loopback port is open to every local
// user, so the page itself cannot hand out a token. A login becomes a
// session, a bearer token the page keeps in its origin's storage and
// sends in a header on every request: no cookie, so other servers on
// 127.0.0.1 (cookies ignore ports) never see it, and a cross-site page
// cannot make the browser send it (no CSRF).
const (
	loginTTL    = 5 * time.Minute
	sessionTTL  = 7 * 24 * time.Hour
	maxLogins   = 32
	maxSessions = 64
)

// auth holds the outstanding logins and the sessions, each by token.
// Its one lock guards both maps and is never held across a call out.
type auth struct {
	now      func() time.Time
	mu       sync.Mutex
	logins   map[string]time.Time // token → expiry
	sessions map[string]time.Time // token → expiry
}

func newAuth(now func() time.Time) *auth {
	return &auth{now: now, logins: map[string]time.Time{}, sessions: map[string]time.Time{}}
}

func newToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// newLogin returns a one-time login token valid for loginTTL.
func (a *auth) newLogin() string {
	t := newToken()
	a.mu.Lock()
	defer a.mu.Unlock()
	put(a.logins, t, a.now().Add(loginTTL), maxLogins, a.now())
	return t
}

// login spends a login token for a new session token; "" if the login is
// unknown or expired.
func (a *auth) login(token string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	k, ok := find(a.logins, token)
	if !ok {
		return ""
	}
	exp := a.logins[k]
	delete(a.logins, k)
	if !now.Before(exp) {
		return ""
	}
	s := newToken()
	put(a.sessions, s, now.Add(sessionTTL), maxSessions, now)
	return s
}

// valid reports whether token is a live session.
func (a *auth) valid(token string) bool {
	if token == "" {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	k, ok := find(a.sessions, token)
	return ok && a.now().Before(a.sessions[k])
}

// logout ends a session.
func (a *auth) logout(token string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if k, ok := find(a.sessions, token); ok {
		delete(a.sessions, k)
	}
}

// find compares token with every key in constant time per key, so the
// time taken tells nothing of a key's prefix.
func find(m map[string]time.Time, token string) (string, bool) {
	found := ""
	for k := range m {
		if subtle.ConstantTimeCompare([]byte(k), []byte(token)) == 1 {
			found = k
		}
	}
	return found, found != ""
}

// put adds key, first dropping expired entries and then, at the cap, the
// one closest to expiry: the maps stay bounded whoever asks.
func put(m map[string]time.Time, key string, exp time.Time, limit int, now time.Time) {
	for k, e := range m {
		if !now.Before(e) {
			delete(m, k)
		}
	}
	for len(m) >= limit {
		oldest := ""
		for k, e := range m {
			if oldest == "" || e.Before(m[oldest]) {
				oldest = k
			}
		}
		delete(m, oldest)
	}
	m[key] = exp
}
