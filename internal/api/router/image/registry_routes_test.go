package image

import (
	"encoding/base64"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	registrytypes "github.com/moby/moby/api/types/registry"
)

// decodeAuthHeader is decodeAuth of a request with header as its X-Registry-Auth.
func decodeAuthHeader(header string) (registrytypes.AuthConfig, error) {
	r := httptest.NewRequest("POST", "/images/create", nil)
	r.Header.Set("X-Registry-Auth", header)
	return decodeAuth(r)
}

func TestDecodeAuth(t *testing.T) {
	ac := registrytypes.AuthConfig{Username: "u", Password: "p?>~", ServerAddress: "h:5000"}
	b, _ := json.Marshal(ac)
	for _, enc := range []string{base64.URLEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b)} {
		got, err := decodeAuthHeader(enc)
		if err != nil || got != ac {
			t.Errorf("decodeAuth(%q) = %+v, %v", enc, got, err)
		}
	}
	if got, err := decodeAuthHeader(""); err != nil || got != (registrytypes.AuthConfig{}) {
		t.Errorf("empty header: %+v %v", got, err)
	}
	if _, err := decodeAuthHeader("!!!"); !errdefs.IsInvalidArgument(err) {
		t.Errorf("bad header: %v", err)
	}
}

func TestPullRef(t *testing.T) {
	for in, want := range map[[2]string]string{
		{"busybox", ""}:                  "docker.io/library/busybox:latest",
		{"busybox", "1.36"}:              "docker.io/library/busybox:1.36",
		{"localhost:5000/a/b", "v"}:      "localhost:5000/a/b:v",
		{"redis:7", ""}:                  "docker.io/library/redis:7",
		{"busybox", "sha256:" + hex64()}: "docker.io/library/busybox@sha256:" + hex64(),
	} {
		got, err := pullRef(in[0], in[1])
		if err != nil || got.String() != want {
			t.Errorf("pullRef(%q, %q) = %v, %v; want %s", in[0], in[1], got, err, want)
		}
	}
	if _, err := pullRef("UPPER", ""); !errdefs.IsInvalidArgument(err) {
		t.Errorf("pullRef(UPPER): %v", err)
	}
}

func hex64() string { return strings.Repeat("ab", 32) }

func FuzzDecodeAuth(f *testing.F) {
	f.Add("")
	f.Add(base64.URLEncoding.EncodeToString([]byte(`{"username":"u","password":"p"}`)))
	f.Add("e30=")
	f.Fuzz(func(t *testing.T, s string) {
		ac, err := decodeAuthHeader(s)
		if err != nil {
			return
		}
		b, _ := json.Marshal(ac)
		again, err := decodeAuthHeader(base64.URLEncoding.EncodeToString(b))
		if err != nil || again != ac {
			t.Fatalf("round trip of %+v: %+v %v", ac, again, err)
		}
	})
}

func FuzzPullRef(f *testing.F) {
	f.Add("busybox", "")
	f.Add("localhost:5000/a/b", "sha256:"+hex64())
	f.Add("a@sha256:"+hex64(), "x")
	f.Fuzz(func(t *testing.T, image, tag string) {
		ref, err := pullRef(image, tag)
		if err != nil {
			return
		}
		// What PullRef accepts is a full reference that parses back to itself.
		again, err := reference.ParseNormalizedNamed(ref.String())
		if err != nil || again.String() != ref.String() {
			t.Fatalf("%q %q -> %q -> %v %v", image, tag, ref, again, err)
		}
		if _, ok := ref.(reference.Tagged); !ok {
			if _, ok := ref.(reference.Digested); !ok {
				t.Fatalf("%q has neither tag nor digest", ref)
			}
		}
	})
}
