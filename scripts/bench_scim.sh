#!/usr/bin/env bash
# SCIM part of `make bench`: fetch 100,000 users and their groups from the
# local SCIM test server at page size 100 with the SCIM source (scim_fetch
# driver: paging, parsing into records, group linking) at concurrency 1
# and 4, against the floor: one sequential curl process fetching the same
# pages over one kept-alive connection, discarding the bodies.
#   bench_scim.sh [USERS]     (default 100000)
set -eu
export SCIM_START_TIMEOUT=${SCIM_START_TIMEOUT:-400}
sub() { awk -v a="$1" -v b="$2" 'BEGIN{print a-b}'; }
. "$(dirname "$0")/../tests/integration/scim_lib.inc"
n=${1:-100000}; groups=$((n / 1000 > 0 ? n / 1000 : 1)); ps=100
scim_build_driver
echo bench-token >"$tmp/tok"
t0=$(date +%s.%N)
scim_start bench --users "$n" --groups "$groups" --token bench-token
printf 'scim server: %d users, %d groups rendered in %.1fs\n' "$n" "$groups" "$(sub "$(date +%s.%N)" "$t0")"
base=http://127.0.0.1:$port

# Same pages the client asks for: users then groups (groups + all-teams).
{
	echo 'header = "Authorization: Bearer bench-token"'
	for ((s = 1; s <= n; s += ps)); do printf 'url = "%s/Users?startIndex=%d&count=%d"\noutput = "/dev/null"\n' "$base" "$s" "$ps"; done
	for ((s = 1; s <= groups + 1; s += ps)); do printf 'url = "%s/Groups?startIndex=%d&count=%d"\noutput = "/dev/null"\n' "$base" "$s" "$ps"; done
} >"$tmp/curl.cfg"

best() {	# runs "$@" 3 times, prints the best wall time in seconds
	local b= i t s
	for i in 1 2 3; do
		s=$(date +%s.%N); "$@" >"$tmp/bench.out" 2>"$tmp/bench.err" || { cat "$tmp/bench.err" >&2; return 1; }
		t=$(sub "$(date +%s.%N)" "$s")
		if [ -z "$b" ] || awk -v t="$t" -v b="$b" 'BEGIN{exit !(t<b)}'; then b=$t; fi
	done
	echo "$b"
}
# Warm the server's caches and the connection path once.
curl -s -K "$tmp/curl.cfg" >/dev/null
floor=$(best curl -s -K "$tmp/curl.cfg")
c1=$(best "$tmp/scim_fetch" --url "$base" --token-file "$tmp/tok" --page-size $ps --concurrency 1)
got=$(head -n1 "$tmp/bench.out")
c4=$(best "$tmp/scim_fetch" --url "$base" --token-file "$tmp/tok" --page-size $ps --concurrency 4)
[ "$(head -n1 "$tmp/bench.out")" = "$got" ] || { echo "bench_scim: results differ between concurrency 1 and 4" >&2; exit 1; }
printf 'scim fetch of %s (page size %d), best of 3:\n' "$got" "$ps"
printf '  curl sequential floor  %6.2fs\n' "$floor"
printf '  concurrency 1          %6.2fs  (%.2fx the floor)\n' "$c1" "$(awk -v a="$c1" -v b="$floor" 'BEGIN{print a/b}')"
printf '  concurrency 4          %6.2fs  (%.2fx the floor)\n' "$c4" "$(awk -v a="$c4" -v b="$floor" 'BEGIN{print a/b}')"
