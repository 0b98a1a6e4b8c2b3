package build

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharf/wharf/internal/events"
	"github.com/wharf/wharf/internal/image"
)

// TestBuildTagEvents: the builder tags through the image service, which
// publishes docker's "tag" image event for each -t, as dockerd does.
func TestBuildTagEvents(t *testing.T) {
	bus := events.New()
	root := t.TempDir()
	images, err := image.New(image.Config{Root: filepath.Join(root, "image"), Events: bus})
	if err != nil {
		t.Fatal(err)
	}
	// FROM scratch with metadata only: no step runs a container.
	b, err := New(filepath.Join(root, "build"), images, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var ctxTar bytes.Buffer
	tw := tar.NewWriter(&ctxTar)
	df := "FROM scratch\nENV A=b\n"
	tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: int64(len(df)), Typeflag: tar.TypeReg})
	tw.Write([]byte(df))
	tw.Close()
	id, err := b.Build(context.Background(), &ctxTar, Options{Tags: []string{"one:1", "two"}}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}

	past, _, cancel := bus.Subscribe(time.Unix(0, 1))
	cancel()
	var got []string
	for _, m := range past {
		got = append(got, string(m.Type)+" "+string(m.Action)+" "+m.Actor.ID+" "+m.Actor.Attributes["name"])
	}
	want := "image tag " + id + " one:1|image tag " + id + " two:latest"
	if strings.Join(got, "|") != want {
		t.Errorf("events %q\nwant %q", strings.Join(got, "|"), want)
	}
}
