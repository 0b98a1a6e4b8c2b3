//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// startRegistry runs `wharf registry serve` on a free loopback port with a
// temporary root (and htpasswd file, if given) and returns host:port.
func startRegistry(t *testing.T, htpasswd string, extra ...string) string {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	dir := t.TempDir()
	args := []string{"registry", "serve", "--addr", addr, "--root", filepath.Join(dir, "root")}
	if htpasswd != "" {
		p := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(p, []byte(htpasswd), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--htpasswd", p)
	}
	args = append(args, extra...)
	return runRegistry(t, "registry", addr, exec.Command(filepath.Join(testEnv.bin, "wharf"), args...))
}

// runRegistry starts cmd, a registry listening on addr, stops it when the
// test ends (showing its output if the test failed) and returns addr once
// the registry answers.
func runRegistry(t *testing.T, name, addr string, cmd *exec.Cmd) string {
	t.Helper()
	var logs lockedBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("%s log:\n%s", name, logs.String())
		}
	})
	waitFor(t, 10*time.Second, name+" to answer", func() bool {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	})
	return addr
}

// TestRegistryPushPull pushes busybox from wharf to wharf's registry, then
// pulls it back with wharf and with the docker CLI (through wharfd), by
// tag and by digest.
func TestRegistryPushPull(t *testing.T) {
	host := startRegistry(t, "")
	repo := host + "/it/busybox"
	ref := repo + ":1"
	t.Cleanup(func() { testEnv.run("wharf", "rmi", "-f", ref) })
	cli(t, "wharf", "tag", "busybox", ref)
	id := inspectField(t, ref, "{{.Id}}")

	out := cli(t, "wharf", "push", ref)
	if !strings.Contains(out, "The push refers to repository ["+repo+"]") || !strings.Contains(out, "Pushed") ||
		!strings.Contains(out, "1: digest: sha256:") {
		t.Fatalf("push output:\n%s", out)
	}
	digests := inspectField(t, ref, "{{json .RepoDigests}}")
	if !strings.Contains(digests, repo+"@sha256:") {
		t.Errorf("RepoDigests after push: %s", digests)
	}
	if out := cli(t, "wharf", "push", ref); !strings.Contains(out, "Layer already exists") {
		t.Errorf("second push:\n%s", out)
	}

	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			cli(t, c, "rmi", ref)
			out := cli(t, c, "pull", ref)
			// busybox's layer is still here (busybox:latest shares it).
			for _, want := range []string{"1: Pulling from it/busybox", "Already exists", "Digest: sha256:", "Status: Downloaded newer image for " + ref} {
				if !strings.Contains(out, want) {
					t.Errorf("no %q in pull output:\n%s", want, out)
				}
			}
			if got := inspectField(t, ref, "{{.Id}}"); got != id {
				t.Errorf("pulled image %s, pushed %s", got, id)
			}
			if out := cli(t, c, "pull", ref); !strings.Contains(out, "Status: Image is up to date for "+ref) {
				t.Errorf("second pull:\n%s", out)
			}
			if out := cli(t, c, "run", "--rm", ref, "echo", "pulled"); out != "pulled\n" {
				t.Errorf("run of the pulled image: %q", out)
			}

			rd := repoDigests(t, ref, repo)
			cli(t, c, "rmi", ref)
			out = cli(t, c, "pull", rd[0])
			// busybox:latest is the same image and keeps it (and this repo
			// digest) alive, so either status is right.
			if !strings.Contains(out, "Status: Downloaded newer image for "+rd[0]) && !strings.Contains(out, "Status: Image is up to date for "+rd[0]) {
				t.Errorf("pull by digest:\n%s", out)
			}
			if got := inspectField(t, rd[0], "{{.Id}}"); got != id {
				t.Errorf("image by digest %s, want %s", got, id)
			}
			if out := cli(t, c, "images", "-a", "--digests", "--format", "{{.Repository}} {{.Digest}}", repo); !strings.Contains(out, repo+" "+strings.TrimPrefix(rd[0], repo+"@")) {
				t.Errorf("images --digests:\n%s", out)
			}
			cli(t, c, "rmi", rd[0])
			cli(t, c, "pull", ref)

			r := testEnv.run(c, "pull", host+"/it/nope")
			want := "manifest for " + host + "/it/nope:latest not found: manifest unknown: manifest unknown"
			if r.code != 1 || !strings.Contains(r.stderr, "Error response from daemon: "+want) {
				t.Errorf("pull of an unknown image: exit %d\n%s", r.code, r.stderr)
			}
		})
	}
}

// TestRegistryPullDownloads pushes an image whose layer nothing else has,
// removes it, and pulls it back: the layer is downloaded and extracted.
func TestRegistryPullDownloads(t *testing.T) {
	host := startRegistry(t, "")
	ref := host + "/it/data:v1"
	t.Cleanup(func() { testEnv.run("wharf", "rmi", "-f", ref) })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	content := make([]byte, 3<<20)
	rand.Read(content)
	tw.WriteHeader(&tar.Header{Name: "data.bin", Mode: 0o644, Size: int64(len(content))})
	tw.Write(content)
	tw.Close()
	tarball := writeFile(t, "data.tar", buf.String())
	id := strings.TrimSpace(cli(t, "wharf", "import", tarball, ref))
	cli(t, "wharf", "push", ref)
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			cli(t, c, "rmi", ref)
			out := cli(t, c, "pull", ref)
			for _, want := range []string{"v1: Pulling from it/data", "Pulling fs layer", "Download complete", "Pull complete", "Status: Downloaded newer image for " + ref} {
				if !strings.Contains(out, want) {
					t.Errorf("no %q in pull output:\n%s", want, out)
				}
			}
			if got := inspectField(t, ref, "{{.Id}}"); got != id {
				t.Errorf("pulled %s, pushed %s", got, id)
			}
			if out := cli(t, c, "pull", "--all-tags", host+"/it/data"); !strings.Contains(out, "v1: Pulling from it/data") || !strings.Contains(out, "Status: Image is up to date for "+host+"/it/data") {
				t.Errorf("pull --all-tags:\n%s", out)
			}
		})
	}
}

// repoDigests returns the image's one repo digest in repository repo (the
// image may have others: the same busybox is pushed to several registries).
func repoDigests(t *testing.T, ref, repo string) []string {
	t.Helper()
	var all, rd []string
	json.Unmarshal([]byte(inspectField(t, ref, "{{json .RepoDigests}}")), &all)
	for _, d := range all {
		if strings.HasPrefix(d, repo+"@sha256:") {
			rd = append(rd, d)
		}
	}
	if len(rd) != 1 {
		t.Fatalf("RepoDigests %v, want one for %s", all, repo)
	}
	return rd
}

// TestRegistryLogin logs in to an htpasswd-protected registry with good
// and bad passwords, then pushes and pulls with the stored credentials.
func TestRegistryLogin(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	host := startRegistry(t, "alice:"+string(hash)+"\n")
	ref := host + "/private/busybox:1"
	t.Cleanup(func() { testEnv.run("wharf", "rmi", "-f", ref) })
	cli(t, "wharf", "tag", "busybox", ref)

	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			t.Cleanup(func() { testEnv.run(c, "logout", host) })
			r := testEnv.runIn([]byte("wrong\n"), c, "login", "-u", "alice", "--password-stdin", host)
			want := fmt.Sprintf("login attempt to http://%s/v2/ failed with status: 401 Unauthorized", host)
			if r.code != 1 || !strings.Contains(r.stderr, want) {
				t.Errorf("login with a bad password: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
			}
			r = testEnv.run(c, "push", ref)
			if r.code != 1 || !strings.Contains(r.stderr+r.stdout, "authentication required") {
				t.Errorf("push without login: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			r = testEnv.runIn([]byte("s3cret\n"), c, "login", "-u", "alice", "--password-stdin", host)
			if r.code != 0 || !strings.Contains(r.stdout, "Login Succeeded") {
				t.Fatalf("login: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
			}
			cli(t, c, "push", ref)
			cli(t, c, "rmi", ref)
			cli(t, c, "pull", ref)
			cli(t, c, "logout", host)
			cli(t, c, "rmi", ref)
			r = testEnv.run(c, "pull", ref)
			want = "pull access denied for " + host + "/private/busybox, repository does not exist or may require 'docker login'"
			if r.code != 1 || !strings.Contains(r.stderr, want) {
				t.Errorf("pull after logout: exit %d\n%s", r.code, r.stderr)
			}
			cli(t, "wharf", "tag", "busybox", ref)
		})
	}
}

// startDistribution runs Debian's docker-registry (the CNCF Distribution
// registry) on a free loopback port, or skips the test if it is not
// installed.
func startDistribution(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		t.Skip("docker-registry (Debian package docker-registry) is not installed")
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	dir := t.TempDir()
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n", filepath.Join(dir, "data"), addr)
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return runRegistry(t, "docker-registry", addr, exec.Command(bin, "serve", cfgPath))
}

// TestDistributionPeer pushes to and pulls from Debian's docker-registry,
// an independent implementation of the registry API.
func TestDistributionPeer(t *testing.T) {
	host := startDistribution(t)
	ref := host + "/peer/busybox:1"
	t.Cleanup(func() { testEnv.run("wharf", "rmi", "-f", ref) })
	cli(t, "wharf", "tag", "busybox", ref)
	id := inspectField(t, ref, "{{.Id}}")
	out := cli(t, "wharf", "push", ref)
	if !strings.Contains(out, "1: digest: sha256:") {
		t.Fatalf("push output:\n%s", out)
	}
	var catalog struct{ Repositories []string }
	if resp, err := http.Get("http://" + host + "/v2/_catalog"); err == nil {
		json.NewDecoder(resp.Body).Decode(&catalog)
		resp.Body.Close()
	}
	if strings.Join(catalog.Repositories, ",") != "peer/busybox" {
		t.Errorf("docker-registry catalog: %v", catalog.Repositories)
	}
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			cli(t, c, "rmi", ref)
			out := cli(t, c, "pull", ref)
			if !strings.Contains(out, "Status: Downloaded newer image for "+ref) {
				t.Errorf("pull output:\n%s", out)
			}
			if got := inspectField(t, ref, "{{.Id}}"); got != id {
				t.Errorf("pulled %s, pushed %s", got, id)
			}
			if out := cli(t, c, "run", "--rm", ref, "echo", "from-peer"); out != "from-peer\n" {
				t.Errorf("run: %q", out)
			}
			rd := repoDigests(t, ref, host+"/peer/busybox")
			cli(t, c, "pull", rd[0])
		})
	}
	r := testEnv.run("docker", "pull", host+"/peer/nope")
	if r.code != 1 || !strings.Contains(r.stderr, "manifest for "+host+"/peer/nope:latest not found: manifest unknown") {
		t.Errorf("pull of an unknown image from docker-registry: exit %d\n%s", r.code, r.stderr)
	}
}

// TestRegistryTLS serves the registry over HTTPS with a certificate of its
// own; wharfd trusts it through /etc/wharf/certs.d/<host:port>/ca.crt.
func TestRegistryTLS(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, certPEM, 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)

	host := startRegistry(t, "", "--tls-cert", certFile, "--tls-key", keyFile)
	ref := host + "/tls/busybox:1"
	t.Cleanup(func() { testEnv.run("wharf", "rmi", "-f", ref) })
	cli(t, "wharf", "tag", "busybox", ref)
	if r := testEnv.run("wharf", "push", ref); r.code == 0 {
		t.Fatalf("push to an untrusted registry worked:\n%s", r.stdout)
	}
	certsDir := filepath.Join("/etc/wharf/certs.d", host)
	if err := os.MkdirAll(certsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		os.RemoveAll(certsDir)
		// Drop the parents too if the test made them (Remove keeps non-empty ones).
		os.Remove("/etc/wharf/certs.d")
		os.Remove("/etc/wharf")
	})
	if err := os.WriteFile(filepath.Join(certsDir, "ca.crt"), certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	cli(t, "wharf", "push", ref)
	cli(t, "docker", "rmi", ref)
	if out := cli(t, "docker", "pull", ref); !strings.Contains(out, "Status: Downloaded newer image for "+ref) {
		t.Errorf("pull over TLS:\n%s", out)
	}
}
