#!/usr/bin/env bash
# The demo (make demo): a private slapd with a ~300-person sample org
# (scripts/gen_org.py --quirks), a config pointing at it with
# mappings/openldap.yaml and incremental: syncrepl, then check -> plan ->
# apply -> an incremental plan -> status -> members -> orgchart.  slapd is stopped and the temp directory removed on any exit.
#
#   demo.sh BIN [--keep]     --keep leaves the directory (and its store)
set -eu
bin=${1:?usage: demo.sh BIN [--keep]}
keep=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
root=$here/..
dir=$(mktemp -d "${TMPDIR:-/tmp}/hs-demo.XXXXXX")

cleanup() {
	bash "$here/slapd.sh" stop "$dir/slapd" || true
	if [ "$keep" = --keep ]; then
		echo "demo: kept $dir (config $dir/harmony-sync.yaml)" >&2
	else
		bash "$here/slapd.sh" clean "$dir/slapd" || true
		rm -rf "$dir"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n==> %s\n' "$*"; }

step "generating a 300-person org with the usual directory quirks"
python3 "$here/gen_org.py" --people 300 --groups 20 --quirks \
	--out "$dir/org.ldif"
step "starting a private slapd"
bash "$here/slapd.sh" start "$dir/slapd" --ldif "$dir/org.ldif"
bash "$here/slapd.sh" config "$dir/slapd" "$root/mappings/openldap.yaml" \
	"$dir/state.db" 250 syncrepl >"$dir/harmony-sync.yaml"
cfg=(-c "$dir/harmony-sync.yaml")

step "harmony-sync check"
"$bin" "${cfg[@]}" check
step "harmony-sync test-connection"
"$bin" "${cfg[@]}" test-connection
step "harmony-sync preview --limit 2 (how entries map, and why)"
"$bin" "${cfg[@]}" preview --limit 2
step "harmony-sync plan (exit 2: there are changes; a few members, the warnings, the summary)"
rc=0; "$bin" "${cfg[@]}" plan >"$dir/plan.txt" || rc=$?
grep -m 1 -A 12 '^+ create member' "$dir/plan.txt"; echo "..."
sed -n '/^Warnings:/,/no_seat_available/p' "$dir/plan.txt"; echo "..."
tail -n 2 "$dir/plan.txt"
[ "$rc" -eq 2 ] || [ "$rc" -eq 0 ] || exit "$rc"
step "harmony-sync apply (summary)"
"$bin" "${cfg[@]}" apply | tail -n 1
step "harmony-sync plan again (incremental: only what changed is read; nothing to do: exit 0)"
"$bin" "${cfg[@]}" plan | tail -n 2
step "harmony-sync status (runs, and the job's mirror for incremental sync)"
"$bin" "${cfg[@]}" status
step "harmony-sync seats"
"$bin" "${cfg[@]}" seats | head -n 8
step "harmony-sync members (first 15)"
"$bin" "${cfg[@]}" members | head -n 16
step "harmony-sync orgchart (first 25 lines)"
"$bin" "${cfg[@]}" orgchart | head -n 25
step "done"
