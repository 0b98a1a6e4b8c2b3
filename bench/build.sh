#!/bin/sh
# Build benchmark against a private wharfd: FROM busybox, three RUN steps,
# a COPY of a 50 MB context of 5,000 small files, CMD. Prints the median
# wall time of a cold build (--no-cache), a fully cached build and a build
# after one copied file changed.
# Usage: bench/build.sh [runs]   (from the repository root, as root)
set -eu
cd "$(dirname "$0")/.."
runs=${1:-5}
. bench/lib.sh
trap stop_wharfd EXIT
start_wharfd buildbench
export DOCKER_HOST="unix://$sock" DOCKER_BUILDKIT=0

ctx=$tmp/ctx
mkdir -p "$ctx"
cat >"$ctx/Dockerfile" <<'DF'
FROM busybox
RUN echo one > /one
RUN echo two > /two
RUN echo three > /three
COPY files /files
CMD ["ls", "/files"]
DF
# 5,000 files of 10 KiB in 50 directories.
for d in $(seq 50); do
	mkdir -p "$ctx/files/d$d"
	for f in $(seq 100); do
		head -c 10240 /dev/urandom >"$ctx/files/d$d/f$f"
	done
done

# time_build [args...]: wall seconds of one build
time_build() {
	s=$(date +%s.%N)
	bin/wharf build -q -t bench-build "$@" "$ctx" >/dev/null
	e=$(date +%s.%N)
	echo "$e - $s" | bc
}
median() { sort -n | awk '{a[NR]=$1} END {m=int((NR+1)/2); printf "%.3f", a[m]}'; }

cold=$(for i in $(seq "$runs"); do time_build --no-cache; done | median)
cached=$(for i in $(seq "$runs"); do time_build; done | median)
changed=$(for i in $(seq "$runs"); do echo "$i" >>"$ctx/files/d1/f1"; time_build; done | median)
# A build leaves its last layers to be extracted when first used: the
# first run of the image after a one-file change pays for that.
firstrun=$(for i in $(seq "$runs"); do
	echo "r$i" >>"$ctx/files/d1/f1"
	bin/wharf build -q -t bench-build "$ctx" >/dev/null
	s=$(date +%s.%N); bin/wharf run --rm bench-build true; e=$(date +%s.%N)
	echo "$e - $s" | bc
done | median)
echo "build (median of $runs): cold ${cold}s, fully cached ${cached}s, one file changed ${changed}s"
echo "first run --rm of the image after a one-file change: ${firstrun}s"
