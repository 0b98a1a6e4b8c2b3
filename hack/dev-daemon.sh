#!/bin/sh
# Restarts a development wharfd from bin/ in the background (log in /tmp/wharfd.log).
pkill -x wharfd 2>/dev/null; sleep 0.2
setsid nohup "$(dirname "$0")/../bin/wharfd" -D "$@" </dev/null >/tmp/wharfd.log 2>&1 &
for i in $(seq 50); do [ -S /run/wharf/wharf.sock ] && exit 0; sleep 0.1; done
