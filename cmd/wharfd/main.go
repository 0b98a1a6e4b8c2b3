// Command wharfd is the Wharf daemon: it serves the Docker Engine API on
// unix sockets (and TCP with TLS) and runs containers through conmon and
// an OCI runtime.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/wharf/wharf/internal/api"
	"github.com/wharf/wharf/internal/daemon"
	"github.com/wharf/wharf/internal/version"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "wharfd:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	opts, err := parseFlags(args, os.Stderr)
	if err != nil {
		return err
	}
	if opts.version {
		fmt.Printf("Wharf version %s, build %s\n", version.Version, version.GitCommit)
		return nil
	}
	cfg, err := opts.load()
	if err != nil {
		return err
	}
	if opts.validate {
		// As dockerd --validate: the file and flags were read and checked.
		fmt.Fprintln(os.Stderr, "configuration OK")
		return nil
	}
	// The level changes when SIGHUP reloads debug.
	level := new(slog.LevelVar)
	if cfg.Debug {
		level.Set(slog.LevelDebug)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	notify := newNotifier(log)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// Before the daemon reads or repairs anything in its roots: no
	// second daemon may work on them.
	lock, err := daemon.LockRoots(cfg)
	if err != nil {
		return err
	}
	defer lock.Release()
	// Listen before the daemon starts, as dockerd: a bad host or group
	// stops wharfd before it touches the host, and clients that connect
	// meanwhile wait for it.
	listeners, err := listenAll(cfg, log)
	if err != nil {
		return err
	}
	d, err := daemon.New(ctx, cfg, log)
	if err != nil {
		for _, ln := range listeners {
			ln.Close()
		}
		return err
	}
	if err := d.ServeCRI(ctx, log); err != nil {
		return err
	}
	var handler http.Handler = d.API
	if cfg.Debug {
		// As dockerd does in debug mode: profiles on the API socket, e.g.
		// curl --unix-socket /run/wharf/wharf.sock http://x/debug/pprof/profile?seconds=10
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		mux.Handle("/", d.API)
		handler = mux
	}
	if handler, err = withDashboard(ctx, cfg.Dashboard, handler, log); err != nil {
		return err
	}
	// IdleTimeout: a client's idle keep-alive connections (and their
	// goroutines) do not stay for ever.
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: api.MaxHeaderBytes}
	stopped := make(chan struct{}) // closed when the API has stopped
	go func() {
		defer close(stopped)
		<-ctx.Done()
		notify.send("STOPPING=1")
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	go reloadOnHUP(ctx, opts, d, level, notify, log)
	served := make(chan error, len(listeners))
	for _, ln := range listeners {
		log.Info("API listen on " + ln.host)
		go func() { served <- srv.Serve(ln) }()
	}
	notify.ready(ctx, listeners)
	log.Info("wharfd started", "version", version.Version, "root", cfg.Root)
	for range listeners {
		if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			stop()
			return err
		}
	}
	// Containers keep running: conmon holds them, and the next wharfd finds them.
	<-stopped
	d.Shutdown()
	log.Info("wharfd stopped")
	return nil
}
