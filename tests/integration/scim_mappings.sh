#!/usr/bin/env bash
# The shipped SCIM mappings' payload shapes through the SCIM source:
# mappings/entra-scim.yaml on a fixture of Microsoft Entra ID SCIM API
# shapes (tests/fixtures/entra-scim.json, served verbatim), read with
# OAuth 2.0 client credentials.  Checks what the mapping relies on.
set -u
. "$(dirname "$0")/scim_lib.inc"
if ! command -v node >/dev/null; then echo "SKIP scim_entra: node is not installed (make deps)"; exit 0; fi
if ! scim_build_driver; then echo "FAIL scim_entra_build: cannot build the scim_fetch driver"; exit 1; fi
echo entra-secret >"$tmp/secret"
scim_start entra --fixture "$root/tests/fixtures/entra-scim.json" --raw --lower-paths --oauth-client app-id --oauth-secret entra-secret ||
	{ echo "FAIL scim_entra_start: server did not start"; exit 1; }
u1=5a000001-1c2d-4e5f-8a9b-c0ffee000001
u7=5a000007-1c2d-4e5f-8a9b-c0ffee000007
g2=6b000002-aaaa-4bbb-8ccc-000000000002
if "$tmp/scim_fetch" --url "http://127.0.0.1:$port" --token-url "http://127.0.0.1:$port/oauth2/token" \
	--client-id app-id --client-secret-file "$tmp/secret" --scope "https://graph.microsoft.com/.default" \
	--users-path users --groups-path groups \
	--show $u1 --show $u7 --show $g2 >"$tmp/out" 2>"$tmp/err"; then
	ok=1
	for want in "users=7 groups=4" "$u1 emails[primary].value=Alex.Wilber@Contoso.com" \
		"$u1 manager=5a000000-1c2d-4e5f-8a9b-c0ffee000000" "$u1 department=Sales" \
		"$u1 userName=alex.wilber@contoso.onmicrosoft.com" "$u7 manager=5a000004-1c2d-4e5f-8a9b-c0ffee000004" \
		"$u1 memberOf=6b000000-aaaa-4bbb-8ccc-000000000000" "$g2 member=6b000001-aaaa-4bbb-8ccc-000000000001" \
		"$g2 member=$u7"; do
		grep -qxF -- "$want" "$tmp/out" || { ok=0; echo "  missing: $want"; }
	done
	[ $ok = 1 ] && echo "PASS scim_entra_shapes" || echo "FAIL scim_entra_shapes"
else
	echo "FAIL scim_entra_shapes: $(head -c 300 "$tmp/err")"
fi

# Through the real binary: mappings/scim.yaml on 300 generated users whose
# last three managers form a cycle (one is dropped: manager_cycle).
bin=${HS_BIN:-$root/harmony-sync}
if [ ! -x "$bin" ]; then echo "SKIP scim_plan: no harmony-sync binary (make)"; exit 0; fi
scim_start plan --users 300 --groups 10 --token tok --manager-cycle || { echo "FAIL scim_plan: server did not start"; exit 1; }
echo tok >"$tmp/tok"
cat >"$tmp/c.yaml" <<EOC
store: $tmp/state.db
seats: { capacity: 1000 }
roles: { Member: [conversations:read:own] }
jobs:
  - name: scim
    source: { type: scim, base_url: "http://127.0.0.1:$port", token_file: tok, page_size: 50 }
    mapping: $root/mappings/scim.yaml
EOC
"$bin" -c "$tmp/c.yaml" plan --format json >"$tmp/plan.json" 2>"$tmp/err"; rc=$?
got=$(python3 -c "
import json,collections,sys
p=json.load(open(sys.argv[1]))
c=collections.Counter(x['op'] for x in p['changes']); w=collections.Counter(x['code'] for x in p['warnings'])
print(c['create_member'], c['set_manager'], c['create_team'], w['manager_cycle'])" "$tmp/plan.json" 2>&1)
if [ "$rc" = 2 ] && [ "$got" = "300 298 10 1" ]; then echo "PASS scim_plan_cycle"
else echo "FAIL scim_plan_cycle: rc=$rc got '$got' $(head -c 200 "$tmp/err")"; fi
