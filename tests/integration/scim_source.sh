#!/usr/bin/env bash
# The SCIM source (source_scim.c) against the SCIM test server
# (tests/scim-server, scimmy + express): paging, ordering, faults, auth,
# TLS.  Each case prints PASS/FAIL/SKIP.  Exact counts: the generated
# directory has 300 users (3 inactive, dropped) and 10 team groups plus
# "all-teams" nesting them.
set -u
. "$(dirname "$0")/scim_lib.inc"

pass() { echo "PASS scim_$1"; }
fail() { echo "FAIL scim_$1: $2"; }

if ! command -v node >/dev/null; then echo "SKIP scim_source: node is not installed (make deps)"; exit 0; fi
if ! scim_build_driver; then echo "FAIL scim_build: cannot build the scim_fetch driver"; exit 1; fi
F=$tmp/scim_fetch
echo tok-123 >"$tmp/tok"; echo wrong-456 >"$tmp/badtok"

# expect NAME WANT_RC GREP_STDOUT_OR_STDERR -- driver args
run() { "$F" --url "http://127.0.0.1:$port" "$@" >"$tmp/out" 2>"$tmp/err"; }
expect_ok() {	# name, expected first line, args...
	local n=$1 want=$2; shift 2
	if run "$@" && [ "$(head -n1 "$tmp/out")" = "$want" ]; then pass "$n"
	else fail "$n" "got '$(head -n1 "$tmp/out")' $(head -c 300 "$tmp/err")"; fi
}
expect_err() {	# name, stderr pattern, args...
	local n=$1 pat=$2; shift 2
	if run "$@"; then fail "$n" "succeeded: $(head -n1 "$tmp/out")"
	elif [ -s "$tmp/out" ]; then fail "$n" "wrote output on error"
	elif ! grep -q -- "$pat" "$tmp/err"; then fail "$n" "stderr: $(head -c 300 "$tmp/err")"
	else pass "$n"; fi
}

ALL="users=297 groups=11"
scim_start main --users 300 --groups 10 --token tok-123 --manager-cycle --inactive 3 || { echo "FAIL scim_start: server did not start"; exit 1; }
expect_ok basic "$ALL" --token-file "$tmp/tok"

# Order is deterministic whatever the concurrency and page size.
run --token-file "$tmp/tok" --ids --concurrency 1 && cp "$tmp/out" "$tmp/ids1"
run --token-file "$tmp/tok" --ids --concurrency 8 --page-size 13 && cp "$tmp/out" "$tmp/ids8"
if cmp -s "$tmp/ids1" "$tmp/ids8" && [ "$(grep -c '^user ' "$tmp/ids1")" = 297 ] &&
   [ "$(sort "$tmp/ids1" | uniq -d | wc -l)" = 0 ]; then pass order_deterministic
else fail order_deterministic "id lists differ"; fi

# Same pages at concurrency 1 and 4 (30 pages of 10, four in flight and
# completing out of order): the same records in the same order.
run --token-file "$tmp/tok" --ids --concurrency 1 --page-size 10 && cp "$tmp/out" "$tmp/ids1p"
run --token-file "$tmp/tok" --ids --concurrency 4 --page-size 10 && cp "$tmp/out" "$tmp/ids4p"
if [ -s "$tmp/ids1p" ] && cmp -s "$tmp/ids1p" "$tmp/ids4p" && cmp -s "$tmp/ids1p" "$tmp/ids1"; then pass order_concurrency_1_4
else fail order_concurrency_1_4 "id lists differ between concurrency 1 and 4"; fi

# Many small pages: parser threads finish out of order and the queue to
# them fills up (submit waits); still the same records in the same order,
# and the same attributes for a user and a group.
run --token-file "$tmp/tok" --ids --concurrency 8 --page-size 3 && cp "$tmp/out" "$tmp/ids8s"
if [ -s "$tmp/ids8s" ] && cmp -s "$tmp/ids1" "$tmp/ids8s"; then pass order_many_pages
else fail order_many_pages "id lists differ with 3-user pages"; fi
g0=$(awk '/^group /{print $2; exit}' "$tmp/ids1")
u5=$(awk '/^user /{n++; if (n==5) {print $2; exit}}' "$tmp/ids1")
run --token-file "$tmp/tok" --show "$u5" --show "$g0" --concurrency 1 --page-size 100 && cp "$tmp/out" "$tmp/show1"
run --token-file "$tmp/tok" --show "$u5" --show "$g0" --concurrency 8 --page-size 3
if [ -s "$tmp/show1" ] && grep -q "^$g0 member=" "$tmp/show1" && cmp -s "$tmp/show1" "$tmp/out"; then pass records_many_pages
else fail records_many_pages "records differ with 3-user pages"; fi

# Attributes by path; manager from the enterprise extension.
u0=$(awk '/^user /{print $2; exit}' "$tmp/ids1")
u1=$(awk '/^user /{n++; if (n==2) {print $2; exit}}' "$tmp/ids1")
run --token-file "$tmp/tok" --show "$u1"
if grep -qx "$u1 manager=$u0" "$tmp/out" && grep -qx "$u1 emails\[primary\].value=user000001@example.com" "$tmp/out" &&
   grep -qx "$u1 emails.value=home000001@example.net" "$tmp/out" && grep -qx "$u1 department=Dept 1" "$tmp/out" &&
   grep -qx "$u1 name.givenName=Given000001" "$tmp/out" && grep -qx "$u1 active=true" "$tmp/out" &&
   grep -qx "$u1 urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value=$u0" "$tmp/out" &&
   [ "$(grep -c "^$u1 memberOf=" "$tmp/out")" = 2 ]; then pass attributes
else fail attributes "$(head -c 600 "$tmp/out")"; fi
expect_ok keep_inactive "users=300 groups=11" --token-file "$tmp/tok" --keep-inactive
expect_ok no_groups "users=297 groups=0" --token-file "$tmp/tok" --no-groups
expect_ok users_filter "users=1 groups=11" --token-file "$tmp/tok" --users-filter 'userName eq "user000007@example.com"'

# Wrong token: a clear error, and neither token in any output, even -v.
expect_err wrong_token "HTTP 401" --token-file "$tmp/badtok"
run --token-file "$tmp/badtok" -v
if grep -q "wrong-456\|tok-123" "$tmp/out" "$tmp/err"; then fail token_redacted "token leaked"
elif ! grep -q "Bearer \[redacted\]" "$tmp/err"; then fail token_redacted "no redacted request log"
else pass token_redacted; fi
scim_stop main

scim_start capped --users 300 --groups 10 --token tok-123 --inactive 3 --max-page-size 7
expect_ok capped_page_size "$ALL" --token-file "$tmp/tok" --page-size 100
run --token-file "$tmp/tok" --ids --page-size 100 --concurrency 1
if cmp -s "$tmp/out" "$tmp/ids1"; then pass capped_order; else fail capped_order "order differs"; fi
scim_stop capped

scim_start storm --users 300 --groups 10 --token tok-123 --inactive 3 --fail-429 6
expect_ok 429_storm "$ALL" --token-file "$tmp/tok"
scim_stop storm
scim_start storm2 --users 300 --groups 10 --token tok-123 --inactive 3 --fail-429 2 --retry-after-date
expect_ok 429_http_date "$ALL" --token-file "$tmp/tok"
scim_stop storm2

scim_start recover --users 300 --groups 10 --token tok-123 --inactive 3 --fail-500 3
expect_ok 500_recovers "$ALL" --token-file "$tmp/tok" --concurrency 1
scim_stop recover
scim_start down --users 300 --groups 10 --token tok-123 --fail-500-from 3
expect_err 500_fails "failed after 2 retries: HTTP 503" --token-file "$tmp/tok" --max-retries 2
scim_stop down

scim_start badjson --users 50 --token tok-123 --bad-json
expect_err bad_json "malformed JSON" --token-file "$tmp/tok"
scim_stop badjson
scim_start wrongtype --users 50 --token tok-123 --wrong-type
expect_err wrong_content_type "unexpected content type 'text/html" --token-file "$tmp/tok"
scim_stop wrongtype

# A server that returns the first page for every startIndex must fail,
# not loop; one that does so only past the end (SCIMMY 1.3.5) is fine,
# even when data changes mid-fetch.
scim_start stuck --users 50 --token tok-123 --stuck
expect_err never_advances "does not advance" --token-file "$tmp/tok" --page-size 10
scim_stop stuck
scim_start mutate --users 300 --groups 0 --token tok-123 --wrap-past-end --mutate-after 3
if run --token-file "$tmp/tok" --ids --page-size 20 --concurrency 1 && [ "$(sort "$tmp/out" | uniq -d | wc -l)" = 0 ] &&
   n=$(grep -c '^user ' "$tmp/out") && [ "$n" -ge 290 ] && [ "$n" -le 305 ]; then pass mutate_mid_fetch
else fail mutate_mid_fetch "$(head -n1 "$tmp/out") $(head -c 300 "$tmp/err")"; fi
scim_stop mutate

# OAuth 2.0 client credentials.
echo s3cr3t >"$tmp/secret"; echo nope >"$tmp/badsecret"
scim_start oauth --users 40 --groups 2 --oauth-client harmony --oauth-secret s3cr3t
expect_ok oauth2 "users=40 groups=3" --token-url "http://127.0.0.1:$port/oauth2/token" --client-id harmony --client-secret-file "$tmp/secret" --scope "scim.read"
expect_err oauth2_bad_secret "cannot get oauth2 token.*HTTP 401 invalid_client" --token-url "http://127.0.0.1:$port/oauth2/token" --client-id harmony --client-secret-file "$tmp/badsecret"
if grep -q "nope\|s3cr3t" "$tmp/err"; then fail oauth2_secret_hidden "secret leaked"; else pass oauth2_secret_hidden; fi
scim_stop oauth
oauth_args() { echo --token-url "http://127.0.0.1:$port/oauth2/token" --client-id harmony --client-secret-file "$tmp/secret"; }
grants() { grep -c "^token issued" "$tmp/$1/server.log"; }
# The token expires mid-fetch (401): one new token, then the fetch goes on.
scim_start expire --users 40 --groups 2 --oauth-client harmony --oauth-secret s3cr3t --revoke-tokens-after 2
expect_ok oauth2_refresh_on_401 "users=40 groups=3" $(oauth_args) --page-size 5 --concurrency 4
[ "$(grants expire)" = 2 ] && pass oauth2_refresh_one_grant || fail oauth2_refresh_one_grant "$(grants expire) token grants"
scim_stop expire
# The new token is rejected too: fail with the 401, after one refresh only.
scim_start revoked --users 40 --groups 2 --oauth-client harmony --oauth-secret s3cr3t --revoke-tokens-after 2 --revoke-forever
expect_err oauth2_refresh_once "HTTP 401" $(oauth_args) --page-size 5 --concurrency 4
[ "$(grants revoked)" = 2 ] && pass oauth2_refresh_only_once || fail oauth2_refresh_only_once "$(grants revoked) token grants"
scim_stop revoked

# TLS with a private CA: verified with ca_file, refused without it.
if ! command -v openssl >/dev/null; then
	echo "SKIP scim_tls: openssl is not installed (make deps)"
else
	t=$tmp/tls; mkdir -p "$t"
	(cd "$t" &&
	 openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=harmony test CA" -keyout ca.key -out ca.pem &&
	 openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout srv.key -out srv.csr &&
	 printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >ext.cnf &&
	 openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile ext.cnf -out srv.pem) >/dev/null 2>&1
	scim_start tls --users 30 --groups 2 --token tok-123 --tls-cert "$t/srv.pem" --tls-key "$t/srv.key"
	if "$F" --url "https://127.0.0.1:$port" --token-file "$tmp/tok" --ca-file "$t/ca.pem" >"$tmp/out" 2>"$tmp/err" &&
	   [ "$(cat "$tmp/out")" = "users=30 groups=3" ]; then pass tls_verified
	else fail tls_verified "$(head -c 300 "$tmp/err")"; fi
	if "$F" --url "https://127.0.0.1:$port" --token-file "$tmp/tok" >"$tmp/out" 2>"$tmp/err"; then fail tls_refused "accepted an unknown CA"
	elif grep -qi "certificate\|SSL" "$tmp/err"; then pass tls_refused
	else fail tls_refused "$(head -c 300 "$tmp/err")"; fi
	if "$F" --url "https://127.0.0.1:$port" --token-file "$tmp/tok" --insecure >"$tmp/out" 2>"$tmp/err" &&
	   grep -q "verification is disabled" "$tmp/err"; then pass tls_insecure_warns
	else fail tls_insecure_warns "$(head -c 300 "$tmp/err")"; fi
	scim_stop tls
fi
