package cluster

import (
	"testing"

	swarmapi "github.com/moby/swarmkit/v2/api"
)

// The docker CLI splits a service log line's details on "," and "=" and
// unescapes them to print "<task>@<node> | line".
func TestLogDetails(t *testing.T) {
	got := details(swarmapi.LogMessage{
		Context: swarmapi.LogContext{NodeID: "n1", ServiceID: "s1", TaskID: "t1"},
		Attrs:   []swarmapi.LogAttr{{Key: "tag", Value: "a b,c"}, {Key: "com.docker.swarm.task.id", Value: "spoof"}},
	})
	want := "com.docker.swarm.node.id=n1,com.docker.swarm.service.id=s1,com.docker.swarm.task.id=t1,tag=a+b%2Cc"
	if got != want {
		t.Errorf("details:\n got %s\nwant %s", got, want)
	}
}
