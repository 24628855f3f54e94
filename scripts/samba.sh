#!/usr/bin/env bash
# A private Samba 4 AD DC for tests: Active Directory's LDAP for real.
#
#   samba.sh start DIR [--ldif FILE]... [--admin-pw PW]
#   samba.sh stop DIR
#   samba.sh clean DIR
#
# start provisions the domain ACME.TEST (DC=acme,DC=test) into DIR/dc
# once (a second start reuses it and its data), bulk-loads each --ldif
# with ldbadd straight into DIR/dc/private/sam.ldb (fast: FIELD-NOTES),
# and runs samba with only its LDAP service on the loopback.  Samba's
# ports are fixed (389, 636), so start refuses to run outside a private
# network namespace: run it, and the client, under `unshare -n` (after
# `ip link set lo up`).  It returns once ldapsearch answers on
# ldap://127.0.0.1 and writes:
#   DIR/admin.pw   Administrator's password, no newline (ldapsearch -y)
#   DIR/ca.pem     a test CA; the server's certificate, signed by it,
#                  names IP:127.0.0.1, so ldaps:// and StartTLS verify
#   DIR/samba.pid  the server's pid (stop kills it and only it)
# Bind as Administrator@acme.test; simple binds over plain LDAP are allowed
# (ldap server require strong auth = no).
#
# It never reads or writes /etc/samba and never touches a system samba:
# provisioning reads an empty config of its own, and every directory
# Samba uses (state, cache, private, pid, log) lives under DIR.
set -eu
. "$(cd "$(dirname "$0")" && pwd)/pidfile.sh"
REALM=ACME.TEST
DOMAIN=ACME

die() { echo "samba.sh: $*" >&2; exit 1; }

pid_alive() {	# DIR
	pid_file_alive "$1/samba.pid"
}

# A fresh namespace (unshare -n) has nothing but lo; the host's has its
# real interfaces, and a samba there would take the machine's port 389.
# (/proc/1/ns/net, the direct test, is unreadable in some containers.)
private_netns() {
	local links
	links=$(ip -o link show 2>/dev/null | awk -F': ' '{print $2}') || return 1
	[ "$links" = lo ]
}

# A CA and a server certificate for 127.0.0.1 (Samba's own names only the
# DC's host name, which no test can resolve).
make_certs() {	# DIR
	local d=$1/tls
	mkdir -p "$d"
	chmod 700 "$d"
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
		>"$d/ext.cnf"
	{
		openssl req -x509 -newkey rsa:2048 -nodes -days 3 \
			-subj "/CN=harmony-sync test CA" \
			-keyout "$d/ca.key" -out "$d/ca.pem" &&
		openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
			-keyout "$d/key.pem" -out "$d/server.csr" &&
		openssl x509 -req -days 3 -in "$d/server.csr" -CA "$d/ca.pem" \
			-CAkey "$d/ca.key" -CAcreateserial -extfile "$d/ext.cnf" \
			-out "$d/cert.pem"
	} >"$1/openssl.log" 2>&1 || { cat "$1/openssl.log" >&2; die "cannot make the test certificates"; }
	chmod 600 "$d/key.pem" "$d/ca.key"
	cp "$d/ca.pem" "$1/ca.pem"
}

provision() {	# DIR, admin pw
	local dir=$1 dc=$1/dc
	: >"$dir/empty.conf"
	make_certs "$dir"
	# --option lines land in DIR/dc/etc/smb.conf.
	samba-tool domain provision -s "$dir/empty.conf" --targetdir "$dc" \
		--realm "$REALM" --domain "$DOMAIN" --host-name dc1 \
		--server-role dc --dns-backend NONE --use-rfc2307 \
		--adminpass "$2" \
		--option "server services = ldap" \
		--option "interfaces = lo" \
		--option "bind interfaces only = yes" \
		--option "logging = file" \
		--option "log file = $dc/log/samba.log" \
		--option "pid directory = $dc/run" \
		--option "ncalrpc dir = $dc/run/ncalrpc" \
		--option "tls enabled = yes" \
		--option "tls keyfile = $dir/tls/key.pem" \
		--option "tls certfile = $dir/tls/cert.pem" \
		--option "tls cafile = $dir/tls/ca.pem" \
		>"$dir/provision.log" 2>&1 ||
		{ tail -n 20 "$dir/provision.log" >&2; die "cannot provision into '$dc'"; }
	# provision drops this one from --option (4.17): add it by hand.
	sed -i '/^\[global\]/a\	ldap server require strong auth = no' \
		"$dc/etc/smb.conf"
	grep -q 'require strong auth = no' "$dc/etc/smb.conf" ||
		die "cannot allow simple binds in '$dc/etc/smb.conf'"
	mkdir -p "$dc/log" "$dc/run"
	umask 077
	printf '%s' "$2" >"$dir/admin.pw"
}

wait_ready() {	# DIR
	local _
	for _ in $(seq 1 150); do
		if ldapsearch -x -H ldap://127.0.0.1 -s base -b "" -LLL \
			highestCommittedUSN >/dev/null 2>&1; then
			return 0
		fi
		pid_alive "$1" || return 1
		sleep 0.1
	done
	return 1
}

cmd_start() {
	local dir=$1; shift
	local apw='Harmony-Adm1n!' ldifs=() f
	while [ $# -gt 0 ]; do
		case $1 in
		--ldif) [ -r "${2:-}" ] || die "cannot read LDIF '${2:-}'"
			ldifs+=("$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"); shift 2 ;;
		--admin-pw) apw=$2; shift 2 ;;
		*) die "unknown option '$1'" ;;
		esac
	done
	for f in samba samba-tool ldbadd ldapsearch openssl; do
		command -v "$f" >/dev/null || die "'$f' is not installed (scripts/deps.sh)"
	done
	private_netns || die "not in a private network namespace (run under 'unshare -n')"
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	pid_alive "$dir" && die "a samba already runs from '$dir' (pid $(cat "$dir/samba.pid"))"
	if [ ! -f "$dir/dc/etc/smb.conf" ]; then
		provision "$dir" "$apw"
		for f in "${ldifs[@]+"${ldifs[@]}"}"; do
			ldbadd -H "$dir/dc/private/sam.ldb" "$f" >>"$dir/ldbadd.log" 2>&1 ||
				{ tail -n 5 "$dir/ldbadd.log" >&2; die "cannot load '$f'"; }
		done
	elif [ ${#ldifs[@]} -gt 0 ]; then
		die "'$dir' is already provisioned; clean it to load new LDIF"
	fi
	ip link set lo up 2>/dev/null || true
	rm -f "$dir/samba.pid"
	# Single process: one pid to stop, nothing left behind.
	samba -F --debug-stdout -M single -s "$dir/dc/etc/smb.conf" </dev/null \
		>"$dir/samba.out" 2>&1 &
	echo $! >"$dir/samba.pid"
	if ! wait_ready "$dir"; then
		tail -n 20 "$dir/samba.out" >&2
		cmd_stop "$dir"
		die "samba did not start from '$dir'"
	fi
	echo ldap://127.0.0.1
}

cmd_stop() {
	stop_pid_file "$1/samba.pid"
}

# Removes only what start created, and DIR itself if that leaves it empty:
# a mistyped DIR must not lose someone's files.
cmd_clean() {
	local dir=$1
	[ -d "$dir" ] || return 0
	cmd_stop "$dir"
	[ -d "$dir/dc" ] || [ -e "$dir/empty.conf" ] || return 0
	rm -rf "$dir/dc" "$dir/tls"
	rm -f "$dir"/{empty.conf,provision.log,ldbadd.log,openssl.log,samba.out,admin.pw,ca.pem}
	rmdir "$dir" 2>/dev/null || true
}

[ $# -ge 2 ] || die "usage: samba.sh start|stop|clean DIR [options]"
cmd=$1 dir=$2; shift 2
case $cmd in
start) cmd_start "$dir" "$@" ;;
stop) cmd_stop "$dir" ;;
clean) cmd_clean "$dir" ;;
*) die "unknown command '$cmd'" ;;
esac
