#!/usr/bin/env bash
# Teams through the real binary and store, on a file source (JSON Lines
# records) edited between runs (DESIGN §1, §5): analytics toggles set at
# creation and changed with the mapping; teams from an attribute; a
# managed team gone from the source kept (team_orphaned) or, with
# on_missing_team: delete, deleted while its members stay.
set -u
. "$(dirname "$0")/lib.sh"
hs_tmpdir
BIN=${HS_BIN:?}
T=$HS_TMP

sed "s|analytics: .*|ANALYTICS|" "$HS_ROOT/tests/fixtures/teams-mapping.yaml" >"$T/map.in"
mapping() {	# analytics line for the groups rule
	sed "s|ANALYTICS|$1|" "$T/map.in" >"$T/map.yaml"
}
config() {	# on_missing_team
	cat >"$T/cfg.yaml" <<YAML
store: $T/state.db
seats: { capacity: 10 }
jobs:
  - name: hr
    source: { type: file, path: $T/src.jsonl }
    mapping: $T/map.yaml
    safety: { max_deletes: 0, max_delete_percent: -1, max_source_shrink_percent: 60 }
    on_missing_team: $1
YAML
}
user() {	# uid department
	printf '{"kind":"user","anchor":"u-%s","id":"uid=%s,ou=people,dc=x","attrs":{"mail":"%s@x.com","cn":"%s"%s}}\n' \
		"$1" "$1" "$1" "$1" "${2:+,\"department\":\"$2\"}"
}
group() {	# cn member-uids...
	local cn=$1 m="" u; shift
	for u in "$@"; do m="$m${m:+,}\"uid=$u,ou=people,dc=x\""; done
	printf '{"kind":"group","anchor":"g-%s","id":"cn=%s,ou=groups,dc=x","attrs":{"cn":"%s"},"members":[%s]}\n' \
		"$cn" "$cn" "$cn" "$m"
}
hs() { "$BIN" -c "$T/cfg.yaml" "$@"; }
ops() { python3 -c 'import json,sys; [print(c["op"], c["subject"]) for c in json.load(sys.stdin)["changes"]]'; }
codes() { python3 -c 'import json,sys; [print(w["code"], w["subject"]) for w in json.load(sys.stdin)["warnings"]]'; }
# "team field old new" for every analytics field of a team change.
analytics() { python3 -c '
import json, sys
for c in json.load(sys.stdin)["changes"]:
    for k, v in (c.get("fields") or {}).items():
        if k.startswith("analytics_"):
            print(c["subject"], k, v["old"], v["new"])'; }
teams_of() {	# email
	hs members --format json | python3 -c 'import json,sys; print(",".join([m["teams"] for m in json.load(sys.stdin) if m["email"]==sys.argv[1]][0]))' "$1"
}
apply_ok() {	# name
	local out rc
	out=$(hs apply 2>&1); rc=$?
	assert_eq "$1" 0 "$rc"
	[ "$rc" -eq 0 ] || printf '%s\n' "$out" | head -5
}

# --- creation: toggles from the mapping; attribute values become teams --
{
	user ann Finance; user bob Finance; user cy Legal; user dee
	group team-sales ann bob
	group team-support cy dee
	group team-legacy dee
	group other ann
} >"$T/src.jsonl"
mapping "analytics: { conversations: false, contacts: true }"
config keep
hs plan --format json >"$T/p.json"
assert_eq create_team_ops "create_team Finance
create_team Legal
create_team legacy
create_team sales
create_team support" "$(ops <"$T/p.json" | grep '^create_team')"
assert_eq create_analytics_fields "legacy analytics_conversations None false
legacy analytics_contacts None true
sales analytics_conversations None false
sales analytics_contacts None true
support analytics_conversations None false
support analytics_contacts None true" "$(analytics <"$T/p.json")"
apply_ok create_apply
# Attribute teams: the mapping says nothing, so the default (on).
assert_eq create_teams_table "NAME     TYPE   GROUP  MEMBERS  ANALYTICS                MANAGED
Finance  Other  -      2        conversations, contacts  hr
Legal    Other  -      1        conversations, contacts  hr
legacy   Other  -      1        contacts                 hr
sales    Sales  -      2        contacts                 hr
support  Other  -      2        contacts                 hr" "$(hs teams)"
assert_eq attribute_members "Finance,sales" "$(teams_of ann@x.com)"
assert_eq attribute_members_legal "Legal,support" "$(teams_of cy@x.com)"

# --- the mapping changes a toggle: update_team, only that field ---------
mapping "analytics: { conversations: true }"
hs plan --format json >"$T/p.json"
assert_eq update_analytics_ops "update_team legacy
update_team sales
update_team support" "$(ops <"$T/p.json")"
assert_eq update_analytics_fields "legacy analytics_conversations false true
sales analytics_conversations false true
support analytics_conversations false true" "$(analytics <"$T/p.json")"
assert_match update_analytics_text '~ update team sales
    analytics_conversations: "false" -> "true"' "$(hs plan)"
apply_ok update_apply
assert_eq update_teams_table "sales    Sales  -      2        conversations, contacts  hr" "$(hs teams | grep '^sales ')"
# Toggles left out of the mapping: kept as they are, no changes.
mapping ""
hs plan --format json >"$T/p.json"
assert_eq analytics_unset_keeps "" "$(ops <"$T/p.json")"

# --- a managed team gone, on_missing_team: keep --------------------------
grep -v '"g-team-legacy"' "$T/src.jsonl" >"$T/s2" && mv "$T/s2" "$T/src.jsonl"
hs plan --format json >"$T/p.json"
assert_eq orphan_keep_ops "" "$(ops <"$T/p.json")"
assert_eq orphan_keep_warning "team_orphaned legacy" "$(codes <"$T/p.json")"
apply_ok orphan_keep_apply
assert_eq orphan_keep_team "legacy   Other  -      1        conversations, contacts  hr" "$(hs teams | grep '^legacy ')"
assert_eq orphan_keep_member "legacy,support" "$(teams_of dee@x.com)"

# --- on_missing_team: delete: delete_team; members stay ------------------
config delete
hs plan --format json >"$T/p.json"
assert_eq orphan_delete_ops "delete_team legacy" "$(ops <"$T/p.json")"
assert_eq orphan_delete_no_warning "" "$(codes <"$T/p.json")"
assert_eq orphan_delete_summary "0 0 1" "$(python3 -c 'import json,sys; s=json.load(sys.stdin)["summary"]; print(s["create"], s["update"], s["delete"])' <"$T/p.json")"
hs plan >"$T/p.txt"
assert_eq orphan_delete_text "- delete team legacy (its memberships are removed; members are kept)
    reason: gone from the source" "$(grep -A1 '^- delete team' "$T/p.txt")"
assert_eq orphan_delete_summary_text "Plan: 0 to create, 0 to update, 1 to delete, 0 seats allocated, 0 seats deallocated, 0 warnings." "$(grep '^Plan:' "$T/p.txt")"
# Not a member deletion: max_deletes 0 does not refuse it.
apply_ok orphan_delete_apply
assert_eq orphan_delete_gone "" "$(hs teams | awk '$1 == "legacy"')"
assert_eq orphan_delete_member_kept "support" "$(teams_of dee@x.com)"
assert_eq orphan_delete_members_count "4" "$(hs members --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
assert_eq orphan_delete_history_run "4 hr 0 0 1" "$(hs history | awk 'NR == 2 {print $1, $2, $6, $7, $8}')"
assert_match orphan_delete_history_change "delete_team +legacy" "$(hs history 4)"
hs plan --format json >"$T/p.json"
assert_eq after_delete_no_changes "" "$(ops <"$T/p.json")"
exit 0
