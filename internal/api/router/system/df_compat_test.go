package system

import (
	"encoding/json"
	"testing"

	"github.com/wharf/wharf/internal/api/apitest"
)

// TestDiskUsageGates: each version's shape of GET /system/df.
func TestDiskUsageGates(t *testing.T) {
	ts := apitest.NewServer(t, newTestRouter())
	get := func(p string) map[string]any {
		resp, body := apitest.Do(t, "GET", ts.URL+p, nil)
		var m map[string]any
		if resp.StatusCode != 200 || json.Unmarshal(body, &m) != nil {
			t.Fatalf("%s: %d %s", p, resp.StatusCode, body)
		}
		return m
	}
	// Before 1.44 images carry VirtualSize.
	img := get("/v1.43/system/df")["Images"].([]any)[0].(map[string]any)
	if img["VirtualSize"] != img["Size"] {
		t.Errorf("1.43 image %v: VirtualSize", img)
	}
	if _, ok := get("/v1.44/system/df")["Images"].([]any)[0].(map[string]any)["VirtualSize"]; ok {
		t.Error("1.44 image with VirtualSize")
	}
	// type selects the lists since 1.42, and is ignored before.
	m := get("/v1.42/system/df?type=volume")
	if _, ok := m["Images"]; ok || m["Volumes"] == nil {
		t.Errorf("1.42 type=volume: %v", m)
	}
	if m := get("/v1.41/system/df?type=volume"); m["Images"] == nil {
		t.Errorf("1.41 type=volume: %v", m)
	}
	// 1.52 sends both shapes unless verbose; later versions the new one.
	if m := get("/v1.52/system/df"); m["Images"] == nil || m["ImageUsage"] == nil {
		t.Errorf("1.52: %v", m)
	}
	if m := get("/v1.52/system/df?verbose=1"); m["Images"] != nil || m["ImageUsage"] == nil {
		t.Errorf("1.52 verbose: %v", m)
	}
	if m := get("/v1.53/system/df"); m["Images"] != nil || m["ImageUsage"] == nil {
		t.Errorf("1.53: %v", m)
	}
	apitest.CheckErrors(t, ts, []apitest.ErrorCase{{Method: "GET", Path: "/v1.42/system/df?type=bogus", Status: 400, Message: "unknown object type: bogus"}})
}
