#!/usr/bin/env bash
# The benchmark (make bench): 100,000 people and 2,500 groups in a private
# slapd, harmony-sync against the floor of a paged ldapsearch.
#
#   bench.sh BIN [--people N] [--groups G] [--ldap-only]
#
# Prints each step's wall time and peak RSS (best wall and largest RSS of
# three runs, but for apply), the ratio of harmony-sync's
# full fetch (test-connection) and of each plan/apply to the ldapsearch
# floor (the people search plus the groups search: the entries harmony-sync
# fetches), and the peak RSS per member.  The job is `incremental:
# syncrepl`: the apply fills the mirror, the no-change plan refreshes it
# (plan-no-change), and plan-no-change-full is the same plan fetching
# everything (--full).  slapd is stopped and the temp
# directory removed on any exit.
set -eu
bin=${1:?usage: bench.sh BIN [--people N] [--groups G] [--ldap-only]}; shift
people=100000 groups=2500 ldap_only=""
while [ $# -gt 0 ]; do
	case $1 in
	--ldap-only) ldap_only=1; shift ;;
	--people) people=$2; shift 2 ;;
	--groups) groups=$2; shift 2 ;;
	*) echo "bench.sh: unknown option '$1'" >&2; exit 1 ;;
	esac
done
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/hs-bench.XXXXXX")
trap 'bash "$here/slapd.sh" clean "$dir/slapd" || true; rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM
[ -x /usr/bin/time ] || { echo "bench.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

# timed NAME CMD...: runs CMD with stdout to /dev/null, records "wall rss"
# in $dir/NAME.t and prints a line.  Exit 2 (plan found changes) is fine.
timed() {
	local name=$1 rc=0; shift
	/usr/bin/time -f '%e %M' -o "$dir/$name.t" "$@" >/dev/null 2>"$dir/$name.err" || rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
		echo "bench.sh: '$name' failed (exit $rc):" >&2
		tail -n 5 "$dir/$name.err" >&2
		exit 1
	fi
	# time adds "Command exited with non-zero status 2" before the figures.
	tail -n 1 "$dir/$name.t" >"$dir/$name.t.1" && mv "$dir/$name.t.1" "$dir/$name.t"
	read -r wall rss <"$dir/$name.t"
	printf '%-22s %8.2f s %9d KB\n' "$name" "$wall" "$rss"
}
wall() { cut -d' ' -f1 "$dir/$1.t"; }
rss() { cut -d' ' -f2 "$dir/$1.t"; }

# best3 NAME CMD...: three timed runs; NAME.t gets the best wall time and
# the largest peak RSS of the three (the shared machine is noisy: one run
# says little, and the floor is a best of three too).
best3() {
	local name=$1 i w r bw="" br=0; shift
	for i in 1 2 3; do
		timed "$name-$i" "$@"
		w=$(wall "$name-$i") r=$(rss "$name-$i")
		if [ -z "$bw" ] || awk "BEGIN{exit !($w < $bw)}"; then bw=$w; fi
		[ "$r" -gt "$br" ] && br=$r
	done
	echo "$bw $br" >"$dir/$name.t"
}

echo "== $people people, $groups groups"
timed generate python3 "$here/gen_org.py" --people "$people" --groups "$groups" \
	--out "$dir/org.ldif"
timed slapadd+start bash "$here/slapd.sh" start "$dir/slapd" --ldif "$dir/org.ldif"
bash "$here/slapd.sh" config "$dir/slapd" "$here/../mappings/openldap.yaml" \
	"$dir/state.db" "$people" syncrepl >"$dir/hs.yaml"
url=$(cat "$dir/slapd/url")

# The floor: best of three paged reads of the same entries and attributes
# harmony-sync fetches, people then groups, each pair timed as one.
search() { # BASE FILTER
	ldapsearch -x -LLL -H "$url" \
		-D cn=harmony-sync,ou=services,dc=example,dc=com -y "$dir/slapd/service.pw" \
		-b "$1" -E pr=1000/noprompt "$2" '*' entryUUID
}
floor() {
	search ou=people,dc=example,dc=com "(objectClass=inetOrgPerson)" &&
	search ou=groups,dc=example,dc=com "(objectClass=groupOfNames)"
}
export url dir
export -f search floor
best3 floor-before bash -c floor

cfg=(-c "$dir/hs.yaml")
best3 fetch "$bin" "${cfg[@]}" test-connection
best3 plan-empty-store "$bin" "${cfg[@]}" plan
timed apply "$bin" "${cfg[@]}" apply
best3 plan-no-change "$bin" "${cfg[@]}" plan
best3 plan-no-change-full "$bin" "${cfg[@]}" plan --full
# The floor again: the best of six is the strictest yardstick.
best3 floor-after bash -c floor
best=$(printf '%s\n%s\n' "$(wall floor-before)" "$(wall floor-after)" | sort -n | head -n 1)
echo "floor (best of six ldapsearch runs, people + groups): $best s"

echo "== ratios to the floor, and memory"
for n in fetch plan-empty-store apply plan-no-change plan-no-change-full; do
	awk -v n="$n" -v w="$(wall "$n")" -v f="$best" -v r="$(rss "$n")" -v p="$people" \
		'BEGIN { printf "%-22s %6.2fx floor  %8.0f bytes RSS per member\n", n, w / f, r * 1024 / p }'
done

# The SCIM source against the local SCIM test server (its own temp dir);
# slapd is stopped first so that it does not share the cores.
bash "$here/slapd.sh" clean "$dir/slapd" || true
[ -n "$ldap_only" ] || bash "$here/bench_scim.sh" "$bin" --users "$people"
