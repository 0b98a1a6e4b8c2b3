package registry

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Options configure Serve.
type Options struct {
	Addr     string // host:port to listen on
	Root     string // storage directory
	Htpasswd string // optional htpasswd file: basic auth for every request
	TLSCert  string // optional: serve HTTPS with this certificate
	TLSKey   string // and key
	Log      *slog.Logger
	// Ready, if set, receives the address actually listened on.
	Ready func(addr string)
}

// Serve runs the registry until ctx ends.
func Serve(ctx context.Context, o Options) error {
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	store, err := NewStore(o.Root)
	if err != nil {
		return err
	}
	var auth *Htpasswd
	if o.Htpasswd != "" {
		if auth, err = LoadHtpasswd(o.Htpasswd); err != nil {
			return err
		}
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", o.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: NewServer(store, auth, o.Log), ReadHeaderTimeout: 30 * time.Second}
	if o.Ready != nil {
		o.Ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() {
		if o.TLSCert != "" {
			errc <- srv.ServeTLS(ln, o.TLSCert, o.TLSKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		return nil
	}
}
