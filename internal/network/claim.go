package network

import (
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/wharf/wharf/internal/network/netns"
)

// Several daemons (a system wharfd and private test daemons, say) may
// share one bridge such as wharf0, each with its own records. So that they
// never hand out one address twice, an address on a bridge is also
// claimed host-wide by creating /run/wharf-ipam/<bridge>/<address>
// exclusively; the file names the owner's namespace. A claim whose
// namespace is gone (a crashed daemon, a reboot clears /run anyway) is
// taken over once it is older than claimGrace.
const claimGrace = 30 * time.Second

func (s *Service) claimPath(bridgeName string, ip netip.Addr) string {
	return filepath.Join(s.cfg.ClaimDir, bridgeName, ip.String())
}

// claim reserves ip on bridgeName for the namespace nsPath.
func (s *Service) claim(bridgeName string, ip netip.Addr, nsPath string) bool {
	if s.cfg.ClaimDir == "" {
		return true
	}
	p := s.claimPath(bridgeName, ip)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return true // no shared directory: our own records still hold
	}
	for i := 0; i < 2; i++ {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			f.WriteString(nsPath)
			f.Close()
			return true
		}
		if !errors.Is(err, fs.ErrExist) {
			return true
		}
		owner, rerr := os.ReadFile(p)
		st, serr := os.Stat(p)
		if rerr != nil || serr != nil || string(owner) == nsPath {
			if string(owner) == nsPath {
				return true
			}
			continue
		}
		if time.Since(st.ModTime()) < claimGrace || netns.Exists(string(owner)) {
			return false
		}
		os.Remove(p)
	}
	return false
}

// foreignTTL is how long an address found claimed by another daemon is
// skipped without a new look at its claim.
const foreignTTL = 10 * time.Second

// foreignClaims are the addresses on bridgeName that another daemon held
// less than foreignTTL ago; expired ones are dropped. Callers hold s.mu.
func (s *Service) foreignClaims(bridgeName string) map[netip.Addr]time.Time {
	m := s.foreign[bridgeName]
	now := time.Now()
	for a, seen := range m {
		if now.Sub(seen) > foreignTTL {
			delete(m, a)
		}
	}
	return m
}

// noteForeign records that another daemon holds ip on bridgeName.
// Callers hold s.mu.
func (s *Service) noteForeign(bridgeName string, ip netip.Addr) {
	if s.foreign[bridgeName] == nil {
		s.foreign[bridgeName] = map[netip.Addr]time.Time{}
	}
	s.foreign[bridgeName][ip] = time.Now()
}

// unclaim releases ip on bridgeName if nsPath holds it.
func (s *Service) unclaim(bridgeName string, ip netip.Addr, nsPath string) {
	if s.cfg.ClaimDir == "" {
		return
	}
	p := s.claimPath(bridgeName, ip)
	if owner, err := os.ReadFile(p); err == nil && string(owner) == nsPath {
		os.Remove(p)
	}
}
