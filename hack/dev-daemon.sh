#!/bin/sh
# (Re)starts the development wharfd from bin/ with its defaults, in the
# background (log: /tmp/wharfd.log, pid: /tmp/wharfd.pid). Other wharfd
# instances (the test suite's) are left alone.
if [ -f /tmp/wharfd.pid ]; then kill "$(cat /tmp/wharfd.pid)" 2>/dev/null; sleep 0.3; fi
setsid "$(dirname "$0")/../bin/wharfd" -D "$@" </dev/null >/tmp/wharfd.log 2>&1 &
echo $! >/tmp/wharfd.pid
for i in $(seq 50); do [ -S /run/wharf/wharf.sock ] && curl -s --unix-socket /run/wharf/wharf.sock http://x/_ping >/dev/null && exit 0; sleep 0.1; done
