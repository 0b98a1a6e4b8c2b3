package image

import "sync/atomic"

// SetTransferLimits sets how many layers a pull downloads and a push
// uploads at once (daemon.json's max-concurrent-downloads and
// -uploads); 0 leaves dockerd's default. Pulls and pushes already
// under way keep the limit they started with.
func (s *Service) SetTransferLimits(downloads, uploads int) {
	s.maxDownloads.Store(int32(downloads))
	s.maxUploads.Store(int32(uploads))
}

func (s *Service) transferLimit(v *atomic.Int32, def int) int {
	if n := v.Load(); n > 0 {
		return int(n)
	}
	return def
}
