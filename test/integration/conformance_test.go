//go:build integration

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestRegistryConformance runs the OCI distribution-spec conformance suite
// (github.com/opencontainers/distribution-spec/conformance, a tool
// dependency in go.mod) against `wharf registry serve` with htpasswd auth:
// pull, push, content discovery and content management, every optional
// API on, sha256 and sha512 content.
func TestRegistryConformance(t *testing.T) {
	bin := filepath.Join(testEnv.bin, "oci-conformance")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/opencontainers/distribution-spec/conformance").CombinedOutput(); err != nil {
		t.Fatalf("building the conformance suite: %v\n%s", err, out)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte("conformance-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	host := startRegistry(t, "oci:"+string(hash)+"\n")
	dir := t.TempDir()
	cmd := exec.Command(bin)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"OCI_REGISTRY="+host,
		"OCI_TLS=disabled",
		"OCI_USERNAME=oci",
		"OCI_PASSWORD=conformance-pw",
		"OCI_VERSION=dev",
		"OCI_RESULTS_DIR="+filepath.Join(dir, "results"),
		"OCI_API_BLOBS_UPLOAD_CANCEL=true",
		"OCI_API_BLOBS_DIGEST_HEADER=true",
		"OCI_API_MANIFESTS_DIGEST_HEADER=true",
		"OCI_API_MANIFESTS_TAG_PARAM=true",
	)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OCI Conformance Result: Pass") {
		t.Fatalf("conformance suite: %v\n%s", err, out)
	}
	t.Logf("conformance results in %s", filepath.Join(dir, "results"))
}
