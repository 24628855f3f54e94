#!/usr/bin/env bash
# The workspace rules of DESIGN §1 through the real binary and store, on
# a file source (JSON Lines records) edited between runs: seats and
# priority, capacity exhaustion and release, on_missing (suspend, return,
# delete, delete_after), safety limits and --force, the empty and shrunken
# source guards, adopt, team groups gone, orphaned teams, saved plans.
set -u
. "$(dirname "$0")/lib.sh"
hs_tmpdir
BIN=${HS_BIN:?}
T=$HS_TMP

config() {	# capacity on_missing [max_deletes] [delete_after]
	CAP=$1
	cat >"$T/cfg.yaml" <<YAML
store: $T/state.db
seats: { capacity: $1 }
jobs:
  - name: hr
    source: { type: file, path: $T/src.jsonl }
    mapping: $HS_ROOT/tests/fixtures/file-test-mapping.yaml
    safety: { max_deletes: ${3:--1}, max_delete_percent: -1, max_source_shrink_percent: 60,
              on_missing: $2${4:+, delete_after: $4} }
YAML
}
user() {	# uid [extra json attrs]
	printf '{"kind":"user","anchor":"u-%s","id":"uid=%s,ou=people,dc=x","attrs":{"mail":"%s@x.com","cn":"%s"%s}}\n' \
		"$1" "$1" "$1" "$1" "${2:+,$2}"
}
group() {	# cn description member-uids...
	local cn=$1 desc=$2 m="" u; shift 2
	for u in "$@"; do m="$m${m:+,}\"uid=$u,ou=people,dc=x\""; done
	printf '{"kind":"group","anchor":"g-%s","id":"cn=%s,ou=groups,dc=x","attrs":{"cn":"%s"%s},"members":[%s]}\n' \
		"$cn" "$cn" "$cn" "${desc:+,\"description\":\"$desc\"}" "$m"
}
# DESIGN §1: allocated seats never exceed capacity.  Checked in the store
# after every successful apply of this test.
INVARIANT_CHECKS=0 INVARIANT_BROKEN=""
seats_invariant() {
	local used cap
	used=$(sqlite3 "$T/state.db" "SELECT count(*) FROM members WHERE seat = 1")
	cap=$(sqlite3 "$T/state.db" "SELECT value FROM meta WHERE key = 'seat_capacity'")
	[ "$cap" -lt 0 ] && cap=$CAP
	INVARIANT_CHECKS=$((INVARIANT_CHECKS + 1))
	[ "$used" -le "$cap" ] || INVARIANT_BROKEN="$INVARIANT_BROKEN apply#$INVARIANT_CHECKS:$used>$cap"
}
hs() {
	local rc
	"$BIN" -c "$T/cfg.yaml" "$@"; rc=$?
	[ "$1" = apply ] && [ "$rc" -eq 0 ] && seats_invariant
	return "$rc"
}
# "op subject" lines of the JSON plan, sorted as the plan is.
ops() { python3 -c 'import json,sys; [print(c["op"], c["subject"]) for c in json.load(sys.stdin)["changes"]]'; }
codes() { python3 -c 'import json,sys; [print(w["code"], w["subject"]) for w in json.load(sys.stdin)["warnings"]]'; }
seated() { hs members --format json | python3 -c 'import json,sys; print(" ".join(m["email"].split("@")[0] for m in json.load(sys.stdin) if m["seat"]))'; }

# --- seats: capacity 3 for 5 eligible people, admins first --------------
{
	user ann '"manager":"uid=zed,ou=people,dc=x"'
	user bob; user cy; user dee; user eve '"type":"contractor"'; user zed
	group admins "" zed
	group team-sales-emea "region=emea" ann bob
	group team-support "" cy dee
} >"$T/src.jsonl"
config 3 deallocate
hs plan --format json >"$T/p.json"; rc=$?
assert_eq first_plan_exit 2 "$rc"
assert_eq first_plan_seats "allocate_seat ann@x.com
allocate_seat bob@x.com
allocate_seat zed@x.com" "$(ops <"$T/p.json" | grep seat)"
assert_eq first_plan_no_seat "no_seat_available cy@x.com
no_seat_available dee@x.com" "$(codes <"$T/p.json")"
hs apply >/dev/null 2>&1
assert_eq first_apply_seated "ann bob zed" "$(seated)"

# --- gone from the source: suspended, seat freed, next in line seated ---
grep -v '"u-bob"' "$T/src.jsonl" >"$T/s2" && mv "$T/s2" "$T/src.jsonl"
hs plan --format json >"$T/p.json"
assert_eq gone_plan "update_member bob@x.com
deallocate_seat bob@x.com
allocate_seat cy@x.com" "$(ops <"$T/p.json")"
hs apply >/dev/null 2>&1
assert_eq gone_status "suspended" "$(hs members --format json | python3 -c 'import json,sys; print([m["status"] for m in json.load(sys.stdin) if m["email"]=="bob@x.com"][0])')"
assert_eq gone_seated "ann cy zed" "$(seated)"

# --- back before deletion: restored (teams kept), not duplicated; no
# --- seat is free, so it waits -----------------------------------------
user bob >>"$T/src.jsonl"
hs plan --format json >"$T/p.json"
assert_eq return_plan "update_member bob@x.com" "$(ops <"$T/p.json")"
assert_eq return_status "suspended -> active" \
	"$(python3 -c 'import json,sys; f=json.load(sys.stdin)["changes"][0]["fields"]["status"]; print(f["old"], "->", f["new"])' <"$T/p.json")"
hs apply >/dev/null 2>&1
assert_eq return_members 6 "$(hs members --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"

# --- capacity exhausted, then released by raising it --------------------
config 5 deallocate
hs plan --format json >"$T/p.json"
assert_eq capacity_raised "allocate_seat bob@x.com
allocate_seat dee@x.com" "$(ops <"$T/p.json")"
hs apply >/dev/null 2>&1
hs seats capacity 2 >/dev/null 2>&1
hs plan --format json >"$T/p.json"
assert_eq capacity_lowered "deallocate_seat bob@x.com
deallocate_seat cy@x.com
deallocate_seat dee@x.com" "$(ops <"$T/p.json")"
assert_eq capacity_lowered_reason "seat capacity lowered to 2" \
	"$(python3 -c 'import json,sys; print(json.load(sys.stdin)["changes"][0]["detail"])' <"$T/p.json")"
config 5 deallocate 1
hs apply >"$T/out" 2>"$T/err"
assert_eq capacity_lowered_counts_as_deletions 3 $?
hs seats capacity 5 >/dev/null 2>&1

# --- on_missing delete, max_deletes, --force -----------------------------
config 5 delete 1
grep -v '"u-cy"\|"u-dee"' "$T/src.jsonl" >"$T/s2" && mv "$T/s2" "$T/src.jsonl"
hs plan >"$T/plan.txt" 2>"$T/err"
assert_eq max_deletes_plan_exit 3 $?
assert_match max_deletes_plan_shown "Plan: 0 to create, .*, 2 to delete," "$(grep '^Plan:' "$T/plan.txt")"
hs apply >/dev/null 2>"$T/err"
assert_eq max_deletes_apply_refused 3 $?
assert_match max_deletes_message "refusing to delete or unseat 2 members: safety.max_deletes is 1" "$(cat "$T/err")"
hs apply --force >/dev/null 2>&1
assert_eq force_applies 0 $?
assert_eq force_deleted 4 "$(hs members --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"

# --- guards: an empty or shrunken source is never mass departure ------
cp "$T/src.jsonl" "$T/full.jsonl"
: >"$T/src.jsonl"
hs plan >/dev/null 2>"$T/err"
assert_eq empty_source_exit 3 $?
assert_match empty_source_message "source returned no users while the store holds 4 members" "$(cat "$T/err")"
hs --log-format json plan >/dev/null 2>"$T/err"
assert_eq log_format_json "3 error True" "$? $(python3 -c 'import json,sys; l=[json.loads(x) for x in sys.stdin]; print(l[-1]["level"], "source returned no users" in l[-1]["msg"])' <"$T/err")"
user ann >"$T/src.jsonl"
hs apply --force >/dev/null 2>"$T/err"
assert_eq shrink_exit 3 $?
assert_match shrink_message "source shrank from 4 to 1 users" "$(cat "$T/err")"
cp "$T/full.jsonl" "$T/src.jsonl"

# --- adopt: a manual member with the same email becomes the job's ------
hs member add fay@x.com --name "Fay Manual" >/dev/null 2>&1
user fay '"department":"Ops"' >>"$T/src.jsonl"
hs plan --format json >"$T/p.json"
assert_eq adopt_plan "update_member fay@x.com" "$(ops <"$T/p.json" | grep update_member)"
assert_eq adopt_fields "managed_by name custom_fields" \
	"$(python3 -c 'import json,sys; print(" ".join(" ".join(c["fields"]) for c in json.load(sys.stdin)["changes"] if c["op"]=="update_member"))' <"$T/p.json")"
hs apply >/dev/null 2>&1
assert_eq adopt_managed_by "hr" "$(hs members --format json | python3 -c 'import json,sys; print([m["managed_by"] for m in json.load(sys.stdin) if m["email"]=="fay@x.com"][0])')"

# --- a team group gone: deleted, its teams Ungrouped; orphaned team kept -
sed -i 's/,"description":"region=emea"//; /"g-team-support"/d' "$T/src.jsonl"
hs plan --format json >"$T/p.json"
assert_eq group_gone_plan "update_team sales-emea
delete_group emea" "$(ops <"$T/p.json")"
assert_eq team_orphaned "team_orphaned support" "$(codes <"$T/p.json")"
hs apply >/dev/null 2>&1
assert_match group_gone_ungrouped "Ungrouped" "$(hs groups)"
assert_match orphaned_team_kept "support" "$(hs teams)"

# --- duplicates: the entry already holding an email keeps it, even when
# --- a newcomer with the same email has the smaller anchor --------------
printf '{"kind":"user","anchor":"u-0new","id":"uid=new,ou=people,dc=x","attrs":{"mail":"ANN@x.com","cn":"newcomer"}}\n' >>"$T/src.jsonl"
hs plan --format json >"$T/p.json"
assert_eq duplicate_incumbent_keeps "duplicate_email ann@x.com: entry 'uid=new,ou=people,dc=x' has the same email as 'uid=ann,ou=people,dc=x': skipped" \
	"$(python3 -c 'import json,sys; [print(w["code"], w["subject"] + ":", w["message"]) for w in json.load(sys.stdin)["warnings"] if w["code"]=="duplicate_email"]' <"$T/p.json")"
assert_eq duplicate_no_changes "" "$(ops <"$T/p.json")"
grep -v '"u-0new"' "$T/src.jsonl" >"$T/s2" && mv "$T/s2" "$T/src.jsonl"

# --- a re-hire (new anchor, same email) takes the old record over: -----
# --- restored, not duplicated, and never while the old entry is there --
user hal >>"$T/src.jsonl"
hs apply >/dev/null 2>&1
sed -i 's/"u-hal"/"u-hal2"/' "$T/src.jsonl"
hs plan --format json >"$T/p.json"
assert_eq rehire_plan "update_member hal@x.com anchor u-hal -> u-hal2" \
	"$(python3 -c 'import json,sys; [print(c["op"], c["subject"], " ".join(k + " " + str(v["old"]) + " -> " + str(v["new"]) for k, v in c.get("fields", {}).items())) for c in json.load(sys.stdin)["changes"]]' <"$T/p.json")"
hs apply >/dev/null 2>&1
hs plan >/dev/null 2>&1
assert_eq rehire_then_no_changes 0 $?
user hal '"cn":"twin"' | sed 's/"u-hal"/"u-hal3"/; s/"cn":"hal",//' >>"$T/src.jsonl"
hs plan --format json >"$T/p.json"
assert_eq rehire_never_steals "duplicate_email hal@x.com" "$(codes <"$T/p.json" | grep hal)"
grep -v '"u-hal3"' "$T/src.jsonl" >"$T/s2" && mv "$T/s2" "$T/src.jsonl"

# --- saved plans: exactly what was reviewed, or nothing -----------------
user gus >>"$T/src.jsonl"
hs plan --out "$T/saved.json" >/dev/null 2>&1
hs apply --plan "$T/saved.json" >/dev/null 2>&1
assert_eq saved_plan_applied 0 $?
hs plan >/dev/null 2>&1
assert_eq saved_plan_then_no_changes 0 $?
hs apply --plan "$T" >/dev/null 2>"$T/err"
assert_eq saved_plan_not_a_file "1 harmony-sync: cannot read plan '$T': not a regular file" "$? $(cat "$T/err")"
hs apply --plan "$T/saved.json" --full >/dev/null 2>"$T/err"
assert_eq saved_plan_no_full "1 harmony-sync: apply --plan takes no --full: the saved plan fetches nothing" "$? $(cat "$T/err")"

# --- a saved plan meets the capacity in force when it is applied, not
# --- the one it recorded (lowered in the config since; fresh store) ------
hs --store "$T/cap.db" plan --out "$T/cap.json" >/dev/null 2>&1
config 1 deallocate
hs --store "$T/cap.db" apply --plan "$T/cap.json" >/dev/null 2>&1
assert_eq saved_plan_lowered_capacity_refused 1 $?
assert_eq saved_plan_lowered_capacity_nothing_written 0 \
	"$(sqlite3 "$T/cap.db" "SELECT count(*) FROM members")"

# --- delete_after: a suspended member is deleted once it is old enough --
config 5 deallocate -1 1s
grep -v '"u-gus"' "$T/src.jsonl" >"$T/s2" && mv "$T/s2" "$T/src.jsonl"
hs apply >/dev/null 2>&1
sleep 2
hs plan --format json >"$T/p.json"
assert_eq delete_after_plan "delete_member gus@x.com" "$(ops <"$T/p.json")"
# --- the store: another program's database is never written to, and a
# --- view of a store that does not exist is an error, not an empty table
sqlite3 "$T/other.db" "CREATE TABLE x(a); INSERT INTO x VALUES (1);"
"$BIN" -c "$T/cfg.yaml" --store "$T/other.db" apply >/dev/null 2>"$T/err"
assert_eq foreign_store_refused "1 x" "$? $(sqlite3 "$T/other.db" .tables)"
assert_match foreign_store_message "is not a harmony-sync store" "$(cat "$T/err")"
"$BIN" -c "$T/cfg.yaml" --store "$T/typo.db" members >/dev/null 2>"$T/err"
assert_eq missing_store_view "1 absent" "$? $([ -e "$T/typo.db" ] && echo created || echo absent)"

# --- an error quoting a hostile value is still one inert line ----------
hs member add "$(printf 'a\033[2Jb@x.com\nforged')" --name x >/dev/null 2>"$T/err"
assert_eq error_line_escaped "1 1 harmony-sync: invalid email 'a\x1b[2Jb@x.com\nforged'" \
	"$? $(wc -l <"$T/err") $(cat "$T/err")"

assert_eq seats_never_exceed_capacity "11 applies checked, none broken" \
	"$INVARIANT_CHECKS applies checked, ${INVARIANT_BROKEN:-none broken}"
exit 0
