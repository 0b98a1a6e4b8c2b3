package httputil

import (
	"net/http/httptest"
	"testing"
)

func TestStreamContentType(t *testing.T) {
	for _, tc := range []struct {
		version     string
		upgrade     bool
		multiplexed bool
		want        string
	}{
		{"1.42", true, true, "application/vnd.docker.multiplexed-stream"},
		{"1.41", true, true, "application/vnd.docker.raw-stream"},
		{"1.44", false, true, "application/vnd.docker.raw-stream"},
		{"1.44", true, false, "application/vnd.docker.raw-stream"},
	} {
		r := httptest.NewRequest("POST", "/exec/x/start", nil)
		if tc.upgrade {
			r.Header.Set("Upgrade", "tcp")
		}
		r = r.WithContext(WithVersion(r.Context(), tc.version))
		if got := StreamContentType(r, tc.multiplexed); got != tc.want {
			t.Errorf("%+v: %s", tc, got)
		}
	}
}
