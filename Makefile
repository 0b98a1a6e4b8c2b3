# Wharf: a Docker-compatible container engine.
#   make demo   installs what the machine lacks, builds, starts wharfd and runs a container
#   make install  installs wharf, wharfd, the systemd units, completions and
#                 /etc/wharf/daemon.json under $(DESTDIR)$(PREFIX) (/usr/local)
#   make uninstall  removes them (PURGE=1: and /var/lib/wharf)
#   make deb    builds a Debian package in dist/
#   make test   runs every test: unit tests, then (as root) the integration suite
GO        ?= go
BIN       := bin
DEB_PKGS  := runc crun conmon busybox-static iptables tini containernetworking-plugins libseccomp-dev pkg-config musl-tools
SOCK      := /run/wharf/wharf.sock
PREFIX    ?= /usr/local
SYSTEMDUNITDIR ?= /etc/systemd/system

.PHONY: all build compose-plugin web web-test test-deps install uninstall deb deps demo test unit integration bench lint clean

all: build

# `docker compose version` prints the version of the compose module built;
# it is also the com.docker.compose.version label.
COMPOSE_LDFLAGS = -X github.com/docker/compose/v5/internal.Version=$(shell $(GO) list -m -f '{{.Version}}' github.com/docker/compose/v5)

# Versions stamped into the binaries (`wharf version`, `wharfd --version`):
# git describe, after the release's tag once there is one.
VERSION   ?= $(shell v=$$(git describe --tags --dirty 2>/dev/null) && echo $${v#v} || echo 0.1.0-dev+$$(git describe --always --dirty 2>/dev/null || echo unknown))
COMMIT    ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
# /version's BuildTime, in dockerd's form; SOURCE_DATE_EPOCH for reproducible builds.
BUILDTIME ?= $(shell date -u -d @$${SOURCE_DATE_EPOCH:-$$(date +%s)} +%Y-%m-%dT%H:%M:%S.000000000+00:00)
VERSION_LDFLAGS = -X github.com/wharf/wharf/internal/version.Version=$(VERSION) \
	-X github.com/wharf/wharf/internal/version.GitCommit=$(COMMIT) \
	-X github.com/wharf/wharf/internal/version.BuildTime=$(BUILDTIME) \
	-X main.version=$(VERSION) \
	-X github.com/wharf/wharf/cmd/wharf-front/route.version=$(VERSION) \
	-X github.com/docker/cli/cli/version.Version=$(VERSION) \
	-X github.com/docker/cli/cli/version.GitCommit=$(COMMIT) \
	-X github.com/docker/cli/cli/version.PlatformName=Wharf

# wharf-runc is runc 1.4 with a compiled-seccomp-filter cache
# (hack/runc/build.sh: cached, so only the first build compiles it); wharfd
# runs it from beside itself, else Debian's runc.
# wharf-crun runs crun where crun refuses a hybrid cgroup host
# (cmd/wharf-crun; cgo, for a constructor that runs before Go's threads).
# wharf-exec-init runs inside containers (by exec): CGO_ENABLED=0 keeps it
# static whatever its imports become. The CLI is static too, as docker's
# is: every command starts without the dynamic loader and libc (fewer page
# faults, ~5% of `wharf --version`). hack/cli/build.sh builds its three
# binaries: wharf, a small C program (system cc) that only execs one of
# wharf-front, which answers --version, ps, inspect and exec itself
# (cmd/wharf-front says exactly when), and wharf-cli, docker's whole
# command tree, for everything else; the two Go ones with libraries
# patched to do work when first used, not at every start.
build: compose-plugin web
	hack/cli/build.sh $(BIN) "$(VERSION_LDFLAGS)"
	$(GO) build -trimpath -ldflags "-s -w $(VERSION_LDFLAGS)" -o $(BIN)/wharfd ./cmd/wharfd
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o $(BIN)/wharf-exec-init ./cmd/wharf-exec-init
	hack/runc/build.sh $(BIN)/wharf-runc
	CGO_ENABLED=1 $(GO) build -trimpath -ldflags "-s -w" -o $(BIN)/wharf-crun ./cmd/wharf-crun

# The web dashboard's front end (web/, Svelte + Vite), built into
# internal/dashboard/assets/dist, which wharfd embeds. Rebuilt when its
# sources change; `npm ci` runs when the lock file does. Without npm, Go
# builds still work and wharfd serves a placeholder page.
WEB_DIST := internal/dashboard/assets/dist/index.html
WEB_SRC  := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json
web: $(WEB_DIST)
web/node_modules/.package-lock.json: web/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install nodejs and npm to build the dashboard" >&2; exit 1; }
	cd web && npm ci --no-audit --no-fund
$(WEB_DIST): web/node_modules/.package-lock.json $(WEB_SRC)
	cd web && npm run build

# The front end's unit tests (Vitest).
web-test: web/node_modules/.package-lock.json
	cd web && npm test

# docker compose's own CLI plugin, docker-compose: `wharf compose` runs it
# from beside wharf (or from the docker CLI's plugin directories), and the
# docker CLI runs it as `docker compose`.
compose-plugin:
	$(GO) build -trimpath -ldflags "-s -w $(COMPOSE_LDFLAGS)" -o $(BIN)/docker-compose github.com/docker/compose/v5/cmd

# wharfd finds wharf-exec-init beside itself; wharf and the docker CLI find
# docker-compose in the docker CLI's system plugin directory. The rest:
# hack/install.sh (systemd units, completions, daemon.json).
install: build
	BIN=$(BIN) PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) SYSTEMDUNITDIR=$(SYSTEMDUNITDIR) hack/install.sh install

uninstall:
	BIN=$(BIN) PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) SYSTEMDUNITDIR=$(SYSTEMDUNITDIR) PURGE=$(PURGE) hack/install.sh uninstall

# A Debian package of the above, installed under /usr (hack/deb.sh).
deb: build
	BIN=$(BIN) VERSION=$(VERSION) hack/deb.sh dist

# Debian packages the engine runs with (installed only when missing).
deps:
	@missing=""; for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# What only the tests need: chromium (the dashboard's browser test),
# the distribution registry, docker-compose 1.29 and python3-docker (the
# clients users run). Debian enables the registry's own service on port
# 5000; the tests run their own, so it is stopped and disabled.
TEST_DEB_PKGS := chromium docker-registry docker-compose python3-docker
test-deps:
	@$(MAKE) --no-print-directory deps DEB_PKGS="$(TEST_DEB_PKGS)"
	@# The CRI tests' tools, built once and cached in ~/.cache/wharf-tools
	@# (cold: crictl 3-8 min, the kubelet about 7 min on 2 idle cores).
	@hack/tools/crictl/build.sh >/dev/null
	@hack/tools/kubelet/build.sh >/dev/null || echo "the kubelet could not be built: TestKubeletStandalone will skip" >&2
	@if [ -e /etc/systemd/system/multi-user.target.wants/docker-registry.service ] || [ -d /run/systemd/system ]; then \
		systemctl stop docker-registry >/dev/null 2>&1 || true; \
		deb-systemd-helper disable docker-registry.service >/dev/null 2>&1 || systemctl disable docker-registry >/dev/null 2>&1 || true; \
	fi

demo: deps build
	@if ! $(BIN)/wharf version >/dev/null 2>&1; then \
		echo "starting wharfd (log: /var/log/wharfd.log)"; \
		nohup $(BIN)/wharfd >/var/log/wharfd.log 2>&1 & \
		for i in $$(seq 50); do [ -S $(SOCK) ] && break; sleep 0.1; done; \
	fi
	@$(BIN)/wharf image inspect busybox >/dev/null 2>&1 || { \
		hack/busybox-image.sh /tmp/wharf-busybox.tar && \
		$(BIN)/wharf import -c 'CMD ["sh"]' /tmp/wharf-busybox.tar busybox:latest >/dev/null && \
		rm -f /tmp/wharf-busybox.tar; }
	$(BIN)/wharf run --rm busybox echo "hello from a wharf container"

test: unit integration

# Unit tests run with the race detector: they include the services'
# concurrency tests. Then the dashboard's front-end tests.
unit:
	$(GO) test -race ./...
	$(MAKE) web-test

# The integration suite starts its own wharfd on a private data root and
# socket, and drives it with wharf and the official docker CLI. Its
# containers run with wharfd's default runtime, crun where it is installed
# (make deps installs it); RUNC_TESTS, the tests a runtime's behaviour
# shows in, run again with runc as the default, the runtime of hosts
# without crun and of --runtime runc.
RUNC_TESTS := TestRunEchoAndExitCodes|TestExec|TestExecTTY|TestExecRunExitCodes|TestSDKExecTTY|TestRunEnvWorkdirUserHostname|TestRunErrorCodes|TestStopKill|TestPauseUnpause|TestRestart|TestResourceLimitsInEffect|TestOOMKill|TestPidsLimitCapsForkBomb|TestInit|TestSecurityOpts|TestFailedStartLeavesNothing|TestRunForwardsSignals|TestIpcModes|TestCRIUserns|TestDefaultRuntime
integration: deps test-deps build
	$(GO) test -tags integration -count=1 -p 1 -timeout 45m ./test/...
	WHARF_IT_RUNTIME=runc $(GO) test -tags integration -count=1 -p 1 -timeout 15m -run '^($(RUNC_TESTS))$$' ./test/integration

bench: deps build
	bench/run.sh

lint:
	gofmt -l . | tee /dev/stderr | (! read _)
	$(GO) vet ./...
	$(GO) vet -tags integration ./test/...

clean:
	rm -rf $(BIN) dist internal/dashboard/assets/dist web/node_modules
