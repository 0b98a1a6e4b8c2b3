package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	units "github.com/docker/go-units"

	"github.com/wharf/wharf/internal/config"
)

// options are wharfd's command line: dockerd's flag names (one dash or
// two), each setting the daemon.json key of the same meaning.
type options struct {
	configFile string
	validate   bool
	version    bool
	// criSocket and noCRI set keys inside daemon.json's "cri" object,
	// which the flag table's whole-key overlay would reset.
	criSocket string
	noCRI     bool
	// flags holds the settings given as flags; keys names those given.
	flags config.Config
	keys  map[string]string // daemon.json key → the flag's value, as dockerd prints it
}

// parseFlags reads wharfd's arguments.
func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("wharfd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	key := map[string]string{} // flag name → daemon.json key
	def := func(v flag.Value, k, usage string, names ...string) {
		for _, n := range names {
			fs.Var(v, n, usage)
			key[n] = k
		}
	}
	c := &o.flags
	fs.StringVar(&o.configFile, "config-file", "/etc/wharf/daemon.json", "daemon configuration file")
	fs.BoolVar(&o.validate, "validate", false, "validate the daemon configuration and exit")
	fs.BoolVar(&o.version, "v", false, "print the version and exit")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	fs.StringVar(&o.criSocket, "cri-socket", "", "the kubelet's CRI socket (default <exec-root>/cri.sock)")
	fs.BoolVar(&o.noCRI, "no-cri", false, "do not serve the CRI")
	def(strVal{&c.Root}, "data-root", "root of persistent state (default /var/lib/wharf)", "data-root")
	def(strVal{&c.ExecRoot}, "exec-root", "root of runtime state (default /run/wharf)", "exec-root")
	def(listVal{&c.Hosts}, "hosts", "daemon socket(s) to listen on: unix:///path, tcp://addr:port (with --tlsverify), fd:// (systemd)", "H", "host")
	def(strVal{&c.Group}, "group", "group for the unix sockets (default wharf if it exists, else root)", "G", "group")
	def(boolVal{&c.TLS}, "tls", "use TLS; implied by --tlsverify", "tls")
	def(boolVal{&c.TLSVerify}, "tlsverify", "use TLS and require client certificates signed by --tlscacert", "tlsverify")
	def(strVal{&c.TLSCACert}, "tlscacert", "trust client certificates signed by this CA only", "tlscacert")
	def(strVal{&c.TLSCert}, "tlscert", "path to the TLS certificate file", "tlscert")
	def(strVal{&c.TLSKey}, "tlskey", "path to the TLS key file", "tlskey")
	def(boolVal{&c.Debug}, "debug", "debug logging, and /debug/pprof on the API", "D", "debug")
	def(strVal{&c.DefaultRuntime}, "default-runtime", "default OCI runtime (default: crun where it is installed and works, else runc)", "default-runtime")
	def(runtimeVal{&c.Runtimes}, "runtimes", "register an OCI runtime, name=path (repeatable)", "add-runtime")
	def(strVal{&c.CgroupParent}, "cgroup-parent", "parent cgroup of all containers (default /wharf)", "cgroup-parent")
	def(strVal{&c.LogDriver}, "log-driver", "default driver for container logs (default json-file)", "log-driver")
	def(mapVal{&c.LogOpts}, "log-opts", "default log driver options, key=value", "log-opt")
	def(listVal{&c.RegistryMirrors}, "registry-mirrors", "preferred Docker Hub mirror", "registry-mirror")
	def(listVal{&c.InsecureRegistries}, "insecure-registries", "registry reachable over plain HTTP", "insecure-registry")
	def(listVal{&c.Labels}, "labels", "daemon label, key=value", "label")
	def(listVal{&c.DNS}, "dns", "DNS server for containers", "dns")
	def(listVal{&c.DNSSearch}, "dns-search", "DNS search domain for containers", "dns-search")
	def(listVal{&c.DNSOptions}, "dns-opts", "DNS option for containers", "dns-opt")
	def(sizeVal{&c.DefaultShmSize}, "default-shm-size", "default /dev/shm size for containers (default 64MiB)", "default-shm-size")
	def(strVal{&c.DefaultIpcMode}, "default-ipc-mode", "default IPC mode of containers: private or shareable (default private)", "default-ipc-mode")
	def(intVal{&c.MaxConcurrentDownloads}, "max-concurrent-downloads", "layers downloaded at once per pull (default 3)", "max-concurrent-downloads")
	def(intVal{&c.MaxConcurrentUploads}, "max-concurrent-uploads", "layers uploaded at once per push (default 5)", "max-concurrent-uploads")
	def(boolVal{&c.LiveRestore}, "live-restore", "accepted: containers always outlive wharfd", "live-restore")
	def(strVal{&c.StorageDriver}, "storage-driver", "storage driver (only overlay2)", "s", "storage-driver")
	def(boolVal{&c.IPTables}, "iptables", "let wharfd manage iptables rules (default true)", "iptables")
	def(boolVal{&c.IPMasq}, "ip-masq", "masquerade traffic leaving the bridges (default true)", "ip-masq")
	def(strVal{&c.Dashboard.Addr}, "dashboard", "serve the web dashboard on this address, e.g. 127.0.0.1:7380 (default off)", "dashboard")
	def(strVal{&c.BIP}, "bip", "the default bridge's address and prefix", "bip")
	def(boolVal{&c.IPv6}, "ipv6", "IPv6 on the default bridge (needs fixed-cidr-v6)", "ipv6")
	def(strVal{&c.FixedCIDRv6}, "fixed-cidr-v6", "the default bridge's IPv6 subnet", "fixed-cidr-v6")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("wharfd takes no arguments, got %q", fs.Args())
	}
	o.keys = map[string]string{}
	fs.Visit(func(f *flag.Flag) {
		if k, ok := key[f.Name]; ok {
			o.keys[k] = f.Value.String()
		}
	})
	return o, nil
}

// load builds the configuration: defaults, the file, then the flags.
func (o *options) load() (config.Config, error) {
	cfg := config.Default()
	if err := cfg.LoadFile(o.configFile, o.keys); err != nil {
		return cfg, err
	}
	keys := make([]string, 0, len(o.keys))
	for k := range o.keys {
		keys = append(keys, k)
	}
	cfg.Overlay(&o.flags, keys)
	if o.criSocket != "" {
		cfg.CRI.Socket = o.criSocket
	}
	cfg.CRI.Enabled = cfg.CRI.Enabled && !o.noCRI
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("merged configuration validation from file and command line flags failed: %w", err)
	}
	return cfg, nil
}

type strVal struct{ p *string }

func (v strVal) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}
func (v strVal) Set(s string) error { *v.p = s; return nil }

type boolVal struct{ p *bool }

func (v boolVal) String() string   { return strconv.FormatBool(v.p != nil && *v.p) }
func (v boolVal) IsBoolFlag() bool { return true }
func (v boolVal) Set(s string) error {
	b, err := strconv.ParseBool(s)
	*v.p = b
	return err
}

type intVal struct{ p *int }

func (v intVal) String() string {
	if v.p == nil {
		return "0"
	}
	return strconv.Itoa(*v.p)
}
func (v intVal) Set(s string) error {
	n, err := strconv.Atoi(s)
	*v.p = n
	return err
}

// listVal is a repeatable flag, printed as dockerd prints lists.
type listVal struct{ p *[]string }

func (v listVal) String() string {
	if v.p == nil {
		return "[]"
	}
	return "[" + strings.Join(*v.p, " ") + "]"
}
func (v listVal) Set(s string) error { *v.p = append(*v.p, s); return nil }

// mapVal is a repeatable key=value flag.
type mapVal struct{ p *map[string]string }

func (v mapVal) String() string {
	if v.p == nil {
		return "map[]"
	}
	return fmt.Sprint(*v.p)
}
func (v mapVal) Set(s string) error {
	k, val, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q is not key=value", s)
	}
	if *v.p == nil {
		*v.p = map[string]string{}
	}
	(*v.p)[k] = val
	return nil
}

// runtimeVal is dockerd's --add-runtime name=path: the runtime joins the
// built-in ones.
type runtimeVal struct{ p *map[string]config.Runtime }

func (v runtimeVal) String() string {
	if v.p == nil {
		return "[]"
	}
	var s []string
	for name, rt := range *v.p {
		s = append(s, name+"="+rt.Path)
	}
	slices.Sort(s)
	return "[" + strings.Join(s, " ") + "]"
}
func (v runtimeVal) Set(s string) error {
	name, path, ok := strings.Cut(s, "=")
	if !ok || name == "" || path == "" {
		return fmt.Errorf("invalid runtime argument: %s", s)
	}
	if *v.p == nil {
		*v.p = config.Default().Runtimes
	}
	(*v.p)[name] = config.Runtime{Path: path}
	return nil
}

type sizeVal struct{ p *config.MemBytes }

func (v sizeVal) String() string {
	if v.p == nil {
		return units.BytesSize(0)
	}
	return units.BytesSize(float64(*v.p))
}
func (v sizeVal) Set(s string) error {
	n, err := units.RAMInBytes(s)
	*v.p = config.MemBytes(n)
	return err
}
