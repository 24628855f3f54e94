#!/usr/bin/env bash
# The directory dies in the middle of an `apply` (DESIGN §4: any fetch
# error aborts the run before anything is written): slapd is killed with
# SIGKILL while harmony-sync pages through 20,000 people one entry a
# page.  The run must exit 1 with a one-line reason, and the workspace,
# the mirror and its cursors must be exactly as the previous apply left
# them; once slapd is back, the next apply converges.
set -u
. "$(dirname "$0")/lib.sh"
hs_tmpdir
BIN=${HS_BIN:?}
T=$HS_TMP

python3 "$HS_ROOT/scripts/gen_org.py" --people 20000 --groups 40 \
	--out "$T/org.ldif" >/dev/null || { fail setup "gen_org.py failed"; exit 1; }
if ! bash "$HS_ROOT/scripts/slapd.sh" start "$T/ldap" --ldif "$T/org.ldif" \
	>/dev/null 2>"$T/slapd.err"; then
	fail slapd_start "$(tail -n 3 "$T/slapd.err")"
	exit 1
fi
hs_on_exit bash "$HS_ROOT/scripts/slapd.sh" stop "$T/ldap"

config() {	# page size
	bash "$HS_ROOT/scripts/slapd.sh" config "$T/ldap" \
		"$HS_ROOT/mappings/openldap.yaml" "$T/state.db" 30000 syncrepl |
		sed "s/page_size: 1000/page_size: $1/"
}
config 1000 >"$T/fast.yaml"
config 1 >"$T/slow.yaml"

# What must not change: the workspace, the mirror, the cursors.
state() {
	python3 - "$T/state.db" <<'PY'
import sqlite3, sys, hashlib
db = sqlite3.connect(sys.argv[1])
h = hashlib.sha256()
for q in ("select * from members order by id",
          "select * from team_members order by 1, 2",
          "select * from meta order by key",
          "select job, uuid, seq, kind, hex(data) from mirror order by 1, 2",
          "select * from cursors order by 1, 2"):
    for row in db.execute(q):
        h.update(repr(row).encode())
print(h.hexdigest())
PY
}

"$BIN" -c "$T/fast.yaml" -q apply >/dev/null 2>"$T/apply1.err"
assert_eq first_apply_exit 0 $?

# A change the killed run would have applied.
ldapmodify -x -H "$(cat "$T/ldap/url")" -D cn=admin,dc=example,dc=com \
	-y "$T/ldap/admin.pw" >/dev/null <<LDIF
$(grep '^dn: uid=' "$T/org.ldif" | sed -n 3p)
changetype: modify
replace: displayName
displayName: Changed Before The Crash
LDIF
before=$(state)

# connected: waits (up to 60 s: valgrind is slow to start) until a client
# holds a connection to slapd.
connected() {
	local port i
	port=$(cat "$T/ldap/port")
	for i in $(seq 1 600); do
		ss -Htn state established "( sport = :$port )" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# --full: the paged fetch, one entry a page (over a second here), killed
# a third of a second after harmony-sync connected.
"$BIN" -c "$T/slow.yaml" apply --full >"$T/killed.out" 2>"$T/killed.err" &
pid=$!
connected || fail killed_apply_connected "harmony-sync never connected"
sleep 0.3
kill -9 "$(cat "$T/ldap/slapd.pid")"
wait "$pid"
assert_eq killed_apply_exit 1 $?
assert_eq killed_apply_one_line 1 "$(grep -c . "$T/killed.err")"
assert_match killed_apply_reason "cannot search 'ou=(people|groups),dc=example,dc=com'" \
	"$(cat "$T/killed.err")"
assert_eq killed_apply_wrote_nothing "$before" "$(state)"
assert_eq killed_apply_no_plan_printed "" "$(grep '^Applied' "$T/killed.out")"

# Back up: the next apply converges and the change arrives.
if ! bash "$HS_ROOT/scripts/slapd.sh" start "$T/ldap" --port "$(cat "$T/ldap/port")" \
	>/dev/null 2>"$T/slapd2.err"; then
	fail slapd_restart "$(tail -n 3 "$T/slapd2.err")"
	exit 1
fi
"$BIN" -c "$T/fast.yaml" apply >"$T/apply2.out" 2>"$T/apply2.err"
assert_eq after_restart_apply_exit 0 $?
assert_match after_restart_change_arrived 'name: "[^"]*" -> "Changed Before The Crash"' \
	"$(cat "$T/apply2.out")"
"$BIN" -c "$T/fast.yaml" plan >/dev/null 2>&1
assert_eq after_restart_no_changes 0 $?

exit $HS_FAILED
