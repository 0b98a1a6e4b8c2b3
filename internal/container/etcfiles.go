package container

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/wharf/wharf/internal/fsutil"
)

// writeEtcFiles prepares the /etc/hostname, /etc/hosts and
// /etc/resolv.conf that are bind-mounted into the container.
func (s *Service) writeEtcFiles(c *Container) error {
	dir := s.dir(c.ID)
	host := c.Config.Hostname
	if c.HostConfig.NetworkMode.IsHost() {
		h, err := os.Hostname()
		if err != nil {
			return err
		}
		host = h
	}
	var hosts bytes.Buffer
	hosts.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	hosts.WriteString("fe00::\tip6-localnet\nff00::\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n")
	if c.HostConfig.NetworkMode.IsHost() {
		if data, err := os.ReadFile("/etc/hosts"); err == nil {
			hosts.Reset()
			hosts.Write(data)
		}
	}
	for _, h := range c.HostConfig.ExtraHosts {
		name, ip, ok := cutHost(h)
		if ok {
			fmt.Fprintf(&hosts, "%s\t%s\n", ip, name)
		}
	}
	resolv, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		resolv = nil
	}
	files := map[string][]byte{"hostname": []byte(host + "\n")}
	if !s.networkWritesEtc(c) {
		files["hosts"], files["resolv.conf"] = hosts.Bytes(), resolv
	}
	for name, data := range files {
		if err := fsutil.WriteFileAtomic(filepath.Join(dir, name), data, 0o644, false); err != nil {
			return err
		}
	}
	return nil
}

// cutHost splits an --add-host entry, "name:ip" or "name=ip".
func cutHost(h string) (name, ip string, ok bool) {
	for i := 0; i < len(h); i++ {
		if h[i] == ':' || h[i] == '=' {
			return h[:i], h[i+1:], true
		}
	}
	return "", "", false
}
