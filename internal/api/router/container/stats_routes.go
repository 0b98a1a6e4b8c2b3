package container

import (
	"encoding/json"
	"net/http"

	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/api/compat"
	"github.com/wharf/wharf/internal/api/httputil"
)

func (s *Router) postContainerUpdate(w http.ResponseWriter, r *http.Request) error {
	var u container.UpdateConfig
	if err := httputil.ReadJSON(r, &u); err != nil {
		return err
	}
	if compat.Before(r.Context(), compat.UpdatePidsLimit) {
		u.PidsLimit = nil
	}
	if compat.Before(r.Context(), compat.UpdateBlkioDevices) {
		u.BlkioWeightDevice, u.BlkioDeviceReadBps, u.BlkioDeviceWriteBps = nil, nil, nil
		u.BlkioDeviceReadIOps, u.BlkioDeviceWriteIOps = nil, nil
	}
	if u.RestartPolicy.Name != "" && compat.Before(r.Context(), compat.RestartPolicyWords) {
		if err := legacyRestartPolicy(u.RestartPolicy); err != nil {
			return err
		}
	}
	resp, err := s.backend.Update(r.Context(), r.PathValue("id"), u)
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, resp)
}

// getContainerStats streams one JSON object per sample (stream=true, the
// default) or answers with one (stream=false).
func (s *Router) getContainerStats(w http.ResponseWriter, r *http.Request) error {
	o := backend.ContainerStatsOptions{Stream: true}
	if !compat.Before(r.Context(), compat.StatsOneShot) {
		o.OneShot = httputil.BoolValue(r, "one-shot")
	}
	if v := r.URL.Query().Get("stream"); v != "" {
		o.Stream = httputil.BoolValue(r, "stream")
	}
	started := false
	enc := json.NewEncoder(w)
	err := s.backend.Stats(r.Context(), r.PathValue("id"), o, func(st container.StatsResponse) error {
		if !started {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			started = true
		}
		if err := enc.Encode(st); err != nil {
			return err
		}
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		return nil
	})
	if err != nil && started {
		s.log.Debug("stats", "id", r.PathValue("id"), "err", err)
		return nil
	}
	return err
}
