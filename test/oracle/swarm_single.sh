#!/bin/sh
# The one-node swarm scenarios of test/integration/swarm_services_test.go
# as a script, against the engine at $DOCKER_SOCK, printing what the
# docker CLI shows with IDs, ages and times blanked, so two engines'
# outputs can be diffed:
#   test/oracle/run-dockerd.sh sh test/oracle/swarm_single.sh > dockerd.out
#   DOCKER_SOCK=/run/wharf/wharf.sock sh test/oracle/swarm_single.sh > wharf.out
#   diff dockerd.out wharf.out
# Leaves the engine out of any swarm and without services.
set -u
export DOCKER_HOST=unix://$DOCKER_SOCK
d() { docker "$@"; }
blank() {
	sed -E -e 's/[a-z0-9]{25}/<ID>/g' -e 's/[0-9a-f]{12}([0-9a-f]{52})?/<ID>/g' \
		-e 's/SWMKEY-1-[A-Za-z0-9+\/]+/SWMKEY-1-<KEY>/g' -e 's/SWMTKN-1-[A-Za-z0-9-]+/SWMTKN-1-<TOKEN>/g' \
		-e 's/(Running|Pending|Shutdown|Failed|Complete|Rejected|Ready|Starting|Preparing|Assigned|Accepted) [a-z0-9 ]+ ago/\1 <AGE>/g' \
		-e 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+ [+-][0-9]{4} (UTC|[A-Z]+)/<TIME>/g' -e 's/[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+:2377/<ADDR>:2377/g' \
		-e "s/$(hostname)/<HOST>/g" -e 's/[ \t]+/ /g'
}
show() {
	echo "\$ docker $*"
	out=$(d "$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" | blank
	echo "[exit $rc]"
}
wait_for() { # seconds command...
	n=$(($1 * 10)); shift
	while [ $n -gt 0 ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; n=$((n - 1)); done
	echo "(timed out waiting for: $*)"
}
state_is() { [ "$(d service inspect --format '{{.UpdateStatus.State}}' "$1" 2>/dev/null)" = "$2" ]; }
replicas_are() { [ "$(d service ls --filter "name=$1" --format '{{.Replicas}}')" = "$2" ]; }

show swarm init --autolock --advertise-addr 127.0.0.1
show swarm unlock-key
printf 'x\n' | show swarm unlock
show swarm unlock-key --rotate

show service create -d --name rb --replicas 2 --stop-grace-period 1s --update-parallelism 2 --update-monitor 1s --rollback-monitor 1s busybox sleep 100000
wait_for 60 replicas_are rb 2/2
show service update -d --env-add STAGE=two rb
wait_for 60 state_is rb completed
show service update -d --rollback rb
wait_for 60 state_is rb rollback_completed
show service inspect --format '{{.UpdateStatus.State}} {{.UpdateStatus.Message}} {{.Spec.TaskTemplate.ContainerSpec.Env}} {{.PreviousSpec.TaskTemplate.ContainerSpec.Env}}' rb
show service update -d --update-failure-action rollback --entrypoint false rb
wait_for 90 state_is rb rollback_completed
show service inspect --format '{{.UpdateStatus.State}} {{.UpdateStatus.Message}} {{.Spec.TaskTemplate.ContainerSpec.Command}}' rb
show service ps --no-trunc --filter desired-state=shutdown --format '{{.Name}}|{{.DesiredState}}|{{.Error}}' rb
show service rm rb

show node update --label-add zone=east self
show service create -d --name east --constraint node.labels.zone==east --stop-grace-period 1s busybox sleep 100000
show service create -d --name west --constraint node.labels.zone==west busybox sleep 100000
wait_for 60 replicas_are east 1/1
sleep 2
show service ps east
show service ps --no-trunc west
show node ps self
show service inspect --pretty east
show service create -d --name g --mode global --stop-grace-period 1s busybox sleep 100000
wait_for 60 replicas_are g 1/1
show service ls --format '{{.Name}} {{.Mode}} {{.Replicas}}'
show node rm self
show service rm east west g
show node update --label-rm zone self
show swarm leave
show swarm leave --force
show info --format '{{.Swarm.LocalNodeState}}'
