# Wharf: a Docker-compatible container engine.
#   make demo   installs what the machine lacks, builds, starts wharfd and runs a container
#   make install  installs the binaries under $(PREFIX) (/usr/local)
#   make test   runs every test: unit tests, then (as root) the integration suite
GO        ?= go
BIN       := bin
DEB_PKGS  := runc conmon busybox-static iptables docker-registry tini docker-compose python3-docker
SOCK      := /run/wharf/wharf.sock
PREFIX    ?= /usr/local

.PHONY: all build compose-plugin install deps demo test unit integration bench lint clean

all: build

# `docker compose version` prints the version of the compose module built;
# it is also the com.docker.compose.version label.
COMPOSE_LDFLAGS = -X github.com/docker/compose/v5/internal.Version=$(shell $(GO) list -m -f '{{.Version}}' github.com/docker/compose/v5)

# wharf-exec-init runs inside containers (by exec): CGO_ENABLED=0 keeps it
# static whatever its imports become. wharf is static too, as docker's CLI
# is: every command starts without the dynamic loader and libc (fewer page
# faults, ~5% of `wharf --version`).
build: compose-plugin
	CGO_ENABLED=0 $(GO) build -o $(BIN)/wharf ./cmd/wharf
	$(GO) build -o $(BIN)/wharfd ./cmd/wharfd
	CGO_ENABLED=0 $(GO) build -o $(BIN)/wharf-exec-init ./cmd/wharf-exec-init

# docker compose's own CLI plugin, docker-compose: `wharf compose` runs it
# from beside wharf (or from the docker CLI's plugin directories), and the
# docker CLI runs it as `docker compose`.
compose-plugin:
	$(GO) build -ldflags "$(COMPOSE_LDFLAGS)" -o $(BIN)/docker-compose github.com/docker/compose/v5/cmd

# wharfd finds wharf-exec-init beside itself; wharf and the docker CLI find
# docker-compose in the docker CLI's system plugin directory.
install: build
	install -D -m 755 -t $(DESTDIR)$(PREFIX)/bin $(BIN)/wharf $(BIN)/wharfd $(BIN)/wharf-exec-init
	install -D -m 755 -t $(DESTDIR)$(PREFIX)/lib/docker/cli-plugins $(BIN)/docker-compose

# Debian packages the engine runs with (installed only when missing).
deps:
	@missing=""; for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
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
# concurrency tests.
unit:
	$(GO) test -race ./...

# The integration suite starts its own wharfd on a private data root and
# socket, and drives it with wharf and the official docker CLI.
integration: deps build
	$(GO) test -tags integration -count=1 -p 1 -timeout 30m ./test/...

bench: deps build
	bench/run.sh

lint:
	gofmt -l . | tee /dev/stderr | (! read _)
	$(GO) vet ./...
	$(GO) vet -tags integration ./test/...

clean:
	rm -rf $(BIN)
