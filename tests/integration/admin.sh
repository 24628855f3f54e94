#!/usr/bin/env bash
# Admin commands (DESIGN §3, issue 3) against the real binary with a
# `source.type: file` job: member add/set/unpin/delete, pins respected by
# plan, seats allocate/deallocate/capacity, group delete, member show,
# history, status, stale saved plan refusal, daemon start/stop.
set -u
. "$(dirname "$0")/lib.sh"
HS=${HS_BIN:-$(hs_root)/harmony-sync}
hs_tmpdir
cd "$HS_TMP" || exit 1
export USER=tester SUDO_USER=

cat > c.yaml <<'YAML'
store: state.db
seats: { capacity: 3 }
roles:
  Admin: [members:manage, conversations:read:all]
  Manager: [conversations:read:team, contacts:read:own]
  Member: [conversations:read:own]
jobs:
  - name: corp
    schedule: "every 1h"
    source: { type: file, path: users.jsonl }
    mapping: m.yaml
    safety: { max_deletes: -1, max_delete_percent: -1 }
YAML
cat > m.yaml <<'YAML'
member:
  anchor: uid
  email: "{mail|lower}"
  name: "{cn}"
  manager: manager
  custom_fields: { dept: "{ou}" }
role:
  default: Member
  rules:
    - { when: "(title=boss)", role: Manager }
teams:
  - from: groups
    name: "{cn}"
    group: "{description}"
seat:
  priority: [ "(title=boss)" ]
YAML
cat > users.jsonl <<'JSONL'
{"kind":"user","anchor":"u1","attrs":{"uid":"u1","mail":"Ann@X.com","cn":"Ann","title":"boss","ou":"Sales"}}
{"kind":"user","anchor":"u2","attrs":{"uid":"u2","mail":"bob@x.com","cn":"Bob","manager":"u1"}}
{"kind":"user","anchor":"u3","attrs":{"uid":"u3","mail":"cy@x.com","cn":"Cy","manager":"u2"}}
{"kind":"user","anchor":"u4","attrs":{"uid":"u4","mail":"dee@x.com","cn":"Dee","manager":"u1","title":"boss"}}
{"kind":"group","anchor":"g1","attrs":{"cn":"Sales EMEA","description":"EMEA"},"members":["u1","u2"]}
{"kind":"group","anchor":"g2","attrs":{"cn":"Support","description":"EMEA"},"members":["u1"]}
JSONL

hs() { "$HS" -c c.yaml "$@"; }
# rc and stdout+stderr of a command, for exact checks
out() { OUT=$(hs "$@" 2>&1); RC=$?; }

hs apply >/dev/null 2>&1
assert_eq admin_first_apply_rc 0 $?

# --- member show: provenance and effective access ---
out member show ann@x.com
assert_eq admin_show_rc 0 "$RC"
assert_eq admin_show_provenance "Provenance:
  name <- mapping name: {cn} (job corp)
  email <- mapping email: {mail|lower} (job corp)
  role <- role rules (job corp)
  manager <- mapping manager: manager (job corp)
  teams <- team rules (job corp)
  seat <- seat rules (job corp)
  custom_fields.dept <- mapping custom_fields.dept: {ou} (job corp)
Manager chain: Ann <ann@x.com> -> (root)
Effective access (role Manager):
  conversations:read:team -> Sales EMEA, Support
  contacts:read:own -> own data" "$(printf '%s\n' "$OUT" | sed -n '/^Provenance:/,$p')"
assert_eq admin_show_fields "Member ann@x.com
  name: Ann
  email: ann@x.com
  role: Manager
  manager: (none)
  teams: Sales EMEA, Support
  seat: holds a seat
  status: active
  managed_by: corp
  custom_fields: {\"dept\":\"Sales\"}" "$(printf '%s\n' "$OUT" | sed -n '1,10p')"
assert_match admin_show_times "created: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z" "$OUT"
out member show cy@x.com
assert_eq admin_show_chain "Manager chain: Cy <cy@x.com> -> Bob <bob@x.com> -> Ann <ann@x.com> -> (root)" \
	"$(printf '%s\n' "$OUT" | grep '^Manager chain')"
assert_eq admin_show_seat_full "  seat: no seat: capacity full" "$(printf '%s\n' "$OUT" | grep '^  seat:')"
out member show nobody@x.com
assert_eq admin_show_unknown "1 harmony-sync: no member with email 'nobody@x.com'" "$RC $OUT"

# --- seats view ---
out seats
assert_eq admin_seats "Capacity: 3 (from config)
Used: 3
Free: 0
Unseated: 1
UNSEATED  NAME  REASON
cy@x.com  Cy    waiting for a free seat" "$OUT"

# --- member set pins; plan leaves the field alone; unpin brings it back ---
out member set bob@x.com name=Robert
assert_eq admin_set_rc 0 "$RC"
out plan
assert_eq admin_pin_plan "0 No changes. The workspace matches the source." "$RC $(printf '%s\n' "$OUT" | grep '^No changes')"
out member show bob@x.com
assert_eq admin_pin_show "  name <- set by hand (pinned)" "$(printf '%s\n' "$OUT" | grep '^  name <-')"
out member unpin bob@x.com name
assert_eq admin_unpin_rc 0 "$RC"
out plan
assert_eq admin_unpin_plan "2 ~ update member bob@x.com
    name: \"Robert\" -> \"Bob\"" "$RC $(printf '%s\n' "$OUT" | grep -A1 '^~ update member')"
out member unpin bob@x.com name
assert_eq admin_unpin_twice "1 harmony-sync: field 'name' of 'bob@x.com' is not pinned" "$RC $OUT"
out member set bob@x.com colour=red
assert_eq admin_set_bad_field "1 harmony-sync: cannot set field 'colour': use name, role, manager or email" "$RC $OUT"
out member set bob@x.com role=Wizard
assert_eq admin_set_bad_role "1 harmony-sync: no role 'Wizard' in 'c.yaml'" "$RC $OUT"
out member set ann@x.com manager=cy@x.com
assert_eq admin_cycle_refused "1 harmony-sync: manager 'cy@x.com' would make the reporting chain circular: ann@x.com -> cy@x.com -> bob@x.com -> ann@x.com" "$RC $OUT"
hs apply >/dev/null 2>&1

# --- seats allocate / deallocate are pinned ---
out seats allocate cy@x.com
assert_eq admin_alloc_full "1 harmony-sync: no free seat: capacity 3, allocated 3" "$RC $OUT"
out seats deallocate bob@x.com
assert_eq admin_dealloc_rc 0 "$RC"
out plan
assert_eq admin_dealloc_pin_plan "+ seat allocate cy@x.com (free seat)" "$(printf '%s\n' "$OUT" | grep '^[+-] seat')"
hs apply >/dev/null 2>&1
out seats
assert_eq admin_dealloc_reason "bob@x.com  Bob   pinned deallocation" "$(printf '%s\n' "$OUT" | grep '^bob@')"
out plan
assert_eq admin_dealloc_stays 0 "$RC"

# --- capacity lowered: the plan deallocates; raised: allocates by priority ---
out seats capacity 1
assert_eq admin_capacity_low "0 Seat capacity set to 1 (3 allocated).
Over capacity by 2: nobody loses a seat now; the next plan shows who would, and why." "$RC $OUT"
out plan
assert_eq admin_capacity_low_plan 2 "$RC"
assert_match admin_capacity_low_dealloc "- seat deallocate" "$OUT"
hs apply >/dev/null 2>&1
out seats
assert_match admin_capacity_used1 "Used: 1" "$OUT"
out member unpin bob@x.com seat
out seats capacity 3
out plan
# Two free seats, three waiting: dee (seat.priority) and bob (tie on
# creation time, smaller email) get them, cy does not.  The plan lists
# seat lines by email.
assert_eq admin_capacity_raise_priority "+ seat allocate bob@x.com (free seat)
+ seat allocate dee@x.com (free seat)" "$(printf '%s\n' "$OUT" | grep '^+ seat')"
hs apply >/dev/null 2>&1

# --- member add / delete ---
out member add zed@x.com --name Zed --team Support
assert_eq admin_add_noseat "0 Added manual member 'zed@x.com' (no seat available)." "$RC $OUT"
out member add zed@X.com --name Zed
assert_eq admin_add_dup "1 harmony-sync: email 'zed@X.com' is already used by member 'zed@x.com'" "$RC $OUT"
out member add q@x.com --name Q --team Nope
assert_eq admin_add_noteam "1 harmony-sync: no team 'Nope' (see harmony-sync teams)" "$RC $OUT"
out member show zed@x.com
assert_eq admin_manual_prov "  name <- manual" "$(printf '%s\n' "$OUT" | grep '^  name <-')"
out plan
assert_eq admin_manual_untouched 0 "$RC"
out member delete zed@x.com
assert_eq admin_delete_needs_yes "1 harmony-sync: member delete cannot be undone: run 'member delete zed@x.com --yes'" "$RC $OUT"
out member delete zed@x.com --yes
assert_eq admin_delete "0 Deleted member 'zed@x.com' (irreversible; workspace data kept)." "$RC $OUT"
out member show zed@x.com
assert_eq admin_deleted_gone 1 "$RC"

# --- group delete ---
out group delete EMEA
assert_eq admin_group_delete "0 Deleted team group 'EMEA'; 2 teams moved to Ungrouped." "$RC $OUT"
out groups
assert_eq admin_groups_ungrouped "Ungrouped
  Sales EMEA
  Support" "$OUT"
out group delete EMEA
assert_eq admin_group_unknown "1 harmony-sync: no team group 'EMEA' (see harmony-sync groups)" "$RC $OUT"

# --- history ---
out history
assert_match admin_history_manual "manual +tester +[0-9T:Z-]+ +ok" "$OUT"
id=$(printf '%s\n' "$OUT" | awk '$2 == "manual" && $1 ~ /^[0-9]+$/ { print $1; exit }')
out history "$id"
assert_match admin_history_detail "^Run $id: job manual by tester, started .*, outcome ok" "$OUT"
assert_eq admin_history_change "   1  delete_group  EMEA  2 teams moved to Ungrouped" "$(printf '%s\n' "$OUT" | tail -1)"
out history 99999
assert_eq admin_history_unknown "1 harmony-sync: no run 99999 (see harmony-sync history)" "$RC $OUT"

# --- status ---
out status
assert_match admin_status_job "corp +every 1h +[0-9T:Z-]+ +ok .*:00:00Z" "$OUT"
assert_match admin_status_seats "Seats: capacity 3 \(set by hand\), used 3, free 0" "$OUT"

# --- stale saved plan ---
echo '{"kind":"user","anchor":"u5","attrs":{"uid":"u5","mail":"eve@x.com","cn":"Eve"}}' >> users.jsonl
hs plan --out saved.json >/dev/null 2>&1
assert_eq admin_saved_plan_rc 2 $?
hs member set ann@x.com name=Annie >/dev/null 2>&1
out apply --plan saved.json
assert_eq admin_stale_refused 3 "$RC"
assert_match admin_stale_message "store changed since the plan was made" "$OUT"

# --- bad schedule is a config error at its position ---
sed 's/every 1h/every 5x/' c.yaml > bad.yaml
OUT=$("$HS" -c bad.yaml check 2>&1); RC=$?
assert_eq admin_bad_schedule "1 bad.yaml:9:15: schedule 'every 5x': expected \"every N\" with N > 0 and a unit s, m, h or d (at most 366d)" "$RC $OUT"

# --- daemon: applies within ~3 s, stops on SIGTERM within 2 s, exit 0 ---
sed 's/every 1h/every 1s/' c.yaml > d.yaml
before=$("$HS" -c d.yaml history | grep -c ' corp ')
"$HS" -c d.yaml daemon >daemon.out 2>daemon.err &
pid=$!
hs_on_exit "kill $pid 2>/dev/null"
sleep 3
after=$("$HS" -c d.yaml history | grep -c ' corp ')
if [ "$after" -gt "$before" ]; then pass admin_daemon_runs; else
	fail admin_daemon_runs "no new run ($before -> $after): $(cat daemon.err)"; fi
kill -TERM "$pid"
for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then fail admin_daemon_stops "still running 2 s after SIGTERM"
else wait "$pid"; assert_eq admin_daemon_exit 0 $?; fi
out member show eve@x.com
assert_eq admin_daemon_applied 0 "$RC"
exit 0
