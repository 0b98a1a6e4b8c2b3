package container

import (
	"context"
	"errors"
	"net/http"

	"golang.org/x/net/websocket"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/api/compat"
	"github.com/wharf/wharf/internal/api/httputil"
)

// getContainerAttachWS is GET /containers/{id}/attach/ws: attach over a
// websocket, as browsers' consoles do. Streams are never multiplexed (the
// frames keep them apart); frames are binary since API 1.28, text before;
// the stdin, stdout and stderr parameters are honoured since 1.42 (all
// three streams before), as dockerd does.
func (s *Router) getContainerAttachWS(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("id")
	// Errors that can still be a status: no such container, bad keys.
	if _, err := s.backend.IsTTY(id); err != nil {
		return err
	}
	keys, err := detachKeys(r.URL.Query().Get("detachKeys"))
	if err != nil {
		return err
	}
	stdin, stdout, stderr := true, true, true
	if !compat.Before(ctx, compat.AttachWSStreams) {
		stdin, stdout, stderr = httputil.BoolValue(r, "stdin"), httputil.BoolValue(r, "stdout"), httputil.BoolValue(r, "stderr")
	}
	binary := !compat.Before(ctx, compat.AttachWSBinary)
	o := backend.ContainerAttachOptions{Logs: httputil.BoolValue(r, "logs"), Stream: httputil.BoolValue(r, "stream"), DetachKeys: keys}
	websocket.Server{Handler: func(conn *websocket.Conn) {
		defer conn.Close()
		if binary {
			conn.PayloadType = websocket.BinaryFrame
		}
		if stdin {
			o.Stdin = conn
		}
		if stdout {
			o.Stdout = conn
		}
		if stderr {
			o.Stderr = conn
		}
		// The connection outlives the request's context once upgraded.
		err := s.backend.Attach(context.WithoutCancel(ctx), id, o)
		if err != nil && !errors.Is(err, backend.ErrDetached) {
			s.log.Debug("attach ws", "id", id, "err", err)
		}
	}}.ServeHTTP(w, r)
	return nil
}
