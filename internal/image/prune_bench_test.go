package image

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/wharf/wharf/internal/filters"
)

// BenchmarkPrune prunes n dangling images, each a step built on one
// tagged base: what the time of `image prune` over many images grows
// with (it grew with n², the index scanned for children and used layers
// once per image).
func BenchmarkPrune(b *testing.B) {
	for _, n := range []int{100, 500} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			ctx := context.Background()
			for range b.N {
				b.StopTimer()
				s := openService(b, filepath.Join(b.TempDir(), "image"))
				base, err := s.Import(ctx, bytes.NewReader(makeTar(b, tarEntry{name: "f", body: "base"})), "base", "", "", nil)
				if err != nil {
					b.Fatal(err)
				}
				img, err := s.Get(ctx, base)
				if err != nil {
					b.Fatal(err)
				}
				for i := range n {
					cfg := img.Config.Config
					cfg.Env = []string{fmt.Sprint("STEP=", i)}
					if _, err := s.Derive(ctx, base, nil, cfg, fmt.Sprint("ENV STEP=", i)); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				rep, err := s.Prune(ctx, filters.Args{})
				if err != nil || len(rep.ImagesDeleted) != n {
					b.Fatalf("pruned %d of %d: %v", len(rep.ImagesDeleted), n, err)
				}
			}
		})
	}
}
