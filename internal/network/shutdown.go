package network

import "github.com/wharf/wharf/internal/network/firewall"

// Shutdown is the network service's part of a clean stop of wharfd. With
// a container attached nothing changes: the container outlives wharfd,
// and its ports and outbound traffic need the rules. With none, the
// bridges' rules go, and then wharf's chains and their jumps if nothing
// else is in them (another wharfd on the host may use them); WHARF-USER,
// the user's, stays. The bridges stay (as dockerd's docker0), and the
// next wharfd puts the rules back.
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
	for _, b := range bridges {
		s.fw.Remove(firewall.BridgeRules(b))
	}
	removed, err := s.fw.TeardownIfUnused()
	switch {
	case err != nil:
		s.log.Warn("removing the firewall rules", "err", err)
	case removed:
		s.log.Info("removed wharf's firewall rules (WHARF-USER stays)")
	default:
		s.log.Info("removed this wharfd's firewall rules; kept wharf's chains, which hold another wharfd's")
	}
}
