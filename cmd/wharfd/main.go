// Command wharfd is the Wharf daemon: it serves the Docker Engine API on a
// unix socket and runs containers through conmon and an OCI runtime.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/wharf/wharf/internal/config"
	"github.com/wharf/wharf/internal/daemon"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "wharfd:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg := config.Default()
	configFile := flag.String("config-file", "/etc/wharf/daemon.json", "daemon configuration file")
	root := flag.String("data-root", "", "root of persistent state (default /var/lib/wharf)")
	execRoot := flag.String("exec-root", "", "root of runtime state (default /run/wharf)")
	host := flag.String("H", "", "socket to listen on, unix:///path (default unix:///run/wharf/wharf.sock)")
	runtimeName := flag.String("default-runtime", "", "default OCI runtime (runc or crun)")
	cgroupParent := flag.String("cgroup-parent", "", "parent cgroup of all containers (default /wharf)")
	debug := flag.Bool("D", false, "debug logging")
	criSocket := flag.String("cri-socket", "", "the kubelet's CRI socket (default <exec-root>/cri.sock)")
	noCRI := flag.Bool("no-cri", false, "do not serve the CRI")
	flag.Parse()
	if err := cfg.LoadFile(*configFile); err != nil {
		return err
	}
	for flagValue, field := range map[*string]*string{root: &cfg.Root, execRoot: &cfg.ExecRoot, host: &cfg.Host, runtimeName: &cfg.DefaultRuntime, cgroupParent: &cfg.CgroupParent, criSocket: &cfg.CRI.Socket} {
		if *flagValue != "" {
			*field = *flagValue
		}
	}
	cfg.Debug = cfg.Debug || *debug
	cfg.CRI.Enabled = cfg.CRI.Enabled && !*noCRI
	level := slog.LevelInfo
	if cfg.Debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// Before the daemon reads or repairs anything in its roots: no
	// second daemon may work on them.
	lock, err := daemon.LockRoots(cfg)
	if err != nil {
		return err
	}
	defer lock.Release()
	d, err := daemon.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	ln, err := listen(cfg.Host)
	if err != nil {
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
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 30 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	log.Info("wharfd listening", "host", cfg.Host, "root", cfg.Root)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	// Containers keep running: conmon holds them, and the next wharfd finds them.
	log.Info("wharfd stopped")
	return nil
}

// listen opens the API socket. Only unix sockets are served: TCP needs
// TLS, which is not implemented yet.
func listen(host string) (net.Listener, error) {
	path, ok := strings.CutPrefix(host, "unix://")
	if !ok {
		return nil, fmt.Errorf("unsupported host %q: only unix:// sockets are served", host)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	return ln, os.Chmod(path, 0o660)
}
