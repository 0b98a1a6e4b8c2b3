//go:build integration

package integration

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// installed is what `make install` puts under DESTDIR with PREFIX=/usr/local.
var installed = []string{
	"usr/local/bin/wharf", "usr/local/bin/wharf-front", "usr/local/bin/wharf-cli", "usr/local/bin/wharfd", "usr/local/bin/wharf-exec-init",
	"usr/local/lib/docker/cli-plugins/docker-compose",
	"etc/systemd/system/wharfd.service", "etc/systemd/system/wharfd.socket",
	"usr/local/share/bash-completion/completions/wharf",
	"usr/local/share/zsh/site-functions/_wharf",
	"usr/local/share/fish/vendor_completions.d/wharf.fish",
	"etc/wharf/daemon.json",
}

// TestMakeInstallDestdir: make install puts stripped, version-stamped
// binaries, the units (pointing at the installed wharfd), completions and
// a daemon.json that wharfd --validate accepts under DESTDIR; make
// uninstall removes exactly those and says what it leaves.
func TestMakeInstallDestdir(t *testing.T) {
	dest := t.TempDir()
	runMake := func(target string) string {
		out, err := exec.Command("make", "-C", "../..", target, "BIN="+testEnv.bin, "DESTDIR="+dest).CombinedOutput()
		if err != nil {
			t.Fatalf("make %s: %v\n%s", target, err, out)
		}
		return string(out)
	}
	runMake("install")
	for _, f := range installed {
		if _, err := os.Stat(filepath.Join(dest, f)); err != nil {
			t.Errorf("not installed: %s", f)
		}
	}
	for _, b := range []string{"wharf", "wharf-front", "wharf-cli", "wharfd", "wharf-exec-init"} {
		ef, err := elf.Open(filepath.Join(dest, "usr/local/bin", b))
		if err != nil {
			t.Fatal(err)
		}
		if ef.Section(".symtab") != nil {
			t.Errorf("%s is not stripped", b)
		}
		ef.Close()
	}
	unit, _ := os.ReadFile(filepath.Join(dest, "etc/systemd/system/wharfd.service"))
	if !strings.Contains(string(unit), "ExecStart=/usr/local/bin/wharfd -H fd://") {
		t.Errorf("unit's ExecStart:\n%s", unit)
	}
	if comp, _ := os.ReadFile(filepath.Join(dest, "usr/local/share/bash-completion/completions/wharf")); !strings.Contains(string(comp), "__start_wharf") {
		t.Errorf("bash completion:\n%.300s", comp)
	}
	wharfd := filepath.Join(dest, "usr/local/bin/wharfd")
	out, err := exec.Command(wharfd, "--config-file", filepath.Join(dest, "etc/wharf/daemon.json"), "--validate").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "configuration OK" {
		t.Errorf("the installed daemon.json: %v %s", err, out)
	}
	// Real versions, the same for client and server, from git describe.
	version, _ := exec.Command(wharfd, "--version").Output()
	client := cli(t, "wharf", "version", "--format", "{{.Client.Version}} {{.Client.GitCommit}} {{.Server.Version}} {{.Server.GitCommit}}")
	f := strings.Fields(client)
	if len(f) != 4 || f[0] != f[2] || f[1] != f[3] || f[1] == "unknown" || f[0] == "0.1.0-dev" ||
		string(version) != "Wharf version "+f[2]+", build "+f[3]+"\n" {
		t.Errorf("versions: wharf version %q, wharfd --version %q", client, version)
	}
	left := runMake("uninstall")
	for _, f := range installed {
		if _, err := os.Stat(filepath.Join(dest, f)); err == nil {
			t.Errorf("left after uninstall: %s", f)
		}
	}
	if !strings.Contains(left, "left: "+dest+"/var/lib/wharf") {
		t.Errorf("uninstall does not say what it leaves:\n%s", left)
	}
}

// TestDebPackage: hack/deb.sh (make deb) builds a package of the same
// files under /usr, daemon.json a conffile, with maintainer scripts.
func TestDebPackage(t *testing.T) {
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		t.Skip("dpkg-deb is not installed")
	}
	dist := t.TempDir()
	cmd := exec.Command("../../hack/deb.sh", dist)
	cmd.Env = append(os.Environ(), "BIN="+testEnv.bin, "VERSION=1.2.3-4-gabcdef")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("deb.sh: %v\n%s", err, out)
	}
	deb := strings.TrimSpace(string(out))
	if !strings.Contains(filepath.Base(deb), "wharf_1.2.3~4~gabcdef_") {
		t.Errorf("package %s", deb)
	}
	contents, err := exec.Command("dpkg-deb", "--contents", deb).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"./usr/bin/wharfd", "./usr/bin/wharf", "./usr/bin/wharf-front", "./usr/bin/wharf-cli", "./lib/systemd/system/wharfd.service",
		"./usr/lib/docker/cli-plugins/docker-compose", "./usr/share/zsh/vendor-completions/_wharf", "./etc/wharf/daemon.json"} {
		if !strings.Contains(string(contents), f+"\n") {
			t.Errorf("package lacks %s", f)
		}
	}
	info, _ := exec.Command("dpkg-deb", "--info", deb).Output()
	for _, want := range []string{"Depends: runc | crun, conmon, iptables", "conffiles", "postinst", "prerm", "postrm"} {
		if !strings.Contains(string(info), want) {
			t.Errorf("package info lacks %q:\n%s", want, info)
		}
	}
}

// TestDebInstallUpgradePurge installs the package on this machine with
// dpkg, runs a container under the installed wharfd, upgrades the
// package and restarts wharfd as the package's postinst does under
// systemd (the container keeps running, the new wharfd takes it over and
// runs the new binary), then removes and purges it. It is skipped
// where wharf is installed already, so it never replaces a real install.
func TestDebInstallUpgradePurge(t *testing.T) {
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("dpkg is not installed")
	}
	if exec.Command("dpkg", "-s", "wharf").Run() == nil {
		t.Skip("the wharf package is installed on this machine: not touching it")
	}
	if _, err := os.Stat("/usr/bin/wharfd"); err == nil {
		t.Skip("/usr/bin/wharfd exists: not touching it")
	}
	hadGroup := exec.Command("getent", "group", "wharf").Run() == nil
	dist := t.TempDir()
	build := func(version string) string {
		cmd := exec.Command("../../hack/deb.sh", dist)
		cmd.Env = append(os.Environ(), "BIN="+testEnv.bin, "VERSION="+version)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("deb.sh: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	dpkg := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("dpkg", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("dpkg %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	t.Cleanup(func() {
		exec.Command("dpkg", "--purge", "wharf").Run()
		if !hadGroup {
			exec.Command("groupdel", "wharf").Run()
		}
	})
	dpkg("-i", build("1.0.0"))
	if exec.Command("getent", "group", "wharf").Run() != nil {
		t.Error("postinst made no wharf group")
	}
	for _, f := range []string{"/usr/bin/wharf", "/usr/bin/wharfd", "/lib/systemd/system/wharfd.service", "/etc/wharf/daemon.json"} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("installed: %v", err)
		}
	}
	// A wharfd from the package, on a private root.
	e := newPrivateEnv(t, `{"iptables": false}`)
	e.bin = "/usr/bin"
	e.startPrivate(t)
	id := strings.TrimSpace(e.run("wharf", "run", "-d", "busybox", "sleep", "600").stdout)
	if id == "" {
		t.Fatal("no container")
	}
	dpkg("-i", build("1.1.0"))
	e.stopDaemon(syscall.SIGTERM)
	if err := e.startDaemon(); err != nil {
		t.Fatal(err)
	}
	if got, _ := exec.Command("dpkg-query", "-W", "-f=${Version}", "wharf").Output(); string(got) != "1.1.0" {
		t.Errorf("package after the upgrade: %q", got)
	}
	if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", e.daemon.Process.Pid)); exe != "/usr/bin/wharfd" {
		t.Errorf("the restarted wharfd runs %q, not the upgraded /usr/bin/wharfd", exe)
	}
	if got := e.run("wharf", "inspect", "--format", "{{.State.Running}}", id).stdout; strings.TrimSpace(got) != "true" {
		t.Errorf("container after the upgrade: running %q", got)
	}
	e.run("wharf", "rm", "-f", id)
	e.stopDaemon(syscall.SIGTERM) // its teardown (at the end) must not need the removed CLI
	dpkg("-r", "wharf")
	if _, err := os.Stat("/usr/bin/wharfd"); err == nil {
		t.Error("dpkg -r left /usr/bin/wharfd")
	}
	if _, err := os.Stat("/etc/wharf/daemon.json"); err != nil {
		t.Error("dpkg -r removed the conffile (only purge should)")
	}
	dpkg("--purge", "wharf")
	if _, err := os.Stat("/etc/wharf"); err == nil {
		t.Error("dpkg --purge left /etc/wharf")
	}
}
