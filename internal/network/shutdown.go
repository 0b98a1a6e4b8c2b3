package network

// Shutdown is the network service's part of a clean stop of wharfd: with
// no container attached, wharf's firewall chains and jumps go (WHARF-USER
// stays, the user's); a container still running keeps them all, since
// it outlives wharfd and its ports and outbound traffic need them. The
// bridges stay either way (as dockerd's docker0), and the next wharfd
// puts the rules back.
func (s *Service) Shutdown() {
	s.mu.Lock()
	attached := len(s.sandboxes)
	s.mu.Unlock()
	if attached > 0 {
		s.log.Info("kept the firewall rules: containers still running use them", "containers", attached)
		return
	}
	if err := s.fw.Teardown(); err != nil {
		s.log.Warn("removing the firewall rules", "err", err)
		return
	}
	s.log.Info("removed wharf's firewall rules (WHARF-USER stays)")
}
