#!/usr/bin/env bash
# The core pipeline against a real slapd: a generated org of 300 people
# with the quirks of real directories (gen_org.py --quirks), through check,
# plan, apply, an idempotent re-plan, members and orgchart; then the fetch
# failures that must leave the store untouched.
set -u
. "$(dirname "$0")/lib.sh"
hs_tmpdir
BIN=${HS_BIN:?}
T=$HS_TMP

python3 "$HS_ROOT/scripts/gen_org.py" --people 300 --groups 12 --quirks \
	--out "$T/org.ldif" >/dev/null || { fail setup "gen_org.py failed"; exit 1; }
if ! url=$(bash "$HS_ROOT/scripts/slapd.sh" start "$T/ldap" --ldif "$T/org.ldif" 2>"$T/slapd.err"); then
	fail slapd_start "$(tail -n 3 "$T/slapd.err")"
	exit 1
fi
hs_on_exit bash "$HS_ROOT/scripts/slapd.sh" stop "$T/ldap"

write_config() {	# file url [password_file] [extra source lines]
	cat >"$1" <<YAML
store: $T/state.db
seats: { capacity: 250 }
jobs:
  - name: corp
    source:
      type: ldap
      url: [$2]
      bind_dn: cn=harmony-sync,ou=services,dc=example,dc=com
      password_file: ${3:-$T/ldap/service.pw}
      users: { base: "ou=people,dc=example,dc=com" }
      groups: { base: "ou=groups,dc=example,dc=com" }
      page_size: ${PAGE:-100}
      timeout: 5s
    mapping: $HS_ROOT/tests/fixtures/ldap-test-mapping.yaml
    safety: { max_deletes: 5, max_delete_percent: 50, on_missing: deallocate }
YAML
}
write_config "$T/cfg.yaml" "$url"
hs() { "$BIN" -c "$T/cfg.yaml" "$@"; }
count() { python3 -c "import json,sys; print($1)" ; }

# Expectations from the LDIF itself, not from the code under test.
people=$(grep -c '^objectClass: inetOrgPerson' "$T/org.ldif")
nomail=$((people - $(grep -c '^mail:' "$T/org.ldif")))
assert_eq ldif_people 300 "$people"
assert_eq ldif_without_mail 2 "$nomail"
members=$((people - nomail - 1))	# one of the two case-twins is skipped

hs check >"$T/check.out" 2>&1
assert_eq check_exit 0 $?

hs plan --format json >"$T/plan.json" 2>"$T/plan.err"
assert_eq plan_exit_changes 2 $?
summary=$(count 'json.load(sys.stdin)["summary"]' <"$T/plan.json")
ops=$(python3 - "$T/plan.json" <<'PY'
import json, sys, collections
p = json.load(open(sys.argv[1]))
c = collections.Counter(ch["op"] for ch in p["changes"])
print(" ".join("%s=%d" % kv for kv in sorted(c.items())))
PY
)
creates=$(echo "$ops" | grep -o 'create_member=[0-9]*' | cut -d= -f2)
assert_eq plan_create_member "$members" "$creates"
warn=$(python3 - "$T/plan.json" <<'PY'
import json, sys, collections
p = json.load(open(sys.argv[1]))
c = collections.Counter(w["code"] for w in p["warnings"])
print(" ".join("%s=%d" % kv for kv in sorted(c.items())))
PY
)
contractors=$(python3 - "$T/org.ldif" <<'PY'
import sys
n = 0
for block in open(sys.argv[1], encoding="utf-8").read().split("\n\n"):
    if "objectClass: inetOrgPerson" in block and "\nmail:" in block \
       and "employeeType: contractor" in block:
        n += 1
print(n)
PY
)
eligible=$((members - contractors))
noseat=$((eligible > 250 ? eligible - 250 : 0))
expect="duplicate_email=1 manager_cycle=1 manager_self=1 manager_unresolved=1"
[ "$noseat" -gt 0 ] && expect="$expect no_seat_available=$noseat"
assert_eq plan_warning_codes "$expect" "$warn"
allocs=$(echo "$ops" | grep -o 'allocate_seat=[0-9]*' | head -1 | cut -d= -f2)
assert_eq plan_seats_allocated "$((eligible < 250 ? eligible : 250))" "$allocs"

# The members who lose their manager edge, by name.
lost=$(python3 - "$T/plan.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
print(" ".join(sorted(w["code"] + ":" + w["subject"] for w in p["warnings"]
                      if w["code"].startswith("manager_"))))
PY
)
assert_match plan_lost_manager_edges '^manager_cycle:[a-z]+29[789]@example.com manager_self:[a-z]+296@example.com manager_unresolved:[a-z]+295@example.com$' "$lost"

# O'Neil's reports name her DN with other case, spacing and escaping.
oneil_reports=$(grep -ciE "^manager: cn=o'neil" "$T/org.ldif")
got=$(python3 - "$T/plan.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
print(sum(1 for c in p["changes"] if c["op"] == "set_manager"
          and c.get("detail") == "pat.oneil@example.com"))
PY
)
assert_eq plan_escaped_dn_manager_resolved "$oneil_reports" "$got"

# Text and JSON plans are deterministic, byte for byte.
hs plan >"$T/plan1.txt" 2>/dev/null
hs plan >"$T/plan2.txt" 2>/dev/null
if cmp -s "$T/plan1.txt" "$T/plan2.txt"; then pass plan_deterministic
else fail plan_deterministic "two plans differ"; fi
teams=$(grep -c '^cn: team-' "$T/org.ldif")
regions=$(grep -A3 '^cn: team-' "$T/org.ldif" | grep -o 'region=[a-z]*' | sort -u | wc -l)
assert_match plan_text_summary "^Plan: $((members + teams + regions)) to create, " "$(grep '^Plan:' "$T/plan1.txt")"

hs apply >"$T/apply.out" 2>"$T/apply.err"
assert_eq apply_exit 0 $?

hs plan >"$T/replan.txt" 2>&1
assert_eq replan_exit_no_changes 0 $?
assert_match replan_summary '^Plan: 0 to create, 0 to update, 0 to delete, 0 seats allocated, 0 seats deallocated, 4 warnings\.$' \
	"$(grep '^Plan:' "$T/replan.txt")"

hs members --format json >"$T/members.json"
assert_eq members_json_count "$members" "$(count 'len(json.load(sys.stdin))' <"$T/members.json")"
assert_eq members_json_seats "$((eligible < 250 ? eligible : 250))" \
	"$(count 'sum(1 for m in json.load(sys.stdin) if m["seat"])' <"$T/members.json")"
assert_eq members_non_ascii "José Müller" \
	"$(count '[m["name"] for m in json.load(sys.stdin) if m["name"].startswith("José")][0]' <"$T/members.json")"
assert_eq members_oneil_admin "Admin" \
	"$(count '[m["role"] for m in json.load(sys.stdin) if m["email"]=="pat.oneil@example.com"][0]' <"$T/members.json")"
assert_eq members_search "pat.oneil@example.com" \
	"$(hs members --search "o'neil" --format csv | tail -n +2 | cut -d, -f2)"

hs orgchart --format json >"$T/org.json"
total=$(count '(lambda f: f(f, json.load(sys.stdin)))(lambda f, ns: sum(1 + f(f, n["reports"]) for n in ns))' <"$T/org.json")
assert_eq orgchart_covers_everyone "$members" "$total"
hs orgchart --root pat.oneil@example.com >"$T/oneil.tree"
assert_eq orgchart_root_reports "$((oneil_reports + 1))" \
	"$(grep -cE "^(Pat O'Neil|[├└]── )" "$T/oneil.tree")"

# Failures: nothing is written, the reason is one line, secrets never show.
gen() { sqlite3 "$T/state.db" "select value from meta where key='generation'"; }
g0=$(gen)
printf 'wrong-password' >"$T/bad.pw"
write_config "$T/bad.yaml" "$url" "$T/bad.pw"
"$BIN" -c "$T/bad.yaml" apply >"$T/bad.out" 2>"$T/bad.err"
assert_eq bad_password_exit 1 $?
assert_match bad_password_message 'Invalid credentials' "$(cat "$T/bad.err")"
if grep -q wrong-password "$T/bad.out" "$T/bad.err"; then fail bad_password_secret "password in output"
else pass bad_password_secret; fi

dead=$(free_port)
write_config "$T/dead.yaml" "ldap://127.0.0.1:$dead"
"$BIN" -c "$T/dead.yaml" apply >/dev/null 2>"$T/dead.err"
assert_eq dead_server_exit 1 $?
assert_eq dead_server_one_line 1 "$(wc -l <"$T/dead.err")"

write_config "$T/two.yaml" "ldap://127.0.0.1:$dead, $url"
"$BIN" -c "$T/two.yaml" plan >/dev/null 2>&1
assert_eq url_list_falls_back 0 $?
assert_eq failures_wrote_nothing "$g0" "$(gen)"
exit 0
