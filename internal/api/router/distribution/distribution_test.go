package distribution

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/distribution/reference"
	registrytypes "github.com/moby/moby/api/types/registry"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wharf/wharf/internal/api/apitest"
	"github.com/wharf/wharf/internal/errs"
)

type fakeRegistry struct{ asked reference.Named }

func (f *fakeRegistry) DistributionInspect(ctx context.Context, ref reference.Named, auth registrytypes.AuthConfig) (registrytypes.DistributionInspect, error) {
	f.asked = ref
	if reference.Path(ref) == "library/missing" {
		return registrytypes.DistributionInspect{}, errs.NotFound("manifest for missing:latest not found")
	}
	return registrytypes.DistributionInspect{Descriptor: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: "sha256:0123456789012345678901234567890123456789012345678901234567890123", Size: 9},
		Platforms: []ocispec.Platform{{OS: "linux", Architecture: "amd64"}}}, nil
}

func TestDistributionInspect(t *testing.T) {
	f := &fakeRegistry{}
	ts := apitest.NewServer(t, NewRouter(f))
	resp, body := apitest.Do(t, "GET", ts.URL+"/v1.41/distribution/localhost:5000/team/app:1/json", nil)
	var got registrytypes.DistributionInspect
	if resp.StatusCode != 200 || json.Unmarshal(body, &got) != nil || len(got.Platforms) != 1 || got.Descriptor.Size != 9 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if f.asked.String() != "localhost:5000/team/app:1" {
		t.Fatalf("asked for %s", f.asked)
	}
	apitest.CheckErrors(t, ts, []apitest.ErrorCase{
		{Method: "GET", Path: "/v1.41/distribution/missing/json", Status: 404, Message: "manifest for missing:latest not found"},
		{Method: "GET", Path: "/v1.41/distribution/UPPER/json", Status: 400, Message: "must be lowercase"},
		{Method: "GET", Path: "/v1.41/distribution/0123456789012345678901234567890123456789012345678901234567890123/json", Status: 400, Message: "no manifest found for full image ID"},
	})
}
