package events

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/events"

	"github.com/wharf/wharf/internal/api/apitest"
	wevents "github.com/wharf/wharf/internal/events"
)

func TestEventTime(t *testing.T) {
	for in, want := range map[string]time.Time{
		"":                     {},
		"1700000000":           time.Unix(1700000000, 0),
		"1700000000.5":         time.Unix(1700000000, 500000000),
		"1700000000.000000001": time.Unix(1700000000, 1),
	} {
		if got, err := eventTime(in); err != nil || !got.Equal(want) {
			t.Errorf("eventTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := eventTime("yesterday"); err == nil {
		t.Error("eventTime accepted a word")
	}
}

func TestGetEventsReplay(t *testing.T) {
	bus := wevents.New()
	since := time.Now()
	bus.Log(events.ContainerEventType, events.ActionCreate, "c1", map[string]string{"name": "one"})
	bus.Log(events.ContainerEventType, events.ActionDie, "c1", map[string]string{"name": "one"})
	bus.Log(events.NetworkEventType, events.ActionCreate, "n1", map[string]string{"name": "net"})
	srv := apitest.NewServer(t, NewRouter(bus))

	stamp := func(t time.Time) string { return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond()) }
	q := "since=" + stamp(since) + "&until=" + stamp(time.Now()) + `&filters={"type":{"container":true}}`
	resp, err := http.Get(srv.URL + "/events?" + q)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if resp.StatusCode != http.StatusOK || len(lines) != 2 || !strings.Contains(lines[0], `"Action":"create"`) || !strings.Contains(lines[1], `"Action":"die"`) {
		t.Fatalf("%d:\n%s", resp.StatusCode, body)
	}

	resp, err = http.Get(srv.URL + `/events?filters={"colour":{"red":true}}`)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown filter: status %d", resp.StatusCode)
	}
}
