#!/usr/bin/env bash
# SCIM part of `make bench` (called at the end of scripts/bench.sh): fetch
# USERS users and their groups from the local SCIM test server at page
# size 100 with `harmony-sync test-connection` (source_scim.c: paging,
# parsing into records, group linking) at concurrency 1 and 4, against the
# floor: one sequential curl process fetching the same pages over one
# kept-alive connection, discarding the bodies.
#   bench_scim.sh [BIN] [--users N]     (default ./harmony-sync, 100000)
# Prints the best of three wall times, the CPU of harmony-sync's best run,
# and each ratio to the floor.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=$here/../harmony-sync
n=100000
while [ $# -gt 0 ]; do
	case $1 in
	--users) n=$2; shift 2 ;;
	-*) echo "bench_scim.sh: unknown option '$1'" >&2; exit 1 ;;
	*) bin=$1; shift ;;
	esac
done
[ -x "$bin" ] || { echo "bench_scim.sh: no harmony-sync binary at '$bin' (make)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench_scim.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
command -v node >/dev/null || { echo "bench_scim.sh: node is not installed (make deps)" >&2; exit 1; }
export SCIM_START_TIMEOUT=${SCIM_START_TIMEOUT:-400}
. "$here/../tests/integration/scim_lib.inc"
sub() { awk -v a="$1" -v b="$2" 'BEGIN{print a-b}'; }
groups=$((n / 1000 > 0 ? n / 1000 : 1)); ps=100

echo "== scim: $n users, $groups groups (+ all-teams), page size $ps"
echo bench-token >"$tmp/tok"
t0=$(date +%s.%N)
scim_start bench --users "$n" --groups "$groups" --token bench-token
printf 'scim server start (render through SCIMMY, once) %8.1f s\n' "$(sub "$(date +%s.%N)" "$t0")"
base=http://127.0.0.1:$port

# The pages harmony-sync asks for: users, then groups (teams + all-teams).
{
	echo 'header = "Authorization: Bearer bench-token"'
	for ((s = 1; s <= n; s += ps)); do printf 'url = "%s/Users?startIndex=%d&count=%d"\noutput = "/dev/null"\n' "$base" "$s" "$ps"; done
	for ((s = 1; s <= groups + 1; s += ps)); do printf 'url = "%s/Groups?startIndex=%d&count=%d"\noutput = "/dev/null"\n' "$base" "$s" "$ps"; done
} >"$tmp/curl.cfg"

config() {	# config CONCURRENCY
	cat <<EOC
store: $tmp/state.db
seats: { capacity: $((n * 2)) }
roles: { Member: [conversations:read:own] }
jobs:
  - name: scim
    source: { type: scim, base_url: "$base", token_file: tok, page_size: $ps, concurrency: $1 }
    mapping: $root/mappings/scim.yaml
EOC
}
config 1 >"$tmp/c1.yaml"
config 4 >"$tmp/c4.yaml"

# best NAME CMD...: best of three; sets $best (wall s) and $cpu (user+sys
# s of that run); the run's stdout is kept in $tmp/NAME.out.
best() {
	local name=$1 i w c; shift
	best= cpu=
	for i in 1 2 3; do
		/usr/bin/time -f '%e %U %S' -o "$tmp/t" "$@" >"$tmp/run.out" 2>"$tmp/run.err" ||
			{ echo "bench_scim.sh: '$name' failed:" >&2; tail -n 5 "$tmp/run.err" >&2; exit 1; }
		read -r w u s < <(tail -n 1 "$tmp/t")
		c=$(awk -v u="$u" -v s="$s" 'BEGIN{print u+s}')
		if [ -z "$best" ] || awk -v t="$w" -v b="$best" 'BEGIN{exit !(t<b)}'; then
			best=$w cpu=$c
			cp "$tmp/run.out" "$tmp/$name.out"
		fi
	done
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }

curl -s -K "$tmp/curl.cfg" >/dev/null	# warm the server and the path
best floor curl -s -K "$tmp/curl.cfg"; floor=$best
best c1 "$bin" -c "$tmp/c1.yaml" test-connection; c1=$best c1cpu=$cpu
best c4 "$bin" -c "$tmp/c4.yaml" test-connection; c4=$best c4cpu=$cpu
if ! cmp -s "$tmp/c1.out" "$tmp/c4.out"; then
	echo "bench_scim.sh: results differ between concurrency 1 and 4" >&2
	diff "$tmp/c1.out" "$tmp/c4.out" >&2 || true
	exit 1
fi
grep -q "users: $n\$" "$tmp/c1.out" ||
	{ echo "bench_scim.sh: expected $n users, got: $(cat "$tmp/c1.out")" >&2; exit 1; }
echo "== scim fetch (test-connection), best of 3"
printf '%-26s %8.2f s\n' "curl sequential (floor)" "$floor"
printf '%-26s %8.2f s  cpu %5.2f s  %5sx floor\n' "harmony-sync concurrency 1" "$c1" "$c1cpu" "$(ratio "$c1" "$floor")"
printf '%-26s %8.2f s  cpu %5.2f s  %5sx floor\n' "harmony-sync concurrency 4" "$c4" "$c4cpu" "$(ratio "$c4" "$floor")"
