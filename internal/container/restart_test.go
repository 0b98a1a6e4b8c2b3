package container

import (
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
)

func TestNextDelay(t *testing.T) {
	d := time.Duration(0)
	var got []time.Duration
	for i := 0; i < 12; i++ {
		d = nextDelay(d, time.Second)
		got = append(got, d)
	}
	want := []time.Duration{100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("delay %d: got %v, want %v", i, got[i], want[i]*time.Millisecond)
		}
	}
	if d := nextDelay(time.Minute, 11*time.Second); d != 100*time.Millisecond {
		t.Fatalf("a long run should reset the back-off, got %v", d)
	}
}

func TestShouldRestart(t *testing.T) {
	p := func(name container.RestartPolicyMode, max int) container.RestartPolicy {
		return container.RestartPolicy{Name: name, MaximumRetryCount: max}
	}
	cases := []struct {
		policy  container.RestartPolicy
		code    int
		count   int
		stopped bool
		want    bool
	}{
		{p("no", 0), 1, 0, false, false},
		{p("always", 0), 0, 5, false, true},
		{p("always", 0), 0, 0, true, false},
		{p("unless-stopped", 0), 0, 0, false, true},
		{p("unless-stopped", 0), 1, 0, true, false},
		{p("on-failure", 0), 0, 0, false, false},
		{p("on-failure", 0), 3, 100, false, true},
		{p("on-failure", 2), 3, 1, false, true},
		{p("on-failure", 2), 3, 2, false, false},
	}
	for _, tc := range cases {
		if got := shouldRestart(tc.policy, tc.code, tc.count, tc.stopped); got != tc.want {
			t.Errorf("%+v: got %v", tc, got)
		}
	}
}
