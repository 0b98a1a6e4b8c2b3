package network

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/wharf/wharf/internal/network/firewall"
)

// Shutdown is the network service's part of a clean stop of wharfd. With
// a container attached nothing changes: the container outlives wharfd,
// and its ports and outbound traffic need the rules. With none, the
// bridges' rules go, and then wharf's chains and their jumps if nothing
// else is in them; WHARF-USER, the user's, stays. The default bridge's
// rules and the chains are shared by every wharfd in this network
// namespace (each names its default bridge wharf0), so while another
// wharfd runs here they stay. The bridges stay (as dockerd's docker0),
// and the next wharfd puts the rules back.
func (s *Service) Shutdown() {
	s.mu.Lock()
	attached := len(s.sandboxes)
	var bridges []firewall.Bridge
	for _, r := range s.networks {
		if r.Driver == "bridge" {
			bridges = append(bridges, r.fwBridge(s.masquerade(r)))
		}
	}
	s.mu.Unlock()
	if attached > 0 {
		s.log.Info("kept the firewall rules: containers still running use them", "containers", attached)
		return
	}
	shared := otherDaemonHere()
	for _, b := range bridges {
		if shared && b.Name == DefaultBridge {
			continue
		}
		s.fw.Remove(firewall.BridgeRules(b))
	}
	if shared {
		s.log.Info("removed this wharfd's networks' firewall rules; kept the default bridge's and wharf's chains, which another wharfd here uses")
		return
	}
	removed, err := s.fw.TeardownIfUnused()
	switch {
	case err != nil:
		s.log.Warn("removing the firewall rules", "err", err)
	case removed:
		s.log.Info("removed wharf's firewall rules (WHARF-USER stays)")
	default:
		s.log.Info("removed this wharfd's firewall rules; kept wharf's chains, which hold other rules")
	}
}

// otherDaemonHere reports whether another wharfd process runs in this
// process's network namespace (whose iptables rules it shares).
func otherDaemonHere() bool {
	self, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		return false
	}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", d.Name(), "exe"))
		if err != nil || strings.TrimSuffix(filepath.Base(exe), " (deleted)") != "wharfd" {
			continue
		}
		if ns, err := os.Readlink(filepath.Join("/proc", d.Name(), "ns/net")); err == nil && ns == self {
			return true
		}
	}
	return false
}
