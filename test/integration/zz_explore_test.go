//go:build integration

package integration

import (
	"testing"
)

func TestZZExplore(t *testing.T) {
	name := uniqueName(t, "x")
	cleanupContainers(t, name, name+"2", name+"3")
	cli(t, "wharf", "create", "--name", name, "busybox", "touch", "/test")
	runDetached(t, "wharf", name+"2", "busybox", "sleep", "60")
	calls := []struct{ m, p, b string }{
		{"POST", "/v1.41/commit?container=" + name, ""},
		{"POST", "/v1.41/commit?container=" + name + "&repo=Bad", ""},
		{"POST", "/v1.41/commit?container=" + name + "&repo=ok&tag=bad:tag", ""},
		{"POST", "/v1.41/commit?container=" + name + "&changes=FROM+x", ""},
		{"POST", "/v1.41/commit?container=" + name + "&changes=EXPOSE+abc", ""},
		{"POST", "/v1.41/commit?container=nope", ""},
		{"POST", "/v1.41/commit", ""},
		{"POST", "/v1.41/commit?container=" + name, "{bad"},
		{"POST", "/v1.41/commit?container=" + name, `{"Cmd":"notalist"}`},
		{"POST", "/v1.41/containers/" + name + "/start", ""},
		{"POST", "/v1.41/commit?container=" + name, ""},
		{"POST", "/v1.41/commit?container=" + name + "2&pause=1", ""},
		{"POST", "/v1.41/containers/" + name + "2/pause", ""},
		{"POST", "/v1.41/containers/" + name + "2/pause", ""},
		{"POST", "/v1.41/commit?container=" + name + "2", ""},
		{"DELETE", "/v1.41/containers/" + name + "2", ""},
		{"POST", "/v1.41/containers/" + name + "2/unpause", ""},
		{"POST", "/v1.41/containers/" + name + "2/unpause", ""},
		{"POST", "/v1.41/containers/" + name + "/unpause", ""},
		{"POST", "/v1.41/containers/" + name + "/pause", ""},
		{"POST", "/v1.41/containers/" + name + "/kill", ""},
		{"POST", "/v1.41/containers/" + name + "2/kill?signal=BOGUS", ""},
		{"POST", "/v1.41/containers/" + name + "/stop", ""},
		{"POST", "/v1.41/containers/" + name + "/restart?t=x", ""},
		{"POST", "/v1.41/containers/" + name + "/rename?name=" + name + "2", ""},
		{"POST", "/v1.41/containers/" + name + "/rename?name=", ""},
		{"POST", "/v1.41/containers/" + name + "/rename?name=bad/name", ""},
		{"POST", "/v1.41/containers/create?name=" + name, `{"Image":"busybox"}`},
		{"POST", "/v1.41/containers/create?name=bad/name", `{"Image":"busybox"}`},
		{"POST", "/v1.41/containers/create", `{"Image":"nope:latest"}`},
		{"POST", "/v1.41/containers/create", `{}`},
		{"POST", "/v1.41/containers/create", `{"Image":"busybox","HostConfig":{"NetworkMode":"nonet"}}`},
		{"POST", "/v1.41/containers/create", `{"Image":"busybox","HostConfig":{"Binds":["relative:/x"]}}`},
		{"POST", "/v1.41/containers/create", `{"Image":"busybox","HostConfig":{"Memory":100}}`},
		{"POST", "/v1.41/containers/create", `{"Image":"busybox","HostConfig":{"RestartPolicy":{"Name":"bogus"}}}`},
		{"POST", "/v1.41/containers/create", `{"Image":"busybox","HostConfig":{"RestartPolicy":{"Name":"always"},"AutoRemove":true}}`},
		{"POST", "/v1.41/containers/create", `{"Image":"busybox","Hostname":"bad_host!"}`},
		{"POST", "/v1.41/containers/" + name + "/exec", `{"Cmd":["ls"]}`},
		{"POST", "/v1.41/containers/nope/exec", `{"Cmd":["ls"]}`},
		{"POST", "/v1.41/containers/" + name + "2/exec", `{}`},
		{"GET", "/v1.41/exec/nope/json", ""},
		{"POST", "/v1.41/exec/nope/start", `{}`},
		{"DELETE", "/v1.41/images/busybox", ""},
		{"DELETE", "/v1.41/images/nope", ""},
		{"POST", "/v1.41/images/nope/tag?repo=x", ""},
		{"POST", "/v1.41/images/busybox/tag?repo=Bad", ""},
		{"POST", "/v1.41/images/create?fromImage=127.0.0.1:1/x&tag=1", ""},
		{"POST", "/v1.41/images/create?fromImage=Bad", ""},
		{"GET", "/v1.41/images/nope/json", ""},
		{"GET", "/v1.41/images/nope/history", ""},
		{"GET", "/v1.41/images/nope/get", ""},
		{"POST", "/v1.41/images/nope/push", ""},
		{"POST", "/v1.41/networks/create", `{"Name":"bridge"}`},
		{"POST", "/v1.41/networks/create", `{"Name":""}`},
		{"POST", "/v1.41/networks/create", `{"Name":"x","Driver":"bogus"}`},
		{"DELETE", "/v1.41/networks/bridge", ""},
		{"DELETE", "/v1.41/networks/nope", ""},
		{"POST", "/v1.41/networks/nope/connect", `{"Container":"` + name + `"}`},
		{"POST", "/v1.41/networks/bridge/connect", `{"Container":"nope"}`},
		{"POST", "/v1.41/networks/bridge/disconnect", `{"Container":"` + name + `"}`},
		{"DELETE", "/v1.41/volumes/nope", ""},
		{"POST", "/v1.41/volumes/create", `{"Name":"bad/name"}`},
		{"POST", "/v1.41/volumes/create", `{"Driver":"bogus"}`},
		{"GET", "/v1.41/containers/" + name + "/archive?path=/nope", ""},
		{"PUT", "/v1.41/containers/" + name + "/archive?path=/nope", "x"},
		{"GET", "/v1.41/containers/" + name + "/top", ""},
		{"POST", "/v1.41/containers/" + name + "/resize?h=1&w=1", ""},
		{"POST", "/v1.41/containers/" + name + "/wait?condition=bogus", ""},
		{"GET", "/v1.41/containers/" + name + "/stats?stream=0", ""},
		{"POST", "/v1.41/containers/" + name + "/update", `{"Memory":100}`},
		{"POST", "/v1.41/containers/" + name + "/attach?stream=1", ""},
		{"GET", "/v1.41/containers/json?filters=bad", ""},
		{"GET", `/v1.41/containers/json?filters={"bogus":["x"]}`, ""},
		{"GET", `/v1.41/images/json?filters={"bogus":["x"]}`, ""},
		{"GET", `/v1.41/networks?filters={"bogus":["x"]}`, ""},
		{"GET", `/v1.41/volumes?filters={"bogus":["x"]}`, ""},
		{"POST", "/v1.41/build?t=Bad", "x"},
		{"POST", "/v1.41/images/load", "x"},
		{"GET", "/v1.41/containers/" + name + "/logs?stdout=1", ""},
		{"POST", "/v1.41/auth", `{"serveraddress":"127.0.0.1:1"}`},
	}
	for _, c := range calls {
		resp, body := apiCall(t, c.m, c.p, c.b)
		if len(body) > 300 {
			body = body[:300]
		}
		t.Logf("EXPLORE %s %s -> %d %s", c.m, c.p, resp.StatusCode, body)
	}
}
