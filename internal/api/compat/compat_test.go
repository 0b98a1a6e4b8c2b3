package compat

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/moby/moby/client/pkg/versions"

	"github.com/wharf/wharf/internal/api/httputil"
	"github.com/wharf/wharf/internal/version"
)

func TestTable(t *testing.T) {
	ids := map[ID]bool{}
	for i, g := range table {
		if g.Route == "" || g.Change == "" {
			t.Errorf("gate %d (%s): no route or change", i, g.ID)
		}
		if versions.LessThan(g.Since, "1.25") || versions.GreaterThan(g.Since, version.APIVersion) {
			t.Errorf("gate %d (%s): version %s outside 1.25..%s", i, g.ID, g.Since, version.APIVersion)
		}
		if i > 0 && versions.GreaterThan(g.Since, table[i-1].Since) {
			t.Errorf("gate %d (%s): %s after %s; the table is newest first", i, g.ID, g.Since, table[i-1].Since)
		}
		if g.Old == nil && g.ID == "" {
			t.Errorf("gate %d: a request gate needs an ID for its handler", i)
		}
		if g.ID != "" {
			if ids[g.ID] {
				t.Errorf("gate %s twice", g.ID)
			}
			ids[g.ID] = true
		}
	}
}

func at(v string) context.Context { return httputil.WithVersion(context.Background(), v) }

func TestBefore(t *testing.T) {
	if !Before(at("1.41"), VolumePruneAnonymousOnly) || Before(at("1.42"), VolumePruneAnonymousOnly) || Before(at(version.APIVersion), VolumePruneAnonymousOnly) {
		t.Fatal("volume prune gate at 1.41/1.42/newest")
	}
	if Before(context.Background(), VolumePruneAnonymousOnly) {
		t.Fatal("a request without a version is of the newest")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("an unknown gate must panic")
		}
	}()
	Before(at("1.41"), "no-such-gate")
}

// shapeCase is a route's newest response, and what a version gets.
type shapeCase struct {
	name, route, version string
	in, want             string
}

func TestShape(t *testing.T) {
	const inspect = `{"Id":"0123456789abcdef0123","Config":{"Hostname":"h1","Image":"busybox"},
		"HostConfig":{"NetworkMode":"bridge"},"ImageManifestDescriptor":{"digest":"sha256:1"},
		"NetworkSettings":{"SandboxID":"s","Networks":{
			"bridge":{"IPAddress":"172.17.0.2","Gateway":"172.17.0.1","IPPrefixLen":16,"MacAddress":"02:42:ac:11:00:02","EndpointID":"e1","Aliases":null},
			"mynet":{"IPAddress":"10.0.0.2","Aliases":["web"]}}}}`
	const image = `{"Id":"sha256:abc","RepoTags":[],"RepoDigests":[],"Size":100,"Config":{"Cmd":["sh"]},
		"Descriptor":{"digest":"sha256:d"},"Identity":{"x":1}}`
	cases := []shapeCase{
		{"newest untouched", ContainerInspect, version.APIVersion, inspect, inspect},
		{"inspect 1.51", ContainerInspect, "1.51", inspect, `{"Id":"0123456789abcdef0123","Config":{"Hostname":"h1","Image":"busybox","OnBuild":null},
			"HostConfig":{"NetworkMode":"bridge"},"ImageManifestDescriptor":{"digest":"sha256:1"},
			"NetworkSettings":{"SandboxID":"s","Bridge":"","HairpinMode":false,"LinkLocalIPv6Address":"","LinkLocalIPv6PrefixLen":0,
				"SecondaryIPAddresses":null,"SecondaryIPv6Addresses":null,"EndpointID":"e1","Gateway":"172.17.0.1",
				"GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"IPAddress":"172.17.0.2","IPPrefixLen":16,"IPv6Gateway":"","MacAddress":"02:42:ac:11:00:02",
				"Networks":{
				"bridge":{"IPAddress":"172.17.0.2","Gateway":"172.17.0.1","IPPrefixLen":16,"MacAddress":"02:42:ac:11:00:02","EndpointID":"e1","Aliases":null},
				"mynet":{"IPAddress":"10.0.0.2","Aliases":["web"]}}}}`},
		{"inspect 1.41", ContainerInspect, "1.41", inspect, `{"Id":"0123456789abcdef0123","Config":{"Hostname":"h1","Image":"busybox","OnBuild":null},
			"HostConfig":{"NetworkMode":"bridge","KernelMemory":0,"KernelMemoryTCP":0},
			"NetworkSettings":{"SandboxID":"s","Bridge":"","HairpinMode":false,"LinkLocalIPv6Address":"","LinkLocalIPv6PrefixLen":0,
				"SecondaryIPAddresses":null,"SecondaryIPv6Addresses":null,"EndpointID":"e1","Gateway":"172.17.0.1",
				"GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"IPAddress":"172.17.0.2","IPPrefixLen":16,"IPv6Gateway":"","MacAddress":"02:42:ac:11:00:02",
				"Networks":{
				"bridge":{"IPAddress":"172.17.0.2","Gateway":"172.17.0.1","IPPrefixLen":16,"MacAddress":"02:42:ac:11:00:02","EndpointID":"e1","Aliases":null},
				"mynet":{"IPAddress":"10.0.0.2","Aliases":["web","0123456789ab","h1"]}}}}`},

		{"list 1.51", ContainerList, "1.51", `[{"Id":"a","Health":{"Status":"healthy"},"HostConfig":{"NetworkMode":"bridge","Annotations":{"k":"v"}}}]`,
			`[{"Id":"a","HostConfig":{"NetworkMode":"bridge","Annotations":{"k":"v"}}}]`},
		{"list 1.45", ContainerList, "1.45", `[{"Id":"a","ImageManifestDescriptor":{},"HostConfig":{"NetworkMode":"bridge","Annotations":{"k":"v"}}}]`,
			`[{"Id":"a","HostConfig":{"NetworkMode":"bridge"}}]`},

		{"image newest", ImageInspect, version.APIVersion, image, withContainerConfig(image)},
		{"image 1.52", ImageInspect, "1.52", image, withContainerConfig(`{"Id":"sha256:abc","RepoTags":[],"RepoDigests":[],"Size":100,"Config":{"Cmd":["sh"]},"Descriptor":{"digest":"sha256:d"}}`)},
		{"image 1.51", ImageInspect, "1.51", image, withContainerConfig(`{"Id":"sha256:abc","RepoTags":[],"RepoDigests":[],"Size":100,"Descriptor":{"digest":"sha256:d"},
			"Parent":"","Comment":"","DockerVersion":"","Author":"",
			"Config":{"Cmd":["sh"],"Entrypoint":null,"Env":null,"Labels":null,"OnBuild":null,"User":"","Volumes":null,"WorkingDir":""}}`)},
		{"image 1.44 (docker-compose 1.29)", ImageInspect, "1.44", image, `{"Id":"sha256:abc","RepoTags":[],"RepoDigests":[],"Size":100,
			"Parent":"","Comment":"","DockerVersion":"","Author":"","Container":"","ContainerConfig":{
				"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,
				"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":null,"Image":"","Volumes":null,"WorkingDir":"",
				"Entrypoint":null,"OnBuild":null,"Labels":null},
			"Config":{"Cmd":["sh"],"Entrypoint":null,"Env":null,"Labels":null,"OnBuild":null,"User":"","Volumes":null,"WorkingDir":"",
				"Hostname":"","Domainname":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Image":""}}`},
		{"image 1.43", ImageInspect, "1.43", `{"Id":"x","Size":7,"Created":"2024-01-01T00:00:00Z","Parent":"p","Config":{}}`, `{"Id":"x","Size":7,"VirtualSize":7,
			"Created":"2024-01-01T00:00:00Z","Parent":"p","Comment":"","DockerVersion":"","Author":"","Container":"","ContainerConfig":{
				"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,
				"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":null,"Image":"","Volumes":null,"WorkingDir":"",
				"Entrypoint":null,"OnBuild":null,"Labels":null},
			"Config":{"Cmd":null,"Entrypoint":null,"Env":null,"Labels":null,"OnBuild":null,"User":"","Volumes":null,"WorkingDir":"",
				"Hostname":"","Domainname":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Image":""}}`},

		{"images 1.50", ImageList, "1.50", `[{"Id":"a","RepoTags":["a:1"],"RepoDigests":[],"Size":5,"Containers":2,"Descriptor":{}}]`,
			`[{"Id":"a","RepoTags":["a:1"],"RepoDigests":[],"Size":5,"Containers":-1,"Descriptor":{}}]`},
		{"images 1.42", ImageList, "1.42", `[{"Id":"a","RepoTags":[],"RepoDigests":[],"Size":5,"Containers":2,"Descriptor":{},"Manifests":[]},{"Id":"b","RepoTags":["b:1"],"RepoDigests":[],"Size":9,"Containers":0}]`,
			`[{"Id":"a","RepoTags":["<none>:<none>"],"RepoDigests":["<none>@<none>"],"Size":5,"VirtualSize":5,"Containers":-1},
			  {"Id":"b","RepoTags":["b:1"],"RepoDigests":[],"Size":9,"VirtualSize":9,"Containers":-1}]`},
		{"images 1.43 big size", ImageList, "1.43", `[{"Id":"a","RepoTags":["a"],"Size":9007199254740993}]`,
			`[{"Id":"a","RepoTags":["a"],"Size":9007199254740993,"VirtualSize":9007199254740993,"Containers":-1}]`},

		{"df 1.41", SystemDF, "1.41", `{"LayersSize":5,"Images":[],"Containers":[]}`,
			`{"LayersSize":5,"Images":[],"Containers":[],"BuilderSize":0}`},
		{"df 1.43", SystemDF, "1.43", `{"LayersSize":5,"Images":[{"Id":"a","Size":5}],"Containers":[]}`,
			`{"LayersSize":5,"Images":[{"Id":"a","Size":5,"VirtualSize":5}],"Containers":[]}`},

		{"info 1.41", SystemInfo, "1.41", `{"ID":"x","NRI":{},"FirewallBackend":{"Driver":"iptables"},"Containerd":{"Address":"a"},"DiscoveredDevices":[],
			"ContainerdCommit":{"ID":"c1"},"RuncCommit":{"ID":"r1"},"InitCommit":{"ID":"i1"},"RegistryConfig":{"IndexConfigs":{}},
			"Runtimes":{"runc":{"path":"runc","status":{"a":"b"}}}}`,
			`{"ID":"x","ContainerdCommit":{"ID":"c1","Expected":"c1"},"RuncCommit":{"ID":"r1","Expected":"r1"},"InitCommit":{"ID":"i1","Expected":"i1"},
			"RegistryConfig":{"IndexConfigs":{},"AllowNondistributableArtifactsCIDRs":null,"AllowNondistributableArtifactsHostnames":null},
			"BridgeNfIptables":false,"BridgeNfIp6tables":false,"Runtimes":{"runc":{"path":"runc"}},"KernelMemory":false,"KernelMemoryTCP":false}`},

		{"network 1.51", NetworkInspect, "1.51", `{"Name":"n","Status":{"IPAM":{}}}`, `{"Name":"n"}`},
		{"network 1.47", NetworkInspect, "1.47", `{"Name":"n","EnableIPv4":true,"EnableIPv6":false}`, `{"Name":"n","EnableIPv6":false}`},
		{"network list 1.41", NetworkList, "1.41", `[{"Name":"n","EnableIPv4":true}]`, `[{"Name":"n"}]`},
		{"info 1.41 (cdi, kmem)", SystemInfo, "1.41", `{"CDISpecDirs":[],"ID":"x"}`, `{"ID":"x","KernelMemory":false,"KernelMemoryTCP":false,"BridgeNfIptables":false,"BridgeNfIp6tables":false}`},

		{"container event 1.41", Events, "1.41", `{"Type":"container","Action":"start","Actor":{"ID":"c1","Attributes":{"image":"busybox","name":"x"}},"time":1,"timeNano":1000000000}`,
			`{"Type":"container","Action":"start","Actor":{"ID":"c1","Attributes":{"image":"busybox","name":"x"}},"time":1,"timeNano":1000000000,"status":"start","id":"c1","from":"busybox"}`},
		{"image event 1.51", Events, "1.51", `{"Type":"image","Action":"tag","Actor":{"ID":"sha256:1","Attributes":{"name":"a:1"}}}`,
			`{"Type":"image","Action":"tag","Actor":{"ID":"sha256:1","Attributes":{"name":"a:1"}},"status":"tag","id":"sha256:1"}`},
		{"network event 1.41", Events, "1.41", `{"Type":"network","Action":"create","Actor":{"ID":"n1"}}`, `{"Type":"network","Action":"create","Actor":{"ID":"n1"}}`},
		{"container event 1.52", Events, "1.52", `{"Type":"container","Action":"die","Actor":{"ID":"c1","Attributes":{"image":"busybox"}}}`,
			`{"Type":"container","Action":"die","Actor":{"ID":"c1","Attributes":{"image":"busybox"}},"status":"die","id":"c1","from":"busybox"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var in any
			if err := json.Unmarshal([]byte(c.in), &in); err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(Shape(at(c.version), c.route, json.RawMessage(c.in)))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Count(string(got), "9007199254740993") != strings.Count(c.want, "9007199254740993") {
				t.Errorf("a big number lost digits: %s", got)
			}
			if !sameJSON(t, got, []byte(c.want)) {
				t.Errorf("%s at %s:\n got %s\nwant %s", c.route, c.version, got, c.want)
			}
		})
	}
}

// TestShapeNewestIsIdentity: with no gate applying, Shape hands back the
// very value, so the newest clients pay nothing.
func TestShapeNewestIsIdentity(t *testing.T) {
	v := &struct{ A int }{1}
	if Shape(at(version.APIVersion), ContainerInspect, v) != any(v) {
		t.Fatal("newest version: value was re-encoded")
	}
}

// withContainerConfig adds the Container and ContainerConfig that image
// inspect keeps at every version.
func withContainerConfig(js string) string {
	var m map[string]any
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		panic(err)
	}
	m["Container"] = ""
	m["ContainerConfig"] = emptyContainerConfig()
	out, _ := json.Marshal(m)
	return string(out)
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("want: %v", err)
	}
	return reflect.DeepEqual(x, y)
}

// FuzzShape: any JSON a handler could send, at any version and route,
// is rewritten without a panic into JSON that encodes.
func FuzzShape(f *testing.F) {
	f.Add("1.41", `{"NetworkSettings":{"Networks":{"bridge":{"IPAddress":"x"},"n":{"Aliases":[1,{}]}}},"Config":[]}`)
	f.Add("1.24", `[{"RepoTags":null,"Size":"x"},3,null]`)
	f.Add("1.43", `{"Type":"container","Actor":{"Attributes":7}}`)
	f.Add("1.44", `{"Runtimes":[1,{"status":2}],"ContainerdCommit":"x","RegistryConfig":null}`)
	routes := []string{ContainerInspect, ContainerList, ImageInspect, ImageList, SystemInfo, SystemDF, Events, NetworkInspect, NetworkList}
	f.Fuzz(func(t *testing.T, v, doc string) {
		if !json.Valid([]byte(doc)) {
			return
		}
		for _, r := range routes {
			if _, err := json.Marshal(Shape(at(v), r, json.RawMessage(doc))); err != nil {
				t.Fatalf("%s at %s: %v", r, v, err)
			}
		}
	})
}
