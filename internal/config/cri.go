package config

// CRI is the "cri" object of daemon.json: wharfd's Container Runtime
// Interface server for the kubelet (internal/cri).
type CRI struct {
	// Enabled serves the CRI; true by default ("enabled": false or
	// --no-cri turns it off).
	Enabled bool `json:"enabled"`
	// Socket is the CRI's unix socket; "" is <exec-root>/cri.sock
	// (/run/wharf/cri.sock by default).
	Socket string `json:"socket,omitempty"`
	// CNIConfDir holds the pods' CNI configuration lists; CNIBinDirs the
	// plugins (Debian's containernetworking-plugins install to /usr/lib/cni).
	CNIConfDir string   `json:"cni-conf-dir,omitempty"`
	CNIBinDirs []string `json:"cni-bin-dirs,omitempty"`
	// StreamAddress is host:port of the streaming server that exec,
	// attach and port-forward connect to; "" is 127.0.0.1 on a free port.
	StreamAddress string `json:"stream-address,omitempty"`
}

func defaultCRI() CRI {
	return CRI{Enabled: true, CNIConfDir: "/etc/cni/net.d", CNIBinDirs: []string{"/usr/lib/cni", "/opt/cni/bin"}}
}
