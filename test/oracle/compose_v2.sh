#!/bin/sh
# Compose v2 (docker/compose v5, as `make compose-plugin` builds it) on a
# project of a short-lived service and a built one: logs -f while they
# run and once all have stopped, then down --rmi local. Run it against
# both daemons to tell compose's behaviour from the daemon's:
#   COMPOSE=bin/docker-compose test/oracle/run-dockerd.sh test/oracle/compose_v2.sh
#   COMPOSE=bin/docker-compose test/oracle/run-wharfd.sh test/oracle/compose_v2.sh
# Seen on both (compose v5.6.0): logs -f never ends by itself, stopped
# containers or not (compose's own, docker/compose#8715), timed out here
# after 40 s; down --rmi local removes the built image.
set -u
C=${COMPOSE:?the docker-compose v2 binary}
d=$(mktemp -d)
p=c2$(date +%s)
trap 'rm -rf "$d"' EXIT
cd "$d"
printf 'FROM busybox\nRUN echo %s > /built\n' "$p" >Dockerfile
cat >compose.yml <<Y
services:
  a:
    image: busybox
    command: sh -c 'echo from-a; sleep 2'
  web:
    build: .
    command: sh -c 'echo from-web'
Y
export DOCKER_HOST=unix://$DOCKER_SOCK COMPOSE_PROJECT_NAME=$p DOCKER_BUILDKIT=0
"$C" version
"$C" up -d --build >/dev/null 2>&1 || { echo "up failed"; exit 1; }
for when in running stopped; do
	s=$(date +%s)
	timeout 40 "$C" logs -f --no-color >/dev/null
	echo "logs -f ($when): exit $? after $(($(date +%s) - s)) s"
	sleep 1
done
"$C" down --rmi local >/dev/null 2>&1
echo "down --rmi local: exit $?; images of the project left: $(docker -H "unix://$DOCKER_SOCK" images -q "$p-web" | wc -l)"
