package cri

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sort"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/invoke"
	types100 "github.com/containernetworking/cni/pkg/types/100"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// cniNetwork sets up pods' networks with the CNI plugins, the way
// containerd and CRI-O do: the first configuration list (by file name)
// in the conf dir, interface eth0, port mappings through the portmap
// plugin's capability. The conf dir is read at every call, so a fixed
// configuration is picked up without a restart.
type cniNetwork struct {
	confDir string
	binDirs []string
	cni     *libcni.CNIConfig
}

// ifName is the pod's interface, as in every CRI runtime.
const ifName = "eth0"

func newCNINetwork(confDir string, binDirs []string, cacheDir string) *cniNetwork {
	return &cniNetwork{
		confDir: confDir,
		binDirs: binDirs,
		cni:     libcni.NewCNIConfigWithCacheDir(binDirs, cacheDir, nil),
	}
}

// load reads the configuration list the pods use.
func (n *cniNetwork) load() (*libcni.NetworkConfigList, error) {
	files, err := libcni.ConfFiles(n.confDir, []string{".conf", ".conflist", ".json"})
	if err != nil {
		return nil, fmt.Errorf("cni config: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("cni config uninitialized: no network configuration in %s", n.confDir)
	}
	sort.Strings(files)
	var errList []error
	for _, f := range files {
		list, err := libcni.NetworkConfFromFile(f)
		if err != nil {
			errList = append(errList, err)
			continue
		}
		if len(list.Plugins) == 0 {
			errList = append(errList, fmt.Errorf("%s: no plugins", f))
			continue
		}
		return list, nil
	}
	return nil, fmt.Errorf("cni config: no valid network configuration in %s: %w", n.confDir, errors.Join(errList...))
}

// ready says why pods cannot get networks, nil if they can: the list
// loads and every plugin it names is installed.
func (n *cniNetwork) ready() error {
	_, err := n.readyList()
	return err
}

// readyList is the configuration list pods get, if it loads and its
// plugins are installed.
func (n *cniNetwork) readyList() (*libcni.NetworkConfigList, error) {
	list, err := n.load()
	if err != nil {
		return nil, err
	}
	for _, p := range list.Plugins {
		if _, err := invoke.FindInPath(p.Network.Type, n.binDirs); err != nil {
			return nil, fmt.Errorf("cni plugin %q of %s: %w", p.Network.Type, list.Name, err)
		}
	}
	return list, nil
}

// podRuntimeConf is the CNI call's description of a pod.
func podRuntimeConf(id, netns string, cfg *runtimeapi.PodSandboxConfig) *libcni.RuntimeConf {
	md := cfg.GetMetadata()
	rt := &libcni.RuntimeConf{
		ContainerID: id,
		NetNS:       netns,
		IfName:      ifName,
		Args: [][2]string{
			{"IgnoreUnknown", "1"},
			{"K8S_POD_NAMESPACE", md.GetNamespace()},
			{"K8S_POD_NAME", md.GetName()},
			{"K8S_POD_INFRA_CONTAINER_ID", id},
			{"K8S_POD_UID", md.GetUid()},
		},
		CapabilityArgs: map[string]any{},
	}
	var ports []map[string]any
	for _, p := range cfg.GetPortMappings() {
		if p.HostPort <= 0 {
			continue
		}
		proto := "tcp"
		switch p.Protocol {
		case runtimeapi.Protocol_UDP:
			proto = "udp"
		case runtimeapi.Protocol_SCTP:
			proto = "sctp"
		}
		ports = append(ports, map[string]any{
			"hostPort": p.HostPort, "containerPort": p.ContainerPort, "protocol": proto, "hostIP": p.HostIp,
		})
	}
	if len(ports) > 0 {
		rt.CapabilityArgs["portMappings"] = ports
	}
	return rt
}

// withoutLoopback is list without its loopback plugins: wharf brings the
// pod's lo up itself when it makes the namespace (setLoopbackUp), which
// is all that plugin does, and saves a plugin process per pod start
// (about a third of RunPodSandbox's time).
func withoutLoopback(list *libcni.NetworkConfigList) *libcni.NetworkConfigList {
	cp := *list
	cp.Plugins = nil
	for _, p := range list.Plugins {
		if p.Network.Type != "loopback" {
			cp.Plugins = append(cp.Plugins, p)
		}
	}
	return &cp
}

// setUp adds the pod at netns to list's network and returns its
// addresses, the first one the pod's.
func (n *cniNetwork) setUp(ctx context.Context, list *libcni.NetworkConfigList, id, netns string, cfg *runtimeapi.PodSandboxConfig) ([]string, error) {
	if list = withoutLoopback(list); len(list.Plugins) == 0 {
		return nil, nil
	}
	res, err := n.cni.AddNetworkList(ctx, list, podRuntimeConf(id, netns, cfg))
	if err != nil {
		return nil, fmt.Errorf("cni add %s: %w", list.Name, err)
	}
	cur, err := types100.NewResultFromResult(res)
	if err != nil {
		return nil, fmt.Errorf("cni result: %w", err)
	}
	var ips []string
	for _, ip := range cur.IPs {
		if ip.Interface != nil && *ip.Interface < len(cur.Interfaces) && cur.Interfaces[*ip.Interface].Name != ifName {
			continue
		}
		ips = append(ips, ip.Address.IP.String())
	}
	// IPv4 first, as the kubelet takes the first for status.podIP.
	sort.SliceStable(ips, func(i, j int) bool { return net.ParseIP(ips[i]).To4() != nil && net.ParseIP(ips[j]).To4() == nil })
	return ips, nil
}

// tearDown removes the pod from the network; repeating it is harmless,
// and a namespace that is already gone still gets its address released.
func (n *cniNetwork) tearDown(ctx context.Context, id, netns string, cfg *runtimeapi.PodSandboxConfig) error {
	list, err := n.load()
	if err != nil {
		return err
	}
	if list = withoutLoopback(list); len(list.Plugins) == 0 {
		return nil
	}
	if _, err := os.Stat(netns); err != nil {
		netns = ""
	}
	if err := n.cni.DelNetworkList(ctx, list, podRuntimeConf(id, netns, cfg)); err != nil {
		return fmt.Errorf("cni del %s: %w", list.Name, err)
	}
	return nil
}
