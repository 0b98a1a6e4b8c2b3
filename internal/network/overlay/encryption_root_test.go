package overlay

import (
	"os"
	"strings"
	"testing"
)

// TestCheckEncryption needs root (a network namespace): the answer names
// what is missing, or that Wharf does not encrypt yet, and the probe's
// namespace is gone.
func TestCheckEncryption(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	dir := t.TempDir()
	err := CheckEncryption(dir)
	if err == nil || !(strings.Contains(err.Error(), "lacks") || err == ErrEncryptionUnsupported) {
		t.Fatalf("CheckEncryption: %v", err)
	}
	t.Log(err)
	if des, _ := os.ReadDir(dir); len(des) != 0 {
		t.Errorf("probe left %v", des)
	}
}
