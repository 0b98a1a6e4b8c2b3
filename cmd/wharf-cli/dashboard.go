package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"time"

	"github.com/docker/cli/cli/command"
	"github.com/spf13/cobra"

	"github.com/wharf/wharf/internal/dashboard/control"
)

// dashboardCommand is `wharf dashboard`: it asks the daemon, over the
// API socket, for a one-time login link to its web dashboard, prints it
// and opens it where a browser exists. Whoever may use the socket may
// use the dashboard; the link works once, within five minutes.
func dashboardCommand(dockerCLI command.Cli) *cobra.Command {
	var noOpen bool
	cmd := &cobra.Command{
		Use:   "dashboard [OPTIONS]",
		Short: "Print (and open) a login link to the daemon's web dashboard",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			link, err := dashboardLogin(cmd.Context(), dockerCLI)
			if err != nil {
				return err
			}
			fmt.Fprintln(dockerCLI.Out(), link)
			if !noOpen {
				openBrowser(link)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&noOpen, "no-open", false, "Print the link only; do not open a browser")
	return cmd
}

func dashboardLogin(ctx context.Context, dockerCLI command.Cli) (string, error) {
	dialer, ok := dockerCLI.Client().(interface {
		Dialer() func(context.Context) (net.Conn, error)
	})
	if !ok {
		return "", fmt.Errorf("this client cannot reach the daemon's socket")
	}
	dial := dialer.Dialer()
	hc := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dial(ctx)
		}},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://wharfd"+control.Path, nil)
	if err != nil {
		return "", err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusNotFound {
		return "", fmt.Errorf(`the dashboard is off: start wharfd with -dashboard 127.0.0.1:7380, or set "dashboard": {"addr": "127.0.0.1:7380"} in /etc/wharf/daemon.json`)
	}
	var link control.LoginLink
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &link) != nil || link.URL == "" {
		return "", fmt.Errorf("the daemon gave no dashboard link: %s %s", resp.Status, body)
	}
	return link.URL, nil
}

// openBrowser opens url where a desktop session can (xdg-open), quietly:
// on a server the printed link (through an SSH tunnel) is the way in.
func openBrowser(url string) {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return
	}
	path, err := exec.LookPath("xdg-open")
	if err != nil {
		return
	}
	c := exec.Command(path, url)
	if c.Start() == nil {
		go c.Wait()
	}
}
