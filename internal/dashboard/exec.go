package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// execSocket bridges a websocket to a started exec: the page creates the
// exec through /api/ (with Tty: true) and opens /ws/exec/{id}; here the
// exec is started through the API's own hijacked stream, exactly as
// `docker exec -it` starts it, and bytes are copied both ways, as binary
// messages. Resizes go through /api/exec/{id}/resize.
func (s *Server) execSocket(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	// Accept checks that Origin is this server (its default), and picks
	// our subprotocol, never echoing the session token.
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"wharf.exec"}})
	if err != nil {
		return // Accept has answered
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stream, err := s.startExec(ctx, id)
	if err != nil {
		s.log.Debug("dashboard: exec start", "exec", id, "err", err)
		ws.Close(websocket.StatusPolicyViolation, truncate(err.Error(), 120))
		return
	}
	defer stream.Close()
	// API → page.
	go func() {
		defer cancel()
		buf := make([]byte, 32<<10)
		for {
			n, err := stream.Read(buf)
			if n > 0 {
				if ws.Write(ctx, websocket.MessageBinary, buf[:n]) != nil {
					return
				}
			}
			if err != nil {
				ws.Close(websocket.StatusNormalClosure, "exited")
				return
			}
		}
	}()
	// Page → API. A closed stream or socket ends both directions.
	ws.SetReadLimit(1 << 20)
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return
		}
		if _, err := stream.Write(data); err != nil {
			return
		}
	}
}

// execStream is the hijacked connection of an exec start, its buffered
// reader holding what followed the response headers.
type execStream struct {
	io.Reader
	io.WriteCloser
}

// startExec starts exec id with a TTY over an in-memory connection to
// the API and returns its raw stream.
func (s *Server) startExec(ctx context.Context, id string) (*execStream, error) {
	conn, err := s.inproc.dial(ctx)
	if err != nil {
		return nil, err
	}
	body := `{"Detach":false,"Tty":true}`
	req, _ := http.NewRequest(http.MethodPost, "http://dashboard/exec/"+url.PathEscape(id)+"/start", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "tcp")
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if err := req.Write(conn); err != nil {
		conn.Close()
		return nil, err
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols && resp.StatusCode != http.StatusOK {
		defer conn.Close()
		var msg struct{ Message string }
		if json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&msg) != nil || msg.Message == "" {
			msg.Message = resp.Status
		}
		return nil, fmt.Errorf("%s", msg.Message)
	}
	conn.SetDeadline(time.Time{})
	return &execStream{Reader: br, WriteCloser: conn}, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
