#!/usr/bin/env bash
# `incremental: syncrepl` (RFC 4533) against real slapds: the first apply
# fills the mirror, later runs ask only for changes, and every incremental
# plan must equal, byte for byte, the plan of a full fetch (`--full`) of
# the same directory.  Deletions come as ID sets (session log), as a
# present phase (no session log), and a server without syncprov falls
# back to full fetches with a warning.
set -u
. "$(dirname "$0")/lib.sh"
hs_tmpdir
BIN=${HS_BIN:?}
T=$HS_TMP

python3 "$HS_ROOT/scripts/gen_org.py" --people 300 --groups 12 --quirks \
	--out "$T/org.ldif" >/dev/null || { fail setup "gen_org.py failed"; exit 1; }

# start NAME [slapd.sh options]: a slapd in $T/NAME, its URL in $T/NAME.url
start() {
	local name=$1; shift
	if ! bash "$HS_ROOT/scripts/slapd.sh" start "$T/$name" --ldif "$T/org.ldif" \
		"$@" >"$T/$name.url" 2>"$T/$name.err"; then
		fail "${name}_start" "$(tail -n 3 "$T/$name.err")"
		exit 1
	fi
	hs_on_exit bash "$HS_ROOT/scripts/slapd.sh" stop "$T/$name"
}

write_config() {	# name [extra job lines]
	cat >"$T/$1.yaml" <<YAML
store: $T/$1.db
seats: { capacity: 250 }
jobs:
  - name: corp
    ${2:-full_sync_every: 24h}
    source:
      type: ldap
      url: [$(cat "$T/$1.url")]
      bind_dn: cn=harmony-sync,ou=services,dc=example,dc=com
      password_file: $T/$1/service.pw
      users: { base: "ou=people,dc=example,dc=com" }
      groups: { base: "ou=groups,dc=example,dc=com" }
      page_size: 100
      timeout: 5s
      incremental: syncrepl
    mapping: $HS_ROOT/tests/fixtures/ldap-test-mapping.yaml
    safety: { max_deletes: 10, max_delete_percent: 50, on_missing: deallocate }
YAML
}

# admin NAME: ldapmodify as the directory's admin, LDIF on stdin.
admin() {
	ldapmodify -x -H "$(cat "$T/$1.url")" -D cn=admin,dc=example,dc=com \
		-y "$T/$1/admin.pw" >/dev/null 2>"$T/$1.mod.err"
}

mirror_rows() {	# db
	python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from mirror").fetchone()[0])' "$1"
}

# same_as_full NAME CASE: the incremental plan equals the full plan.
same_as_full() {
	local hs=("$BIN" -c "$T/$1.yaml")
	"${hs[@]}" -v plan >"$T/$2.inc" 2>"$T/$2.inc.err"
	local rc=$?
	"${hs[@]}" plan --full >"$T/$2.full" 2>/dev/null
	if cmp -s "$T/$2.inc" "$T/$2.full"; then
		pass "$2_same_as_full"
	else
		fail "$2_same_as_full" "$(diff "$T/$2.inc" "$T/$2.full" | head -n 5 | tr '\n' '|')"
	fi
	if grep -q "incremental refresh" "$T/$2.inc.err"; then
		pass "$2_was_incremental"
	else
		fail "$2_was_incremental" "$(tail -n 2 "$T/$2.inc.err" | tr '\n' '|')"
	fi
	return $rc
}

dn_of() {	# the Nth person's DN in the LDIF (1-based)
	grep '^dn: uid=' "$T/org.ldif" | sed -n "${1}p" | cut -d' ' -f2-
}

# fetched FILE: users + groups a -v run's log says it fetched.
fetched() {
	sed -n 's/.*: \([0-9]*\) users, \([0-9]*\) groups fetched.*/\1 + \2/p' "$1" |
		tail -n 1 | xargs expr
}

# ---- with a session log: deletions come as ID sets
start sl
write_config sl
hs=("$BIN" -c "$T/sl.yaml")
"${hs[@]}" plan >/dev/null 2>&1
assert_match status_before_apply "Job 'corp': incremental \(syncrepl\), no mirror yet" \
	"$("${hs[@]}" status 2>&1)"
"${hs[@]}" -v apply >"$T/apply1.out" 2>"$T/apply1.err"
assert_eq first_apply_exit 0 $?
total=$(fetched "$T/apply1.err")
assert_eq first_apply_fills_mirror "$total" "$(mirror_rows "$T/sl.db")"
assert_match status_after_apply "Job 'corp': incremental \(syncrepl\), mirror of $total entries from $(cat "$T/sl.url"), last full fetch [0-9T:-]+Z, next due [0-9T:-]+Z" \
	"$("${hs[@]}" status 2>&1)"

same_as_full sl unchanged
assert_eq unchanged_plan_exit 0 $?

victim=$(dn_of 5) renamed=$(dn_of 6) mover=$(dn_of 7) boss=$(dn_of 8)
team=$(grep '^dn: cn=team-' "$T/org.ldif" | head -n 1 | cut -d' ' -f2-)
member=$(awk -v t="dn: $team" '$0 == t {g = 1; next} g && /^member:/ {print $2; exit}' "$T/org.ldif")
# The two changes every server below gets: one entry gone, one renamed.
gone_and_renamed() {
	cat <<LDIF
dn: $victim
changetype: delete

dn: $renamed
changetype: modify
replace: displayName
displayName: Renamed Person
LDIF
}
{ gone_and_renamed; echo; cat <<LDIF; } | admin sl
dn: $team
changetype: modify
delete: member
member: $member
-
add: member
member: $mover

dn: uid=new.hire,ou=people,dc=example,dc=com
changetype: add
objectClass: inetOrgPerson
uid: new.hire
cn: New Hire
sn: Hire
mail: new.hire@example.com
manager: $boss
LDIF
assert_eq changes_written 0 $?

same_as_full sl changed
assert_eq changed_plan_exit 2 $?
assert_eq changed_plan_creates "+ create member new.hire@example.com" \
	"$(grep '^+ create member' "$T/changed.inc")"
assert_match changed_plan_summary '^Plan: 1 to create, [0-9]+ to update, 0 to delete' \
	"$(grep '^Plan:' "$T/changed.inc")"
assert_match changed_plan_victim_suspended 'status: "active" -> "suspended"' "$(cat "$T/changed.inc")"
assert_match changed_plan_rename 'name: "[^"]*" -> "Renamed Person"' "$(cat "$T/changed.inc")"
assert_eq changed_plan_team_add 1 "$(grep -c '^+ add .* to team ' "$T/changed.inc")"
assert_eq changed_plan_team_remove 1 "$(grep -c '^- remove .* from team ' "$T/changed.inc")"

"${hs[@]}" -v apply >/dev/null 2>"$T/apply2.err"
assert_eq incremental_apply_exit 0 $?
assert_eq incremental_apply_mirror_rows "$((total))" "$(fetched "$T/apply2.err")"
assert_eq incremental_apply_updates_mirror "$((total))" "$(mirror_rows "$T/sl.db")"
same_as_full sl after_apply
assert_eq after_apply_plan_exit 0 $?

# slapd's memberof overlay rewrites memberOf without a new entryCSN, so
# the mirror keeps a user's old memberOf: a removal from a group the job
# fetches must still take the Admin role away (the group decides).
admins=cn=harmony-admins,ou=groups,dc=example,dc=com
admin sl <<LDIF
dn: $admins
changetype: modify
add: member
member: $mover
LDIF
"${hs[@]}" apply --full >/dev/null 2>"$T/admin1.err"
assert_eq memberof_full_apply_exit 0 $?
admin sl <<LDIF
dn: $admins
changetype: modify
delete: member
member: $mover
LDIF
same_as_full sl memberof_removed
assert_eq memberof_removed_plan_exit 2 $?
assert_match memberof_removed_role 'role: "Admin" -> "Member"' "$(cat "$T/memberof_removed.inc")"
"${hs[@]}" apply >/dev/null 2>&1

# A config that asks another question (a new filter) starts over.
sed -i 's|users: { base: "ou=people,dc=example,dc=com" }|users: { base: "ou=people,dc=example,dc=com", filter: "(\&(objectClass=inetOrgPerson)(mail=*))" }|' "$T/sl.yaml"
"${hs[@]}" -v plan >/dev/null 2>"$T/newfilter.err"
if grep -q "incremental refresh" "$T/newfilter.err"; then
	fail new_filter_fetches_everything "the old mirror was used"
else
	pass new_filter_fetches_everything
fi

# full_sync_every elapsed: a full fetch, which apply records.
write_config sl "full_sync_every: 1s"
sleep 2
"${hs[@]}" -v apply >/dev/null 2>"$T/due.err"
assert_eq full_sync_due_apply_exit 0 $?
assert_match full_sync_due_logged 'a full sync is due' "$(cat "$T/due.err")"

# A cookie the server cannot use: the run still converges on the truth.
python3 - "$T/sl.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("update cursors set value = ? where name = 'syncrepl.users'",
           (b"rid=000,csn=garbage".hex(),))
db.commit()
PY
write_config sl
same_as_full sl bad_cookie
assert_eq bad_cookie_plan_exit 0 $?

# An entry both searches match is a group (groups come first), in the
# mirror as in a full fetch; changing it keeps it one.
write_config sl
sed -i 's|users: { base: "ou=people,dc=example,dc=com" }|users: { base: "dc=example,dc=com", filter: "(\|(objectClass=inetOrgPerson)(cn='"${team%%,*}"'))" }|' "$T/sl.yaml"
sed -i 's|(cn=cn=|(cn=|' "$T/sl.yaml"
assert_match both_filters_config 'filter: "\(\|\(objectClass=inetOrgPerson\)\(cn=team-[a-z-]+\)\)"' \
	"$(grep 'users:' "$T/sl.yaml")"
"${hs[@]}" apply >/dev/null 2>"$T/both.err"
assert_eq both_filters_apply_exit 0 $?
same_as_full sl both_filters
assert_eq both_filters_plan_exit 0 $?
admin sl <<LDIF
dn: $team
changetype: modify
replace: description
description: region=emea, changed
LDIF
same_as_full sl both_filters_changed
assert_eq both_filters_no_orphan "" "$(grep team_orphaned "$T/both_filters_changed.inc")"
write_config sl

# A damaged mirror row fails the run (nothing written) and says how out;
# apply --full replaces the mirror, and refreshes work again.
"${hs[@]}" apply >/dev/null 2>&1
python3 - "$T/sl.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("update mirror set data = x'4d01' where seq = (select max(seq) from mirror where kind = 0)")
db.commit()
PY
"${hs[@]}" plan >/dev/null 2>"$T/damaged.err"
assert_eq damaged_mirror_exit 1 $?
assert_match damaged_mirror_message "^harmony-sync: job 'corp': the mirror \\(\`--full\` fetches everything and replaces it\\): entry [0-9a-f-]+: a mirrored entry is damaged$" \
	"$(cat "$T/damaged.err")"
"${hs[@]}" apply --full >/dev/null 2>&1
assert_eq damaged_mirror_full_apply 0 $?
same_as_full sl after_damage
assert_eq after_damage_plan_exit 0 $?

# ---- without a session log: deletions come as a present phase
start np --no-sessionlog
write_config np
hs=("$BIN" -c "$T/np.yaml")
"${hs[@]}" apply >/dev/null 2>"$T/np.apply.err"
assert_eq present_first_apply_exit 0 $?
gone_and_renamed | admin np
same_as_full np present_phase
assert_eq present_phase_plan_exit 2 $?
assert_match present_phase_victim_suspended 'status: "active" -> "suspended"' "$(cat "$T/present_phase.inc")"

# ---- without syncprov: full fetches, said once a run, nothing kept
start ns --no-syncprov
write_config ns
hs=("$BIN" -c "$T/ns.yaml")
"${hs[@]}" apply >/dev/null 2>"$T/ns.apply.err"
assert_eq no_syncprov_apply_exit 0 $?
assert_match no_syncprov_warns 'cannot sync \(RFC 4533 sync\)' "$(cat "$T/ns.apply.err")"
assert_eq no_syncprov_no_mirror 0 "$(mirror_rows "$T/ns.db")"
"${hs[@]}" plan >/dev/null 2>&1
assert_eq no_syncprov_replan_exit 0 $?

exit $HS_FAILED
