#!/usr/bin/env bash
# source_ldap.c against a real private slapd (scripts/slapd.sh) holding a
# quirky generated org (scripts/gen_org.py --quirks): exact counts, DN
# spellings, errors for a wrong password, dead servers, a missing base, a
# hung server and a server killed in the middle of a paged search.
#
# It drives the adapter through tests/integration/ldap_fetch.c, built
# against libhs.a, so that it tests the source itself rather than the
# config parser or the CLI.  HS_LDAP_FETCH may name a prebuilt driver.
set -u
. "$(dirname "$0")/lib.sh"
hs_tmpdir
root=$HS_ROOT
T=ldap_source
SVC=cn=harmony-sync,ou=services,dc=example,dc=com
PEOPLE=ou=people,dc=example,dc=com
GROUP_BASE=ou=groups,dc=example,dc=com

for tool in slapd slapadd ldapsearch python3; do
	if ! command -v "$tool" >/dev/null && [ ! -x "/usr/sbin/$tool" ]; then
		skip "$T" "'$tool' is not installed (make deps installs it)"
		exit 0
	fi
done
export PATH=$PATH:/usr/sbin

drv=${HS_LDAP_FETCH:-}
if [ -z "$drv" ]; then
	drv=$HS_TMP/ldap_fetch
	if ! hs_build_libhs || ! hs_cc "$drv" "$root/tests/integration/ldap_fetch.c" \
		2>>"$HS_TMP/make.err"; then
		fail "${T}_build" "$(tail -n 5 "$HS_TMP/make.err" | tr '\n' ' ')"
		exit 1
	fi
fi

if [ ! -x "$drv" ]; then
	fail "${T}_build" "no driver at '$drv'"
	exit 1
fi

# --- a 300-person quirky org --------------------------------------------
python3 "$root/scripts/gen_org.py" --people 300 --groups 20 --quirks \
	--out "$HS_TMP/org.ldif" --stats "$HS_TMP/org.stats"
. "$HS_TMP/org.stats"	# people= with_mail= without_mail= groups= memberships=
S=$HS_TMP/slapd
hs_on_exit bash "$root/scripts/slapd.sh" clean "$S"
if ! bash "$root/scripts/slapd.sh" start "$S" --ldif "$HS_TMP/org.ldif" \
	>/dev/null 2>"$HS_TMP/slapd.err"; then
	fail "${T}_slapd_start" "$(tail -n 3 "$HS_TMP/slapd.err" | tr '\n' ' ')"
	exit 1
fi
URL=$(cat "$S/url")
AUTH=(--bind-dn "$SVC" --password-file "$S/service.pw")

fetch() {	# driver args...; output in $out, stderr in $err, status in $rc
	out=$("$drv" "$@" 2>"$HS_TMP/err"); rc=$?
	err=$(grep -v '^harmony-sync: ' "$HS_TMP/err")
}
val() { printf '%s\n' "$out" | sed -n "s/^$1=//p" | head -n 1; }

ONEIL_ODD="CN=O'Neil\\2C Pat, OU=People,dc=example,dc=com"
fetch --url "$URL" "${AUTH[@]}" --users-base "$PEOPLE" --groups-base "$GROUP_BASE" \
	--page-size 50 --info --show "$ONEIL_ODD"
assert_eq "${T}_fetch_ok" "0 " "$rc $err"
assert_eq "${T}_users" "$people" "$(val users)"
assert_eq "${T}_users_with_mail" "$with_mail" "$(val users_with_mail)"
assert_eq "${T}_users_without_mail" "$without_mail" "$(val users_without_mail)"
assert_eq "${T}_groups" "$groups" "$(val groups)"
assert_eq "${T}_members" "$memberships" "$(val members)"
# Every member reference but the one to the departed uid=former resolves,
# including O'Neil's in harmony-admins, spelled another way.
assert_eq "${T}_members_resolved" "$((memberships - 1))" "$(val members_resolved)"
# Every manager value but the dangling uid=ghost resolves.
assert_eq "${T}_managers" "$((people - 1))" "$(val managers)"
assert_eq "${T}_managers_resolved" "$((people - 2))" "$(val managers_resolved)"
assert_eq "${T}_escaped_dn_id" "cn=O'Neil\\2C Pat,ou=people,dc=example,dc=com" \
	"$(val show.id)"
# Her 7 reports spell her DN three different ways; all normalise to her key.
assert_eq "${T}_escaped_dn_reports" "7" "$(val show.reports)"
assert_match "${T}_escaped_dn_memberof" \
	"show.memberOf=cn=harmony-admins,ou=groups,dc=example,dc=com" "$out"
assert_match "${T}_anchor_entryuuid" \
	'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' \
	"$(val show.anchor)"
assert_match "${T}_info" "server: $URL.*namingContexts: dc=example,dc=com" \
	"$(printf '%s' "$out" | tr '\n' ' ')"

# Paging: a page size that does not divide the counts changes nothing.
counts=$(printf '%s\n' "$out" | grep -E '^(users|groups|members)')
fetch --url "$URL" "${AUTH[@]}" --users-base "$PEOPLE" --groups-base "$GROUP_BASE" \
	--page-size 7
assert_eq "${T}_page_size_7" "$counts" \
	"$(printf '%s\n' "$out" | grep -E '^(users|groups|members)')"

# Non-ASCII values arrive as the UTF-8 bytes that were stored.
mdn=$(ldapsearch -x -LLL -o ldif-wrap=no -H "$URL" -D "$SVC" -y "$S/service.pw" \
	-b "$PEOPLE" "(employeeNumber=$((10000 + people - 10)))" dn | sed -n 's/^dn: //p')
fetch --url "$URL" "${AUTH[@]}" --users-base "$PEOPLE" --show "$mdn"
assert_eq "${T}_non_ascii" "José Müller" "$(val show.cn)"

# --- errors ---------------------------------------------------------------
printf 'not-the-password' >"$HS_TMP/bad.pw"
fetch --url "$URL" --bind-dn "$SVC" --password-file "$HS_TMP/bad.pw" \
	--users-base "$PEOPLE"
assert_eq "${T}_wrong_password" \
	"1 error: cannot bind to '$URL' as '$SVC': Invalid credentials" "$rc $err"
if grep -q 'not-the-password' "$HS_TMP/err"; then
	fail "${T}_password_not_logged" "the password appears in the output"
else
	pass "${T}_password_not_logged"
fi

dead=$(free_port)
fetch --url "ldap://127.0.0.1:$dead" "${AUTH[@]}" --users-base "$PEOPLE"
assert_eq "${T}_dead_port" \
	"1 error: cannot connect to 'ldap://127.0.0.1:$dead': Can't contact LDAP server" \
	"$rc $err"

fetch --url "ldap://127.0.0.1:$dead" --url "$URL" "${AUTH[@]}" \
	--users-base "$PEOPLE"
assert_eq "${T}_second_url_used" "0 $people" "$rc $(val users)"

dead2=$(free_port)
fetch --url "ldap://127.0.0.1:$dead" --url "ldap://127.0.0.1:$dead2" \
	"${AUTH[@]}" --users-base "$PEOPLE"
assert_eq "${T}_all_urls_dead" "1 error: cannot connect to 'ldap://127.0.0.1:$dead': Can't contact LDAP server; cannot connect to 'ldap://127.0.0.1:$dead2': Can't contact LDAP server" \
	"$rc $err"

fetch --url "$URL" "${AUTH[@]}" --users-base "ou=nope,dc=example,dc=com"
assert_eq "${T}_missing_base" \
	"1 error: cannot search 'ou=nope,dc=example,dc=com' on '$URL': No such object" \
	"$rc $err"

# A server that accepts connections but never answers: the timeout ends it.
pid=$(cat "$S/slapd.pid")
kill -STOP "$pid"
start=$SECONDS
fetch --url "$URL" "${AUTH[@]}" --users-base "$PEOPLE" --timeout 1
kill -CONT "$pid"
assert_eq "${T}_hung_server" \
	"1 error: cannot connect to '$URL': Timed out" "$rc $err"
if [ $((SECONDS - start)) -le 5 ]; then pass "${T}_hung_server_fast"
else fail "${T}_hung_server_fast" "took $((SECONDS - start)) s"; fi

# --- a server killed in the middle of a paged search -----------------------
python3 "$root/scripts/gen_org.py" --people 20000 --groups 50 \
	--out "$HS_TMP/big.ldif"
B=$HS_TMP/slapd-big
hs_on_exit bash "$root/scripts/slapd.sh" clean "$B"
if bash "$root/scripts/slapd.sh" start "$B" --ldif "$HS_TMP/big.ldif" \
	>/dev/null 2>"$HS_TMP/slapd.err"; then
	BURL=$(cat "$B/url")
	# Page size 1: 20,000 round trips, far longer than the 0.3 s we wait.
	"$drv" --url "$BURL" --bind-dn "$SVC" --password-file "$B/service.pw" \
		--users-base "$PEOPLE" --page-size 1 >"$HS_TMP/kill.out" \
		2>"$HS_TMP/kill.err" &
	dpid=$!
	sleep 0.3
	kill -9 "$(cat "$B/slapd.pid")"
	wait "$dpid"; rc=$?
	err=$(grep -v '^harmony-sync: ' "$HS_TMP/kill.err")
	assert_eq "${T}_killed_mid_fetch" \
		"1 error: cannot search '$PEOPLE' on '$BURL': Can't contact LDAP server" \
		"$rc $err"
	assert_eq "${T}_killed_mid_fetch_no_output" "" "$(cat "$HS_TMP/kill.out")"
else
	fail "${T}_killed_mid_fetch" "second slapd did not start: $(tail -n 2 "$HS_TMP/slapd.err")"
fi

exit $HS_FAILED
