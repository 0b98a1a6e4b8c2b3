package overlay

import (
	"errors"
	"net/netip"
	"sort"
	"strings"
	"testing"

	"github.com/moby/swarmkit/v2/api"
	"github.com/moby/swarmkit/v2/manager/allocator/networkallocator"
)

func overlayNet(id string, subnet string) *api.Network {
	n := &api.Network{ID: id, Spec: api.NetworkSpec{
		Annotations: api.Annotations{Name: id}, DriverConfig: &api.Driver{Name: Driver},
	}}
	if subnet != "" {
		n.Spec.IPAM = &api.IPAMOptions{Configs: []*api.IPAMConfig{{Subnet: subnet}}}
	}
	return n
}

func TestAllocateNetworks(t *testing.T) {
	a, err := NewAllocator(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n1, n2 := overlayNet("n1", ""), overlayNet("n2", "")
	for _, n := range []*api.Network{n1, n2} {
		if err := a.Allocate(n); err != nil {
			t.Fatal(err)
		}
		if !a.IsAllocated(n) {
			t.Fatal("not allocated")
		}
	}
	if got := n1.IPAM.Configs[0]; got.Subnet != "10.0.0.0/24" || got.Gateway != "10.0.0.1" {
		t.Fatalf("n1 ipam %+v", got)
	}
	if got := n2.IPAM.Configs[0].Subnet; got != "10.0.1.0/24" {
		t.Fatalf("n2 subnet %s", got)
	}
	if n1.DriverState.Options[OptVNIs] != "4096" || n2.DriverState.Options[OptVNIs] != "4097" {
		t.Fatalf("vnis %v %v", n1.DriverState.Options, n2.DriverState.Options)
	}
	// A user subnet that overlaps is refused; nothing is kept.
	bad := overlayNet("bad", "10.0.1.128/25")
	if err := a.Allocate(bad); !errors.Is(err, ErrPoolOverlap) || a.IsAllocated(bad) {
		t.Fatalf("overlap: %v", err)
	}
	// Freed resources are handed out again.
	if err := a.Deallocate(n1); err != nil {
		t.Fatal(err)
	}
	n3 := overlayNet("n3", "")
	if err := a.Allocate(n3); err != nil {
		t.Fatal(err)
	}
	if n3.IPAM.Configs[0].Subnet != "10.0.0.0/24" || n3.DriverState.Options[OptVNIs] != "4096" {
		t.Fatalf("n3 %v %v", n3.IPAM.Configs[0], n3.DriverState.Options)
	}
}

func TestAllocatorRestartKeepsWhatWasGiven(t *testing.T) {
	a, _ := NewAllocator([]string{"10.20.0.0/16"}, 26)
	n := overlayNet("n", "")
	if err := a.Allocate(n); err != nil {
		t.Fatal(err)
	}
	if n.IPAM.Configs[0].Subnet != "10.20.0.0/26" {
		t.Fatalf("subnet %s", n.IPAM.Configs[0].Subnet)
	}
	task := &api.Task{ID: "t", Endpoint: &api.Endpoint{}, Networks: []*api.NetworkAttachment{{Network: n}}}
	if err := a.AllocateTask(task); err != nil {
		t.Fatal(err)
	}
	addr := task.Networks[0].Addresses[0]
	// A new leader's allocator is fed the stored objects.
	b, _ := NewAllocator([]string{"10.20.0.0/16"}, 26)
	other := overlayNet("other", "")
	if err := b.Allocate(n); err != nil {
		t.Fatal(err)
	}
	if err := b.Allocate(other); err != nil {
		t.Fatal(err)
	}
	if other.IPAM.Configs[0].Subnet == n.IPAM.Configs[0].Subnet || other.DriverState.Options[OptVNIs] == n.DriverState.Options[OptVNIs] {
		t.Fatal("restarted allocator handed out a subnet or VNI in use")
	}
	if err := b.AllocateTask(task); err != nil || task.Networks[0].Addresses[0] != addr || !b.IsTaskAllocated(task) {
		t.Fatalf("task after restart: %v %v", err, task.Networks[0].Addresses)
	}
}

// A container's network-attachment task has no service and no endpoint:
// it is allocated once its address is.
func TestAttachmentTask(t *testing.T) {
	a, _ := NewAllocator(nil, 0)
	n := overlayNet("n", "10.9.1.0/24")
	if err := a.Allocate(n); err != nil {
		t.Fatal(err)
	}
	task := &api.Task{ID: "att", Spec: api.TaskSpec{Runtime: &api.TaskSpec_Attachment{Attachment: &api.NetworkAttachmentSpec{ContainerID: "c"}}},
		Networks: []*api.NetworkAttachment{{Network: n}}}
	if a.IsTaskAllocated(task) {
		t.Fatal("allocated before allocation")
	}
	if err := a.AllocateTask(task); err != nil || !a.IsTaskAllocated(task) || task.Networks[0].Addresses[0] != "10.9.1.2/24" {
		t.Fatalf("attachment: %v %v", err, task.Networks[0].Addresses)
	}
	if err := a.DeallocateTask(task); err != nil || a.IsTaskAllocated(task) {
		t.Fatalf("deallocate: %v", err)
	}
}

func TestServiceVIPsAndTasks(t *testing.T) {
	a, _ := NewAllocator(nil, 0)
	n := overlayNet("n", "10.9.0.0/29") // 5 usable addresses besides the gateway
	if err := a.Allocate(n); err != nil {
		t.Fatal(err)
	}
	s := &api.Service{ID: "s", Spec: api.ServiceSpec{Task: api.TaskSpec{Networks: []*api.NetworkAttachmentConfig{{Target: "n"}}}}}
	if a.IsServiceAllocated(s) {
		t.Fatal("allocated before allocation")
	}
	if err := a.AllocateService(s); err != nil {
		t.Fatal(err)
	}
	if !a.IsServiceAllocated(s) || len(s.Endpoint.VirtualIPs) != 1 || s.Endpoint.VirtualIPs[0].Addr != "10.9.0.2/29" {
		t.Fatalf("vips %+v", s.Endpoint.VirtualIPs)
	}
	// Allocating again keeps the VIP.
	if err := a.AllocateService(s); err != nil || s.Endpoint.VirtualIPs[0].Addr != "10.9.0.2/29" {
		t.Fatalf("again: %v %+v", err, s.Endpoint.VirtualIPs)
	}
	var tasks []*api.Task
	for i := 0; i < 4; i++ {
		task := &api.Task{ID: string(rune('a' + i)), Endpoint: s.Endpoint, Networks: []*api.NetworkAttachment{{Network: n}}}
		if err := a.AllocateTask(task); err != nil {
			t.Fatal(err)
		}
		tasks = append(tasks, task)
	}
	full := &api.Task{ID: "full", Endpoint: s.Endpoint, Networks: []*api.NetworkAttachment{{Network: n}}}
	if err := a.AllocateTask(full); err == nil || a.IsTaskAllocated(full) {
		t.Fatalf("pool exhausted: %v", err)
	}
	if err := a.DeallocateTask(tasks[0]); err != nil {
		t.Fatal(err)
	}
	if err := a.AllocateTask(full); err != nil || !a.IsTaskAllocated(full) {
		t.Fatalf("after a release: %v", err)
	}
	// dnsrr: no VIP.
	s.Spec.Endpoint = &api.EndpointSpec{Mode: api.ResolutionModeDNSRoundRobin}
	if a.IsServiceAllocated(s) {
		t.Fatal("dnsrr change not noticed")
	}
	if err := a.AllocateService(s); err != nil || len(s.Endpoint.VirtualIPs) != 0 || !a.IsServiceAllocated(s) {
		t.Fatalf("dnsrr: %v %+v", err, s.Endpoint.VirtualIPs)
	}
}

func TestIngressAttachmentsAndPorts(t *testing.T) {
	a, _ := NewAllocator(nil, 0)
	in := overlayNet("ingress", "")
	in.Spec.Ingress = true
	if err := a.Allocate(in); err != nil {
		t.Fatal(err)
	}
	node := &api.Node{ID: "node1"}
	att := &api.NetworkAttachment{Network: in}
	if a.IsAttachmentAllocated(node, att) {
		t.Fatal("allocated before")
	}
	if err := a.AllocateAttachment(node, att); err != nil || !a.IsAttachmentAllocated(node, att) {
		t.Fatalf("attachment: %v", err)
	}
	s := &api.Service{ID: "web", Spec: api.ServiceSpec{Endpoint: &api.EndpointSpec{Ports: []*api.PortConfig{{TargetPort: 80, PublishedPort: 8080, PublishMode: api.PublishModeIngress}}}}}
	if !networkallocator.IsIngressNetworkNeeded(s) {
		t.Fatal("ingress not needed?")
	}
	if err := a.AllocateService(s); err != nil || len(s.Endpoint.VirtualIPs) != 1 || s.Endpoint.VirtualIPs[0].NetworkID != "ingress" {
		t.Fatalf("ingress vip: %v %+v", err, s.Endpoint)
	}
	if !a.IsServiceAllocated(s) {
		t.Fatal("not allocated")
	}
	if err := a.DeallocateAttachment(node, att); err != nil || a.IsAttachmentAllocated(node, att) {
		t.Fatal("deallocate attachment")
	}
}

func TestNodeLocalNetworks(t *testing.T) {
	a, _ := NewAllocator(nil, 0)
	n := &api.Network{ID: "b", Spec: api.NetworkSpec{DriverConfig: &api.Driver{Name: "bridge"}}}
	if err := a.Allocate(n); err != nil {
		t.Fatal(err)
	}
	task := &api.Task{ID: "t", Endpoint: &api.Endpoint{}, Networks: []*api.NetworkAttachment{{Network: n}}}
	if err := a.AllocateTask(task); err != nil || len(task.Networks[0].Addresses) != 0 || !a.IsTaskAllocated(task) {
		t.Fatalf("node-local: %v", err)
	}
}

func TestProviderRefusesEncryption(t *testing.T) {
	var p Provider
	if err := p.ValidateNetworkDriver(&api.Driver{Name: Driver, Options: map[string]string{OptEncrypted: ""}}); err == nil {
		t.Fatal("encrypted accepted")
	}
	if err := p.ValidateNetworkDriver(&api.Driver{Name: "weave"}); err == nil {
		t.Fatal("unknown driver accepted")
	}
	if err := p.ValidateNetworkDriver(&api.Driver{Name: Driver}); err != nil {
		t.Fatal(err)
	}
}

func TestLookup(t *testing.T) {
	n := NewNode(NodeConfig{Root: t.TempDir()})
	n.self = "me"
	n.nets["net"] = &nodeNet{spec: netSpec{ID: "net", VNI: 4096}}
	ip := func(s string) netip.Addr { return netip.MustParseAddr(s) }
	n.tasks["t1"] = localTask{ns: "/proc/1/ns/net", eps: []localEP{{Net: "net", Addr: netip.MustParsePrefix("10.0.0.3/24"), Svc: "st_web", VIP: ip("10.0.0.2"), Aliases: "web"}}}
	n.remote["other"] = nodeState{Version: 1, Entries: []Entry{
		{Net: "net", IP: ip("10.0.0.4"), Svc: "st_web", VIP: ip("10.0.0.2"), Aliases: "web"},
		{Net: "net", IP: ip("10.0.0.6"), Svc: "rr"},
		{Net: "elsewhere", IP: ip("10.9.0.6"), Svc: "st_web"},
	}}
	for _, c := range []struct {
		name string
		want []string
	}{
		{"st_web", []string{"10.0.0.2"}},
		{"web", []string{"10.0.0.2"}},
		{"tasks.web", []string{"10.0.0.3", "10.0.0.4"}},
		{"rr", []string{"10.0.0.6"}},
		{"nope", nil},
	} {
		got, ok := n.Lookup("net", c.name)
		var s []string
		for _, a := range got {
			s = append(s, a.String())
		}
		sort.Strings(s)
		if ok != (c.want != nil) || strings.Join(s, " ") != strings.Join(c.want, " ") {
			t.Errorf("%s: %v %v, want %v", c.name, s, ok, c.want)
		}
	}
	if r := n.rulesFor(n.tasks["t1"]); !strings.Contains(r, "ip daddr 10.0.0.2 dnat to numgen inc mod 2 map { 0 : 10.0.0.3, 1 : 10.0.0.4 }") {
		t.Errorf("rules:\n%s", r)
	}
	// A task only on ingress (its VIP there resolves from nowhere) or on
	// networks without VIPs gets no nat table: its namespace tracks
	// nothing.
	n.nets["ing"] = &nodeNet{net: &api.Network{ID: "ing", Spec: api.NetworkSpec{Ingress: true}}}
	n.tasks["t2"] = localTask{ns: "/proc/2/ns/net", eps: []localEP{{Net: "ing", Addr: netip.MustParsePrefix("10.255.0.5/16"), Svc: "pub", VIP: ip("10.255.0.2")}}}
	n.nets["solo"] = &nodeNet{net: &api.Network{ID: "solo"}}
	n.tasks["t3"] = localTask{ns: "/proc/3/ns/net", eps: []localEP{{Net: "solo", Addr: netip.MustParsePrefix("10.0.8.7/24"), Svc: "rr"}}}
	n.remote["other"] = nodeState{Version: 2, Entries: []Entry{{Net: "ing", IP: ip("10.255.0.6"), Svc: "pub", VIP: ip("10.255.0.2")}}}
	for _, id := range []string{"t2", "t3"} {
		if r := n.rulesFor(n.tasks[id]); r != "table ip wharf_vip\ndelete table ip wharf_vip\n" {
			t.Errorf("%s's rules:\n%s", id, r)
		}
	}
}
