//go:build integration

package integration

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// certAuthority is a CA made for a test.
type certAuthority struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newCA(t *testing.T, name string) *certAuthority {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &certAuthority{cert: cert, key: key}
}

// issue writes dir/<prefix>cert.pem and key.pem signed by ca (and
// dir/ca.pem), for a server on 127.0.0.1 or a client.
func (ca *certAuthority) issue(t *testing.T, dir, prefix string, server bool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: prefix + "wharf-it"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		tmpl.DNSNames = []string{"localhost"}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, prefix+"cert.pem"), "CERTIFICATE", der)
	writePEM(t, filepath.Join(dir, prefix+"key.pem"), "EC PRIVATE KEY", keyDER)
	writePEM(t, filepath.Join(dir, "ca.pem"), "CERTIFICATE", ca.cert.Raw)
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// dockerCLI runs the official docker CLI with exactly env (plus PATH and
// HOME), so no DOCKER_HOST of the suite's leaks in.
func dockerCLI(t *testing.T, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/local/bin/docker", args...)
	cmd.Env = append([]string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + t.TempDir()}, env...)
	r := collect(cmd)
	if r.code == -1 {
		t.Fatal(r.stderr)
	}
	return r
}

func needDockerCLI(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/usr/local/bin/docker"); err != nil {
		t.Skip("the official docker CLI is not installed at /usr/local/bin/docker: this test proves wharfd against it")
	}
}

// TestTLSAccess: wharfd serves a unix socket and tcp:// with --tlsverify
// at once; the docker CLI with a client certificate from wharfd's CA gets
// in (flags, and DOCKER_TLS_VERIFY/DOCKER_CERT_PATH), one without a
// certificate, with one from another CA or without TLS does not.
func TestTLSAccess(t *testing.T) {
	needDockerCLI(t)
	ca := newCA(t, "wharf-it CA")
	server, client, rogue := t.TempDir(), t.TempDir(), t.TempDir()
	ca.issue(t, server, "server-", true)
	ca.issue(t, client, "", false)
	// A client certificate from another CA, though the client trusts wharfd's.
	newCA(t, "another CA").issue(t, rogue, "", false)
	copyFile(t, filepath.Join(client, "ca.pem"), filepath.Join(rogue, "ca.pem"))
	port := freePort(t)
	host := fmt.Sprintf("tcp://127.0.0.1:%d", port)
	e := newPrivateEnv(t, `{"iptables": false}`)
	e.args = []string{"-H", host, "--tlsverify", "--tlscacert", filepath.Join(server, "ca.pem"),
		"--tlscert", filepath.Join(server, "server-cert.pem"), "--tlskey", filepath.Join(server, "server-key.pem")}
	e.startPrivate(t)

	withFlags := dockerCLI(t, nil, "--tlsverify", "-H", host, "--tlscacert", filepath.Join(client, "ca.pem"),
		"--tlscert", filepath.Join(client, "cert.pem"), "--tlskey", filepath.Join(client, "key.pem"),
		"run", "--rm", "busybox", "echo", "over tls")
	if withFlags.code != 0 || strings.TrimSpace(withFlags.stdout) != "over tls" {
		t.Errorf("client certificate, flags: %d %q %s", withFlags.code, withFlags.stdout, withFlags.stderr)
	}
	withEnv := dockerCLI(t, []string{"DOCKER_HOST=" + host, "DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH=" + client},
		"version", "--format", "{{.Server.Platform.Name}}")
	if withEnv.code != 0 || !strings.Contains(withEnv.stdout, "Wharf") {
		t.Errorf("client certificate, DOCKER_CERT_PATH: %d %q %s", withEnv.code, withEnv.stdout, withEnv.stderr)
	}
	// The unix socket serves beside it.
	if r := e.run("wharf", "version", "--format", "{{.Server.Version}}"); r.code != 0 {
		t.Errorf("unix socket beside tcp: %d %s", r.code, r.stderr)
	}
	for _, c := range []struct {
		name string
		env  []string
		args []string
	}{
		{"no client certificate", []string{"DOCKER_HOST=" + host}, []string{"--tls", "--tlscacert", filepath.Join(client, "ca.pem")}},
		{"certificate from another CA", []string{"DOCKER_HOST=" + host, "DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH=" + rogue}, nil},
		{"plain HTTP", []string{"DOCKER_HOST=" + host}, nil},
	} {
		r := dockerCLI(t, c.env, append(c.args, "version", "--format", "{{.Server.Version}}")...)
		if r.code == 0 || strings.TrimSpace(r.stdout) != "" {
			t.Errorf("%s: got in: %d %q", c.name, r.code, r.stdout)
		}
		t.Logf("%s refused: %s", c.name, strings.TrimSpace(r.stderr))
	}
	// The docker CLI sends no certificate the server's CA list rules out;
	// a client that insists on its other CA's certificate is refused too.
	rogueCert, err := tls.LoadX509KeyPair(filepath.Join(rogue, "cert.pem"), filepath.Join(rogue, "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	conn, err := tls.Dial("tcp", strings.TrimPrefix(host, "tcp://"), &tls.Config{RootCAs: pool,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &rogueCert, nil }})
	if err == nil {
		// TLS 1.3: the server's verdict comes with the first read.
		conn.Write([]byte("GET /_ping HTTP/1.0\r\n\r\n"))
		_, err = conn.Read(make([]byte, 16))
		conn.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("a certificate from another CA: %v", err)
	}
	// Only loopback was opened; and wharfd refuses tcp:// without --tlsverify.
	out, code := wharfdOnce(t, "--config-file", "/nonexistent", "-H", host)
	if code != 1 || !strings.Contains(out, "refusing to serve the API on TCP without TLS client verification") {
		t.Errorf("tcp without TLS: %d %s", code, out)
	}
}

// TestSocketGroup: with -G, a non-root member of the group uses wharf
// without sudo; a user outside it is refused by the socket's permissions.
func TestSocketGroup(t *testing.T) {
	group, member, outsider := "wharf-it-grp", "wharf-it-member", "wharf-it-outsider"
	run := func(name string, args ...string) {
		if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v %s", name, args, err, out)
		}
	}
	t.Cleanup(func() {
		exec.Command("userdel", member).Run()
		exec.Command("userdel", outsider).Run()
		exec.Command("groupdel", group).Run()
	})
	run("groupadd", group)
	run("useradd", "--no-create-home", "--shell", "/bin/sh", "-G", group, member)
	run("useradd", "--no-create-home", "--shell", "/bin/sh", outsider)
	// The users need a wharf binary they may run.
	bin, err := os.MkdirTemp("", "wharf-it-grp-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(bin) })
	os.Chmod(bin, 0o755)
	for _, f := range []string{"wharf", "wharf-front", "wharf-cli"} {
		copyFile(t, filepath.Join(testEnv.bin, f), filepath.Join(bin, f))
	}

	e := newPrivateEnv(t, `{"iptables": false}`)
	e.args = []string{"-G", group}
	e.startPrivate(t)
	st, err := os.Stat(e.sock)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o660 {
		t.Errorf("socket mode %v", st.Mode())
	}
	as := func(user string) result {
		cmd := exec.Command("runuser", "-u", user, "--", filepath.Join(bin, "wharf"), "-H", "unix://"+e.sock,
			"run", "--rm", "busybox", "echo", "no sudo")
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + bin, "DOCKER_CONFIG=" + filepath.Join(bin, user)}
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return result{out.String(), errOut.String(), code}
	}
	if r := as(member); r.code != 0 || strings.TrimSpace(r.stdout) != "no sudo" {
		t.Errorf("member of %s: %d %q %s", group, r.code, r.stdout, r.stderr)
	}
	if r := as(outsider); r.code == 0 || !strings.Contains(r.stderr, "permission denied") {
		t.Errorf("outsider: %d %q %s", r.code, r.stdout, r.stderr)
	}
	// A group that does not exist is an error, not a silent root socket.
	out, code := wharfdOnce(t, "--config-file", "/nonexistent", "-G", "wharf-it-nosuchgroup",
		"--data-root", filepath.Join(t.TempDir(), "root"), "--exec-root", e.execRoot+"-nogroup", "-H", "unix://"+e.sock+"-nogroup")
	os.RemoveAll(e.execRoot + "-nogroup")
	if code != 1 || !strings.Contains(out, "group wharf-it-nosuchgroup not found") {
		t.Errorf("unknown group: %d %s", code, out)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	out.Close()
}
