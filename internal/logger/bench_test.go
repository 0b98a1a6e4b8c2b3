package logger

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkRotate is the part of a rotation done under the container's
// lock: shifting the rotated files and renaming the live one (the reopen
// is conmon's, stubbed here).
func BenchmarkRotate(b *testing.B) {
	path := filepath.Join(b.TempDir(), "container.log")
	r := Rotation{MaxSize: 1, MaxFile: 5}
	for b.Loop() {
		if err := os.WriteFile(path, []byte("x\n"), 0o640); err != nil {
			b.Fatal(err)
		}
		if err := Rotate(path, r, func() error { return os.WriteFile(path, nil, 0o640) }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompressFirst gzips a 10 MiB rotated log (done with no lock).
func BenchmarkCompressFirst(b *testing.B) {
	path := filepath.Join(b.TempDir(), "container.log")
	line := []byte("2026-12-07T13:00:00.000000000+00:00 stdout F GET /index.html 200 1234 0.002 Mozilla/5.0\n")
	data := bytes.Repeat(line, (10<<20)/len(line))
	r := Rotation{MaxSize: 1, MaxFile: 2, Compress: true}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := os.WriteFile(rotated(path, 1, false), data, 0o640); err != nil {
			b.Fatal(err)
		}
		if err := CompressFirst(path, r); err != nil {
			b.Fatal(err)
		}
	}
}
