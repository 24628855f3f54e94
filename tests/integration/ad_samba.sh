#!/usr/bin/env bash
# harmony-sync against a real Active Directory server: a private Samba 4
# AD DC (scripts/samba.sh) loaded with tests/fixtures/ad-gen.py's org, read
# with mappings/active-directory.yaml.  Covers what only AD has: objectGUID
# anchors in their text form, member lists read by ranges (range_step 500
# on a 1,700-member group), the userAccountControl filter for disabled
# accounts, the UPN fallback for a user without mail, nested memberOf.
# Then ldaps:// and StartTLS, verified against the test CA.
#
# Samba's ports are fixed (389, 636), so samba and harmony-sync both run
# inside one private network namespace: the script re-runs itself under
# `unshare -n`.  Where that is not permitted the whole test is a SKIP.
set -u
. "$(dirname "$0")/lib.sh"
BIN=${HS_BIN:?}
USERS=1800 BIG=1700 STEP=500
BASE=DC=acme,DC=test

outer() {
	local t tool
	for tool in samba samba-tool ldbadd ldapsearch openssl unshare ip; do
		command -v "$tool" >/dev/null 2>&1 ||
			{ skip ad_samba "'$tool' is not installed (scripts/deps.sh)"; return 0; }
	done
	if ! unshare -n true 2>/dev/null; then
		skip ad_samba "network namespaces are not permitted here (unshare -n failed; samba needs port 389)"
		return 0
	fi
	hs_tmpdir
	t=$HS_TMP
	python3 "$HS_ROOT/tests/fixtures/ad-gen.py" --users $USERS --big $BIG \
		--out "$t/org.ldif" || { fail ad_setup "ad-gen.py failed"; return 1; }
	# timeout: a hung server must not hang the suite.
	AD_T=$t AD_INNER=1 timeout 150 unshare -n bash "$0"
	case $? in
	0) ;;
	124) fail ad_samba "timed out after 150 s" ;;
	*) HS_FAILED=1 ;;
	esac
}

hs() { "$BIN" -c "$T/cfg.yaml" "$@"; }
py() { python3 -c "$1" "${@:2}"; }

write_config() {	# file url [extra source lines]
	sed -e 's/DC=example,DC=com/DC=acme,DC=test/g' \
		"$HS_ROOT/mappings/active-directory.yaml" >"$T/ad.yaml"
	cat >"$1" <<YAML
store: $T/state.db
seats: { capacity: 5000 }
roles:
  Admin:   [members:manage, conversations:read:all]
  Manager: [conversations:read:team]
  Member:  [conversations:read:own]
jobs:
  - name: ad
    source:
      type: ldap
      url: [$2]
      bind_dn: Administrator@acme.test
      password_file: $T/dc/admin.pw
      users:
        base: "OU=Staff,$BASE"
        filter: "(&(objectCategory=person)(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))"
      groups: { base: "OU=Groups,$BASE", filter: "(objectClass=group)" }
      page_size: 400
      range_step: $STEP
      timeout: 20s
${3:-}
    mapping: $T/ad.yaml
    safety: { max_deletes: -1, max_delete_percent: -1, on_missing: deallocate }
YAML
}

# Server-side truth, read with ldapsearch (not the code under test):
# objectGUID of sAMAccountName $1 in the GUID text form.
guid_of() {
	ldapsearch -x -H ldap://127.0.0.1 -D Administrator@acme.test \
		-y "$T/dc/admin.pw" -b "OU=Staff,$BASE" -LLL \
		"(sAMAccountName=$1)" objectGUID |
		py 'import sys,base64,uuid
for l in sys.stdin:
    if l.startswith("objectGUID:: "):
        print(uuid.UUID(bytes_le=base64.b64decode(l[13:].strip())))'
}

inner() {
	local url t0 rc stats
	T=$AD_T
	t0=$(date +%s)
	ip link set lo up 2>/dev/null
	if ! url=$(bash "$HS_ROOT/scripts/samba.sh" start "$T/dc" \
		--ldif "$T/org.ldif" 2>"$T/samba.err"); then
		fail ad_samba_start "$(tail -n 3 "$T/samba.err")"
		return 1
	fi
	hs_on_exit bash "$HS_ROOT/scripts/samba.sh" stop "$T/dc"
	pass ad_samba_start
	write_config "$T/cfg.yaml" "$url"

	hs test-connection >"$T/tc.out" 2>"$T/tc.err"
	rc=$?
	assert_eq ad_test_connection_exit 0 "$rc"
	[ $rc -eq 0 ] || sed 's/^/  /' "$T/tc.err"
	assert_match ad_test_connection_users "users: $((USERS - 1))" "$(cat "$T/tc.out")"

	# -vv: the ranged loop logs each range it asks for.
	hs -vv plan --format json >"$T/plan.json" 2>"$T/plan.err"
	rc=$?
	assert_eq ad_plan_exit_changes 2 "$rc"
	[ $rc -eq 2 ] || tail -n 5 "$T/plan.err" | sed 's/^/  /'
	# 1,700 members at 500 a range: 0-499 with the search, then three more.
	assert_eq ad_ranges_followed \
		"member;range=500-999 member;range=1000-1499 member;range=1500-1999" \
		"$(grep -o "Team All Hands.*asking for member;range=[0-9-]*" "$T/plan.err" |
			sed 's/.*asking for //' | tr '\n' ' ' | sed 's/ $//')"
	stats=$(py 'import json,sys,re,collections
p = json.load(open(sys.argv[1]))
ch = p["changes"]
c = collections.Counter(x["op"] for x in ch)
anchors = [x["anchor"] for x in ch if x["op"] == "create_member"]
guid = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
big = sum(1 for x in ch if x["op"] == "add_team_member" and "All Hands" in json.dumps(x))
print(c["create_member"], big, sum(1 for a in anchors if guid.match(a or "")),
      len(set(anchors)), len(p["warnings"]))
open(sys.argv[2], "w").write("\n".join(sorted(anchors)) + "\n")' \
		"$T/plan.json" "$T/anchors.1")
	assert_eq ad_plan_stats \
		"$((USERS - 1)) $BIG $((USERS - 1)) $((USERS - 1)) 0" "$stats"

	# The anchor of a user is its objectGUID as AD prints it.
	local g5
	g5=$(guid_of u0005)
	assert_match ad_anchor_guid_form '^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$' "$g5"
	if grep -qx "$g5" "$T/anchors.1"; then pass ad_anchor_is_object_guid
	else fail ad_anchor_is_object_guid "'$g5' (u0005) is not among the plan's anchors"; fi

	hs apply >"$T/apply.out" 2>"$T/apply.err"
	rc=$?
	assert_eq ad_apply_exit 0 "$rc"
	[ $rc -eq 0 ] || tail -n 5 "$T/apply.err" | sed 's/^/  /'
	hs plan --format json >"$T/plan2.json" 2>"$T/plan2.err"
	assert_eq ad_replan_no_changes 0 $?

	# Anchors are stable: a fresh fetch into an empty store sees the same.
	hs --store "$T/fresh.db" plan --format json >"$T/plan3.json" 2>/dev/null
	py 'import json,sys
p = json.load(open(sys.argv[1]))
a = sorted(x["anchor"] for x in p["changes"] if x["op"] == "create_member")
print("\n".join(a))' "$T/plan3.json" >"$T/anchors.2"
	if cmp -s "$T/anchors.1" "$T/anchors.2"; then pass ad_anchors_stable
	else fail ad_anchors_stable "a second fetch gave other anchors"; fi

	hs members --format json >"$T/members.json" 2>"$T/members.err"
	assert_eq ad_members_exit 0 $?
	stats=$(py 'import json,sys
m = {x["email"]: x for x in json.load(open(sys.argv[1]))}
def team(t): return sum(1 for x in m.values() if t in x["teams"])
print(len(m), team("All Hands"), team("Sales East"), team("Support"),
      sum(1 for x in m.values() if x["role"] == "Admin"),
      "first.last1799@acme.test" in m,
      m.get("u0001@acme.test", {}).get("name"),
      m.get("first.last5@acme.test", {}).get("manager"),
      m.get("first.last9@acme.test", {}).get("manager"),
      m.get("first.last0@acme.test", {}).get("manager"),
      sum(1 for x in m.values() if x["manager"] is None))' "$T/members.json")
	# 1,799 enabled users; the big team fully resolved; u1799 (disabled)
	# absent; u0001 signs in with its UPN; u0005 -> u0000, u0009 -> u0001
	# (the UPN user), only the root has no manager.
	assert_eq ad_members \
		"$((USERS - 1)) $BIG 20 15 3 False First1 Last1 first.last0@acme.test u0001@acme.test None 1" \
		"$stats"
	tls_cases
	usn_cases
	echo "INFO ad_samba took $(($(date +%s) - t0)) s inside the namespace" >&2
}

# ldapmodify as the domain's Administrator, LDIF on stdin.
ad_modify() {
	ldapmodify -x -H ldap://127.0.0.1 -D Administrator@acme.test \
		-y "$T/dc/admin.pw" >/dev/null 2>>"$T/modify.err"
}

# usn_same NAME: the incremental plan (-v says so) equals a full one.
usn_same() {
	"$BIN" -c "$T/usn.yaml" -v plan >"$T/$1.inc" 2>"$T/$1.err"
	echo "$?" >"$T/$1.rc"
	"$BIN" -c "$T/usn.yaml" plan --full >"$T/$1.full" 2>/dev/null
	if cmp -s "$T/$1.inc" "$T/$1.full"; then pass "ad_usn_$1_same_as_full"
	else fail "ad_usn_$1_same_as_full" "$(diff "$T/$1.inc" "$T/$1.full" | head -n 4 | tr '\n' '|')"; fi
	assert_match "ad_usn_$1_incremental" 'incremental refresh' "$(cat "$T/$1.err")"
}

# incremental: usn, on its own store: changes read by uSNChanged, a
# deletion seen through its tombstone, a disabled account leaving the
# filter, a membership change, a manager renamed (AD rewrites the links of
# its reports without a new uSNChanged); each plan equal to a full
# fetch's.
usn_cases() {
	local staff="OU=Staff,$BASE"
	write_config "$T/usn.yaml" ldap://127.0.0.1 "      incremental: usn"
	sed -i "s|store: $T/state.db|store: $T/usn.db|" "$T/usn.yaml"
	"$BIN" -c "$T/usn.yaml" apply >/dev/null 2>"$T/usn.apply.err"
	assert_eq ad_usn_first_apply 0 $?
	assert_eq ad_usn_no_warning "" "$(grep -i 'cannot sync\|usn' "$T/usn.apply.err")"
	usn_same unchanged
	assert_eq ad_usn_unchanged_exit 0 "$(cat "$T/unchanged.rc")"
	ad_modify <<LDIF
dn: CN=User 0002,$staff
changetype: modify
replace: displayName
displayName: Renamed Two

dn: CN=User 0003,$staff
changetype: modify
replace: userAccountControl
userAccountControl: 514

dn: CN=User 0004,$staff
changetype: delete

dn: CN=Team Support,OU=Groups,$BASE
changetype: modify
delete: member
member: CN=User 0030,$staff
-
add: member
member: CN=User 0006,$staff

dn: CN=User 0001,$staff
changetype: modrdn
newrdn: CN=User One
deleteoldrdn: 1
LDIF
	assert_eq ad_usn_changes_written "" "$(cat "$T/modify.err" 2>/dev/null)"
	usn_same changed
	assert_eq ad_usn_changed_exit 2 "$(cat "$T/changed.rc")"
	assert_eq ad_usn_changed_lines "2 1 1 1" "$(printf '%s %s %s %s' \
		"$(grep -c 'status: "active" -> "suspended"' "$T/changed.inc")" \
		"$(grep -c 'name: "First2 Last2" -> "Renamed Two"' "$T/changed.inc")" \
		"$(grep -c '^- remove .* from team Support' "$T/changed.inc")" \
		"$(grep -c '^+ add .* to team Support' "$T/changed.inc")")"
	"$BIN" -c "$T/usn.yaml" apply >/dev/null 2>&1
	assert_eq ad_usn_apply_exit 0 $?
	usn_same applied
	assert_eq ad_usn_applied_exit 0 "$(cat "$T/applied.rc")"
	# An OU that changed may have renamed everything below it without a
	# USN: the run fetches everything.
	ad_modify <<LDIF
dn: $staff
changetype: modify
replace: description
description: staff, renamed or not
LDIF
	"$BIN" -c "$T/usn.yaml" -v plan >/dev/null 2>"$T/ou.err"
	assert_match ad_usn_ou_change_fetches_all 'an OU or container changed' \
		"$(cat "$T/ou.err")"
}

# ldaps:// and StartTLS against the test CA; refused without it unless
# verification is off.
tls_cases() {
	write_config "$T/tls.yaml" ldaps://127.0.0.1 "      ca_file: $T/dc/ca.pem"
	"$BIN" -c "$T/tls.yaml" test-connection >/dev/null 2>"$T/tls.err"
	assert_eq ad_ldaps_verified 0 $?
	write_config "$T/stls.yaml" ldap://127.0.0.1 "      starttls: true
      ca_file: $T/dc/ca.pem"
	"$BIN" -c "$T/stls.yaml" test-connection >/dev/null 2>"$T/stls.err"
	assert_eq ad_starttls_verified 0 $?
	write_config "$T/noca.yaml" ldaps://127.0.0.1
	"$BIN" -c "$T/noca.yaml" test-connection >/dev/null 2>"$T/noca.err"
	# Exit 1 with the URL named (a sanitizer report would exit 1 too).
	assert_eq ad_ldaps_unknown_ca_refused "1 1" \
		"$? $(grep -c "cannot connect to 'ldaps://127.0.0.1'" "$T/noca.err")"
	write_config "$T/skip.yaml" ldaps://127.0.0.1 "      insecure_skip_verify: true"
	"$BIN" -c "$T/skip.yaml" test-connection >/dev/null 2>"$T/skip.err"
	assert_eq ad_ldaps_insecure_skip_verify 0 $?
}

if [ -n "${AD_INNER:-}" ]; then
	inner
else
	outer
fi
exit "$HS_FAILED"
