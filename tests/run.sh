#!/usr/bin/env bash
# Runs every unit test binary, then every integration test script, and
# prints the closing line "N passed, N failed, N skipped".
#
# Protocol: a test prints "PASS name", "FAIL name" or "SKIP name: why" per
# case.  A test program that exits non-zero without printing a FAIL line
# (a crash, a sanitizer report) counts as one failure; so does one that
# prints nothing at all.
set -u
here=$(cd "$(dirname "$0")" && pwd)
unit_dir=${HS_UNIT_DIR:?}
export HS_BIN=${HS_BIN:?}
pass=0 fail=0 skip=0
failed_names=()

run_one() {	# name, command...
	local name=$1; shift
	local out rc p f s
	out=$("$@" 2>&1); rc=$?
	printf '%s\n' "$out" | sed "s|^|[$name] |"
	p=$(printf '%s\n' "$out" | grep -c '^PASS ')
	f=$(printf '%s\n' "$out" | grep -c '^FAIL ')
	s=$(printf '%s\n' "$out" | grep -c '^SKIP ')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $name: exited $rc without reporting a failure"
		f=1
	fi
	if [ $((p + f + s)) -eq 0 ]; then
		echo "FAIL $name: ran no test"
		f=1
	fi
	[ "$f" -gt 0 ] && failed_names+=("$name")
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
}

for t in "$unit_dir"/test_*; do
	[ -x "$t" ] || continue
	[ -n "${HS_SKIP_UNIT:-}" ] && break
	run_one "unit/$(basename "$t")" "$t"
done
for t in "$here"/integration/*.sh; do
	[ -f "$t" ] || continue
	case $(basename "$t") in lib.sh) continue ;; esac
	run_one "integration/$(basename "$t" .sh)" bash "$t"
done

# make valgrind: every report must be empty (memcheck errors, definite leaks).
if [ -n "${HS_VALGRIND_DIR:-}" ]; then
	for r in "$HS_VALGRIND_DIR"/vg.*.log; do
		[ -s "$r" ] || continue
		echo "FAIL valgrind: $(basename "$r")"; head -n 20 "$r"
		fail=$((fail + 1)); failed_names+=("valgrind")
	done
fi

echo
[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
