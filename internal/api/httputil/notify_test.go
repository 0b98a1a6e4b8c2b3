package httputil

import (
	"net"
	"path/filepath"
	"testing"
	"time"
)

func unixPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	l, err := net.Listen("unix", filepath.Join(t.TempDir(), "s"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	client, err = net.Dial("unix", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	return server, client
}

func TestNotifyClosed(t *testing.T) {
	server, client := unixPair(t)
	defer server.Close()
	gone := make(chan struct{})
	stop := NotifyClosed(server, func() { close(gone) })
	defer stop()
	// A half-close (the end of the client's stdin) is not hanging up.
	client.(*net.UnixConn).CloseWrite()
	select {
	case <-gone:
		t.Fatal("a half-close counted as hanging up")
	case <-time.After(200 * time.Millisecond):
	}
	client.Close()
	select {
	case <-gone:
	case <-time.After(5 * time.Second):
		t.Fatal("hanging up went unnoticed")
	}

	// Stopped first: closing the server side neither waits nor calls gone.
	server2, client2 := unixPair(t)
	defer client2.Close()
	stop2 := NotifyClosed(server2, func() { t.Error("gone after stop") })
	stop2()
	start := time.Now()
	server2.Close()
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Errorf("closing after stop took %s", took)
	}
	time.Sleep(100 * time.Millisecond)
}
