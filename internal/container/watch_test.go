package container

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"golang.org/x/sys/unix"
)

// fakeConmon stands for each run's conmon: it writes the log file and
// serves the attach socket, sending each client one frame, and closes
// both ends of every connection at the run's exit.
type fakeConmon struct {
	t  *testing.T
	s  *Service
	mu sync.Mutex
	ln map[string]*net.UnixListener
	cs map[string][]net.Conn
	wg sync.WaitGroup
}

func newFakeConmon(t *testing.T, d *testDaemon) *fakeConmon {
	f := &fakeConmon{t: t, s: d.Service, ln: map[string]*net.UnixListener{}, cs: map[string][]net.Conn{}}
	d.rt.onStart = f.start
	d.rt.onExit = f.exit
	return f
}

func (f *fakeConmon) start(id string) {
	bundle := f.s.bundle(id)
	dir, err := os.OpenFile(bundle, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		f.t.Error(err)
		return
	}
	defer dir.Close()
	// As dialAttach reaches it: through the directory, the path being long.
	path := fmt.Sprintf("/proc/self/fd/%d/attach", dir.Fd())
	os.Remove(filepath.Join(bundle, "attach"))
	ln, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: path, Net: "unixpacket"})
	if err != nil {
		f.t.Error(err)
		return
	}
	c, err := f.s.get(id)
	if err != nil {
		f.t.Error(err)
		return
	}
	line := fmt.Sprintf("%s stdout F started\n", time.Now().UTC().Format(time.RFC3339Nano))
	if lf, err := os.OpenFile(f.s.logPath(c), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
		lf.WriteString(line)
		lf.Close()
	}
	f.mu.Lock()
	f.ln[id] = ln
	f.mu.Unlock()
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.Write([]byte{frameStdout, 'h', 'i', '\n'})
			f.mu.Lock()
			if f.ln[id] == ln {
				f.cs[id] = append(f.cs[id], conn)
			} else {
				conn.Close() // accepted as the run ended
			}
			f.mu.Unlock()
		}
	}()
}

func (f *fakeConmon) exit(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ln := f.ln[id]; ln != nil {
		ln.Close()
	}
	for _, c := range f.cs[id] {
		c.Close()
	}
	delete(f.ln, id)
	delete(f.cs, id)
}

// TestWatchersDuringRestarts: 20 `logs -f`, 20 `attach` and 20 `wait`
// clients stay on one container, each joining again when its call ends,
// while it is restarted 20 times. Every restart goes through, every
// client's call returns once the container is removed, and no goroutine
// is left behind.
func TestWatchersDuringRestarts(t *testing.T) {
	d := newTestDaemon(t)
	conmon := newFakeConmon(t, d)
	before := runtime.NumGoroutine()
	id := d.run(t, &container.HostConfig{}, &container.Config{})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const clients = 20
	var wg sync.WaitGroup
	var calls sync.Map // client -> calls returned
	client := func(name string, call func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 0
			for ctx.Err() == nil {
				if err := call(); err != nil && ctx.Err() == nil && !isNotFound(err) {
					t.Errorf("%s: %v", name, err)
					return
				}
				n++
				calls.Store(name, n)
				if _, err := d.get(id); err != nil {
					return // removed
				}
				time.Sleep(time.Millisecond)
			}
		}()
	}
	for i := range clients {
		client(fmt.Sprint("logs-", i), func() error {
			var out bytes.Buffer
			_, err := d.Logs(ctx, id, &lockedWriter{w: &out}, &lockedWriter{w: &out}, LogsOptions{Follow: true, Tail: -1})
			return err
		})
		client(fmt.Sprint("attach-", i), func() error {
			var out bytes.Buffer
			return d.Attach(ctx, id, AttachOptions{Stream: true, Stdout: &lockedWriter{w: &out}})
		})
		client(fmt.Sprint("wait-", i), func() error {
			ch, err := d.Wait(ctx, id, container.WaitConditionNotRunning)
			if err != nil {
				return err
			}
			r := <-ch
			if r.Err != nil && ctx.Err() == nil {
				return r.Err
			}
			return nil
		})
	}
	time.Sleep(50 * time.Millisecond)
	for i := range 20 {
		rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := d.Restart(rctx, id, StopOptions{Timeout: intPtr(1)})
		rcancel()
		if err != nil {
			t.Fatalf("restart %d with the clients on: %v", i, err)
		}
	}
	if err := d.Remove(context.Background(), id, RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	// Every client's call returns by itself once the container is gone.
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		buf := make([]byte, 1<<20)
		t.Fatalf("clients still in a call after the removal:\n%s", buf[:runtime.Stack(buf, true)])
	}
	calls.Range(func(k, v any) bool {
		if v.(int) < 2 {
			t.Errorf("%s returned %d times over 20 restarts", k, v)
		}
		return true
	})
	cancel()
	conmon.wg.Wait()
	waitFor(t, 5*time.Second, "the clients' goroutines to end", func() bool {
		return runtime.NumGoroutine() <= before+2
	})
}

// lockedWriter is a writer safe for the one attach's two pumps.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
