#!/bin/sh
# Two make targets at once must not break each other: whatever checks out or rewrites the kernel
# tree (a kernel build, applying or exporting the series) or rebuilds an initramfs waits while
# another target has it. Holds each lock as another target would, starts what make check runs,
# and checks that it waited for the lock and then did its work.
set -eu
. "$(dirname "$0")/lib.sh"
HOLD=4

# must_wait LOCKFILE WHAT CMD...: CMD, started while LOCKFILE is held, waits for it and succeeds.
must_wait() {
	_lock=$1 _what=$2; shift 2
	flock "$_lock" sleep "$HOLD" &
	_holder=$!
	while flock -n "$_lock" true; do sleep 0.1; done	# until the holder has it
	_start=$(date +%s)
	_rc=0
	_out=$("$@" 2>&1) || _rc=$?
	_waited=$(elapsed "$_start")
	wait "$_holder"
	[ "$_rc" -eq 0 ] || die "$_what failed (exit $_rc) after waiting for $_lock:
$_out"
	echo "$_out" | grep -q "waiting for" && [ "$_waited" -ge $((HOLD - 1)) ] ||
		die "$_what did not wait for $_lock (took ${_waited}s): two targets would collide"
	say "$_what waited ${_waited}s for ${_lock#"$BUILD"/}, then succeeded"
}

must_wait "$BUILD/.tree.lock" "applying the series" sh "$TOP/scripts/apply-series.sh"
must_wait "$BUILD/.tree.lock" "a kernel configuration" \
	env OUT="$BUILD/out/selftest-config" sh "$TOP/scripts/build-kernel.sh" --config-only baseline-4k
must_wait "$BUILD/guest.lock" "the guest initramfs" sh "$TOP/scripts/build-guest.sh"
