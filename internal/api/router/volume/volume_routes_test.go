package volume

import (
	"context"
	"testing"

	"github.com/moby/moby/api/types/volume"

	"github.com/wharf/wharf/internal/api/apitest"
	"github.com/wharf/wharf/internal/filters"
	"github.com/wharf/wharf/internal/version"
)

type fakeVolumes struct {
	Backend
	pruned filters.Args
}

func (f *fakeVolumes) Prune(ctx context.Context, a filters.Args) (volume.PruneReport, error) {
	f.pruned = a
	return volume.PruneReport{}, nil
}

// TestPruneAllBefore142: clients before API 1.42 prune every unused
// volume; newer ones only anonymous volumes unless they ask for all.
func TestPruneAllBefore142(t *testing.T) {
	fv := &fakeVolumes{}
	ts := apitest.NewServer(t, NewRouter(fv))
	for _, c := range []struct {
		path string
		all  bool
	}{
		{"/v1.24/volumes/prune", true},
		{"/v1.41/volumes/prune", true},
		{`/v1.41/volumes/prune?filters={"all":["false"]}`, true},
		{"/v1.42/volumes/prune", false},
		{"/v" + version.APIVersion + "/volumes/prune", false},
		{`/v1.42/volumes/prune?filters={"all":["true"]}`, true},
		{"/volumes/prune", false},
	} {
		resp, body := apitest.Do(t, "POST", ts.URL+c.path, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", c.path, resp.StatusCode, body)
		}
		if got := fv.pruned["all"]["true"] && len(fv.pruned["all"]) == 1; got != c.all {
			t.Errorf("%s: all=%v, want %v (%v)", c.path, got, c.all, fv.pruned)
		}
	}
}
