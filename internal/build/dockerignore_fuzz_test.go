package build

import (
	"bytes"
	"context"
	"os"
	"testing"
)

// FuzzDockerignore: any .dockerignore over a fixed context leaves the
// Dockerfile and .dockerignore, and every kept entry's parent directory.
func FuzzDockerignore(f *testing.F) {
	for _, s := range []string{"*\n!keep\n", "# c\nsub\n!sub/inner/x\n", "**/*.go\n", "[\n", "!\n", "../../x\n/\n", "sub/*/x\n!sub/a\n", "\\!x\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ignore string) {
		tarball := mkTar(t,
			tent{name: "Dockerfile", body: "FROM scratch\n"},
			tent{name: ".dockerignore", body: ignore},
			tent{name: "keep", body: "k"},
			tent{name: "a.go", body: "g"},
			tent{name: "sub/", typ: '5'},
			tent{name: "sub/inner/x", body: "x"},
			tent{name: "sub/a", body: "a"},
		)
		ix, err := readContextIndex(context.Background(), bytes.NewReader(tarball), newSpool(os.TempDir(), 1<<20))
		if err != nil {
			t.Fatal(err)
		}
		defer ix.close()
		patterns, err := readIgnore(ix)
		if err != nil {
			return
		}
		if err := applyIgnore(ix, patterns, "Dockerfile", ".dockerignore"); err != nil {
			return
		}
		for _, keep := range []string{"Dockerfile", ".dockerignore"} {
			if ix.entries[keep] == nil {
				t.Fatalf("%q removed %s", ignore, keep)
			}
		}
		for name := range ix.entries {
			if name != "." && ix.entries[parentOf(name)] == nil {
				t.Fatalf("%q kept %s without its parent", ignore, name)
			}
		}
	})
}
