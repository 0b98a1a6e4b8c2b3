package container

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
)

func TestStatusText(t *testing.T) {
	ago := formatTime(time.Now().Add(-3 * time.Second))
	cases := []struct {
		st   container.State
		want string
	}{
		{container.State{Status: container.StateCreated}, "Created"},
		{container.State{Status: container.StateRunning, Running: true, StartedAt: ago}, "Up 3 seconds"},
		{container.State{Status: container.StatePaused, Running: true, Paused: true, StartedAt: ago}, "Up 3 seconds (Paused)"},
		{container.State{Status: container.StateExited, ExitCode: 3, FinishedAt: ago}, "Exited (3) 3 seconds ago"},
		{container.State{Status: container.StateRemoving}, "Removal In Progress"},
		{container.State{Status: container.StateDead}, "Dead"},
	}
	for _, c := range cases {
		if got := statusText(c.st); got != c.want {
			t.Errorf("%s: got %q want %q", c.st.Status, got, c.want)
		}
	}
}

func TestParsePS(t *testing.T) {
	out := "UID          PID    PPID  C STIME TTY          TIME CMD\n" +
		"root         100       1  0 10:00 ?        00:00:00 sleep 1000\n" +
		"root         200       1  0 10:00 ?        00:00:00 /usr/bin/other\n" +
		"root         300     100  0 10:00 ?        00:00:00 sh -c echo hi\n"
	resp, err := parsePS(out, []int{100, 300})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(resp.Titles, []string{"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"}) {
		t.Fatalf("titles %v", resp.Titles)
	}
	if len(resp.Processes) != 2 || resp.Processes[1][7] != "sh -c echo hi" {
		t.Fatalf("processes %v", resp.Processes)
	}
	if _, err := parsePS("USER COMMAND\nroot x\n", nil); err == nil || !strings.Contains(err.Error(), "PID") {
		t.Fatalf("missing PID column: %v", err)
	}
}
