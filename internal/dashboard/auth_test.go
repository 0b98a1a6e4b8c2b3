package dashboard

import (
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestLoginsExpireAndWorkOnce(t *testing.T) {
	c := &clock{time.Unix(1e9, 0)}
	a := newAuth(c.now)
	l := a.newLogin()
	c.t = c.t.Add(loginTTL + time.Second)
	if a.login(l) != "" {
		t.Fatal("an expired login worked")
	}
	l = a.newLogin()
	s := a.login(l)
	if s == "" || !a.valid(s) {
		t.Fatal("a fresh login did not make a session")
	}
	if a.login(l) != "" {
		t.Fatal("a login worked twice")
	}
	if a.valid("") || a.valid(s[:10]) {
		t.Fatal("an empty or partial token is valid")
	}
	c.t = c.t.Add(sessionTTL)
	if a.valid(s) {
		t.Fatal("an expired session is valid")
	}
}

func TestAuthStaysBounded(t *testing.T) {
	c := &clock{time.Unix(1e9, 0)}
	a := newAuth(c.now)
	var first string
	for i := 0; i < 10*maxSessions; i++ {
		c.t = c.t.Add(time.Millisecond)
		s := a.login(a.newLogin())
		if i == 0 {
			first = s
		}
	}
	if len(a.sessions) != maxSessions || len(a.logins) != 0 {
		t.Fatalf("%d sessions, %d logins", len(a.sessions), len(a.logins))
	}
	if a.valid(first) {
		t.Fatal("the oldest session outlived the cap")
	}
	for i := 0; i < 10*maxLogins; i++ {
		a.newLogin()
	}
	if len(a.logins) != maxLogins {
		t.Fatalf("%d logins", len(a.logins))
	}
}
