package container

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/api/apitest"
)

// TestCreateByVersion: a create request is read as dockerd reads it at
// the request's API version (internal/api/compat's create gates).
func TestCreateByVersion(t *testing.T) {
	type check func(t *testing.T, fc *fakeContainers, resp container.CreateResponse)
	cases := []struct {
		name, version, body string
		status              int
		message             string // part of the error, for a refusal
		check               check
	}{
		{name: "container MAC moves to the bridge endpoint before 1.44", version: "1.41",
			body: `{"Image":"busybox","MacAddress":"02:42:ac:11:00:99"}`, status: 201,
			check: func(t *testing.T, fc *fakeContainers, resp container.CreateResponse) {
				ep := fc.created.NetworkingConfig.EndpointsConfig["bridge"]
				if ep == nil || ep.MacAddress.String() != "02:42:ac:11:00:99" || len(resp.Warnings) != 0 {
					t.Fatalf("endpoints %+v warnings %q", fc.created.NetworkingConfig.EndpointsConfig, resp.Warnings)
				}
			}},
		{name: "container MAC moves with a warning 1.44-1.51", version: "1.51",
			body: `{"Image":"busybox","MacAddress":"02:42:ac:11:00:99","HostConfig":{"NetworkMode":"mynet"}}`, status: 201,
			check: func(t *testing.T, fc *fakeContainers, resp container.CreateResponse) {
				ep := fc.created.NetworkingConfig.EndpointsConfig["mynet"]
				if ep == nil || ep.MacAddress.String() != "02:42:ac:11:00:99" || len(resp.Warnings) != 1 || !strings.Contains(resp.Warnings[0], "deprecated") {
					t.Fatalf("endpoints %+v warnings %q", fc.created.NetworkingConfig.EndpointsConfig, resp.Warnings)
				}
			}},
		{name: "container MAC refused since 1.52", version: "1.52",
			body: `{"Image":"busybox","MacAddress":"02:42:ac:11:00:99"}`, status: 400, message: "container-wide MAC address no longer supported"},
		{name: "container MAC with host networking before 1.44", version: "1.43",
			body: `{"Image":"busybox","MacAddress":"02:42:ac:11:00:99","HostConfig":{"NetworkMode":"host"}}`, status: 400, message: "conflicting options: mac-address and the network mode"},
		{name: "endpoint MAC ignored before 1.44", version: "1.43",
			body: `{"Image":"busybox","NetworkingConfig":{"EndpointsConfig":{"n":{"MacAddress":"02:42:ac:11:00:99"}}}}`, status: 201,
			check: func(t *testing.T, fc *fakeContainers, _ container.CreateResponse) {
				if ep := fc.created.NetworkingConfig.EndpointsConfig["n"]; ep == nil || len(ep.MacAddress) != 0 {
					t.Fatalf("endpoint %+v", ep)
				}
			}},
		{name: "restart policy in 20.10's words before 1.44", version: "1.41",
			body: `{"Image":"busybox","HostConfig":{"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":-1}}}`, status: 400, message: "maximum retry count cannot be negative"},
		{name: "restart policy count with always, 20.10's words", version: "1.43",
			body: `{"Image":"busybox","HostConfig":{"RestartPolicy":{"Name":"always","MaximumRetryCount":3}}}`, status: 400, message: "maximum retry count cannot be used with restart policy 'always'"},
		{name: "valid restart policy before 1.44", version: "1.41",
			body: `{"Image":"busybox","HostConfig":{"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":2}}}`, status: 201},
		{name: "host settings at the top level without HostConfig", version: "1.41",
			body: `{"Image":"busybox","Runtime":"r1","Memory":8388608}`, status: 201,
			check: func(t *testing.T, fc *fakeContainers, _ container.CreateResponse) {
				if hc := fc.created.HostConfig; hc == nil || hc.Runtime != "r1" || hc.Memory != 8388608 {
					t.Fatalf("host config %+v", hc)
				}
			}},
		{name: "top-level memory fills HostConfig's zero", version: "1.41",
			body: `{"Image":"busybox","Memory":8388608,"Runtime":"ignored","HostConfig":{"CpusetCpus":"0"}}`, status: 201,
			check: func(t *testing.T, fc *fakeContainers, _ container.CreateResponse) {
				if hc := fc.created.HostConfig; hc.Memory != 8388608 || hc.CpusetCpus != "0" || hc.Runtime != "" {
					t.Fatalf("host config %+v", hc)
				}
			}},
		{name: "two networks refused before 1.44", version: "1.43",
			body: `{"Image":"busybox","NetworkingConfig":{"EndpointsConfig":{"b":{},"a":{}}}}`, status: 400, message: "Container cannot be created with multiple network endpoints: a, b"},
		{name: "two networks since 1.44", version: "1.44",
			body: `{"Image":"busybox","NetworkingConfig":{"EndpointsConfig":{"b":{},"a":{}}}}`, status: 201},
		{name: "subpath refused before 1.45", version: "1.44",
			body: `{"Image":"busybox","HostConfig":{"Mounts":[{"Type":"volume","Source":"v","Target":"/x","VolumeOptions":{"Subpath":"a"}}]}}`, status: 400, message: "VolumeOptions.Subpath needs API v1.45 or newer"},
		{name: "image mount refused before 1.48", version: "1.47",
			body: `{"Image":"busybox","HostConfig":{"Mounts":[{"Type":"image","Source":"alpine","Target":"/x"}]}}`, status: 400, message: `Mount type "Image" needs API v1.48 or newer`},
		{name: "mount options of another type refused since 1.42", version: "1.42",
			body: `{"Image":"busybox","HostConfig":{"Mounts":[{"Type":"bind","Source":"/tmp","Target":"/x","VolumeOptions":{}}]}}`, status: 400, message: `VolumeOptions must not be specified on mount type "bind"`},
		{name: "mount options of another type dropped before 1.42", version: "1.41",
			body: `{"Image":"busybox","HostConfig":{"Mounts":[{"Type":"bind","Source":"/tmp","Target":"/x","VolumeOptions":{},"BindOptions":{"CreateMountpoint":true}}]}}`, status: 201,
			check: func(t *testing.T, fc *fakeContainers, _ container.CreateResponse) {
				m := fc.created.HostConfig.Mounts[0]
				if m.VolumeOptions != nil || m.BindOptions.CreateMountpoint {
					t.Fatalf("mount %+v", m)
				}
			}},
		{name: "old fields ignored", version: "1.41",
			body: `{"Image":"busybox","Healthcheck":{"Test":["CMD","true"],"StartInterval":5000000000},"HostConfig":{"Annotations":{"a":"b"},"ConsoleSize":[10,20]},
				"NetworkingConfig":{"EndpointsConfig":{"n":{"GwPriority":3}}}}`, status: 201,
			check: func(t *testing.T, fc *fakeContainers, _ container.CreateResponse) {
				o := fc.created
				if o.Config.Healthcheck.StartInterval != 0 || o.HostConfig.Annotations != nil || o.HostConfig.ConsoleSize != [2]uint{} || o.NetworkingConfig.EndpointsConfig["n"].GwPriority != 0 {
					t.Fatalf("create options %+v %+v", o.Config.Healthcheck, o.HostConfig)
				}
			}},
		{name: "new fields kept", version: "1.48",
			body: `{"Image":"busybox","Healthcheck":{"Test":["CMD","true"],"StartInterval":5000000000},"HostConfig":{"Annotations":{"a":"b"},"ConsoleSize":[10,20]},
				"NetworkingConfig":{"EndpointsConfig":{"n":{"GwPriority":3}}}}`, status: 201,
			check: func(t *testing.T, fc *fakeContainers, _ container.CreateResponse) {
				o := fc.created
				if o.Config.Healthcheck.StartInterval == 0 || o.HostConfig.Annotations["a"] != "b" || o.HostConfig.ConsoleSize != [2]uint{10, 20} || o.NetworkingConfig.EndpointsConfig["n"].GwPriority != 3 {
					t.Fatalf("create options %+v %+v", o.Config.Healthcheck, o.HostConfig)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fc := &fakeContainers{}
			ts := newTestServer(t, fc)
			if c.status != 201 {
				apitest.CheckErrors(t, ts, []apitest.ErrorCase{{Method: "POST", Path: "/v" + c.version + "/containers/create", Body: c.body, Status: c.status, Message: c.message}})
				return
			}
			resp, out := apitest.Do(t, "POST", ts.URL+"/v"+c.version+"/containers/create", strings.NewReader(c.body))
			var cr container.CreateResponse
			if resp.StatusCode != 201 || json.Unmarshal(out, &cr) != nil {
				t.Fatalf("%d %s", resp.StatusCode, out)
			}
			if c.check != nil {
				c.check(t, fc, cr)
			}
		})
	}
}

// TestCreatePlatform: the platform parameter counts since API 1.41.
func TestCreatePlatform(t *testing.T) {
	for _, c := range []struct {
		path string
		want string // the platform passed on, "" for none
	}{
		{"/v1.40/containers/create?platform=linux/arm64", ""},
		{"/v1.41/containers/create?platform=linux/arm64", "linux/arm64"},
		{"/v1.41/containers/create", ""},
	} {
		fc := &fakeContainers{}
		ts := newTestServer(t, fc)
		resp, out := apitest.Do(t, "POST", ts.URL+c.path, strings.NewReader(`{"Image":"busybox"}`))
		if resp.StatusCode != 201 {
			t.Fatalf("%s: %d %s", c.path, resp.StatusCode, out)
		}
		got := ""
		if p := fc.created.Platform; p != nil {
			got = p.OS + "/" + p.Architecture
		}
		if got != c.want {
			t.Errorf("%s: platform %q, want %q", c.path, got, c.want)
		}
	}
	ts := newTestServer(t, &fakeContainers{})
	apitest.CheckErrors(t, ts, []apitest.ErrorCase{{Method: "POST", Path: "/v1.41/containers/create?platform=linux/x/y/z", Body: `{"Image":"busybox"}`, Status: 400, Message: "linux/x/y/z"}})
}
