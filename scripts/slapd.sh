#!/usr/bin/env bash
# A private OpenLDAP slapd for tests, the demo and the benchmark.
#
#   slapd.sh start DIR [--ldif FILE]... [--port N] [--admin-pw PW] [--service-pw PW]
#                      [--no-sessionlog | --no-syncprov]
#   slapd.sh stop DIR
#   slapd.sh clean DIR
#   slapd.sh config DIR MAPPING [STORE] [CAPACITY]
#
# start builds a cn=config directory of its own in DIR/slapd.d (once; a
# second start reuses it and its data), bulk-loads tests/fixtures/base.ldif
# plus each --ldif with slapadd, and runs slapd on 127.0.0.1 on a free port.
# It writes DIR/port, DIR/url, DIR/slapd.pid and the passwords in
# DIR/admin.pw (no newline, for ldapsearch -y; cn=admin,dc=example,dc=com) and DIR/service.pw
# (cn=harmony-sync,ou=services,dc=example,dc=com, read-only, unlimited
# paged size: FIELD-NOTES), and returns once ldapsearch answers.
# It never reads or writes /etc/ldap/slapd.d and never touches a system
# slapd: everything lives under DIR and is stopped by the pid it wrote.
#
# The syncprov overlay (RFC 4533, for `incremental: syncrepl`) runs with a
# session log, so deletions come back as ID sets; --no-sessionlog leaves
# the log out (deletions then come as a present phase), --no-syncprov the
# overlay (the server cannot sync at all).
#
# config prints a harmony-sync config (DESIGN §4) with one job, "ldap",
# reading the running server as the service account with MAPPING; with
# INCREMENTAL (syncrepl, usn or none) it sets the source's incremental key.
#
# slapadd bypasses overlays, so memberOf is only what the LDIF carries.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/pidfile.sh"
fixtures=$here/../tests/fixtures
SUFFIX=dc=example,dc=com
ADMIN_DN=cn=admin,$SUFFIX
SERVICE_DN=cn=harmony-sync,ou=services,$SUFFIX

die() { echo "slapd.sh: $*" >&2; exit 1; }

# Prints a TCP port nobody listens on right now.  Another process may take
# it before slapd binds; start retries with a new port when that happens.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

pid_alive() {	# DIR
	pid_file_alive "$1/slapd.pid"
}

configure() {	# DIR, admin pw, service pw, sync (full|nolog|none), ldif...
	local dir=$1 apw=$2 spw=$3 sync=$4; shift 4
	local ahash shash
	ahash=$(slappasswd -s "$apw")
	shash=$(slappasswd -s "$spw")
	mkdir -p "$dir/slapd.d" "$dir/db"
	chmod 700 "$dir/slapd.d" "$dir/db"
	sed -e "s|@DIR@|$dir|g" -e "s|@ROOTPW_HASH@|$ahash|" \
		"$fixtures/slapd-config.ldif.in" >"$dir/config.ldif"
	case $sync in
	nolog) sed -i '/^olcSpSessionlog:/d' "$dir/config.ldif" ;;
	none) sed -i '/^dn: olcOverlay={1}syncprov/,$d' "$dir/config.ldif" ;;
	esac
	sed -e "s|@SVCPW_HASH@|$shash|" "$fixtures/base.ldif.in" >"$dir/base.ldif"
	slapadd -n0 -F "$dir/slapd.d" -l "$dir/config.ldif" >"$dir/slapadd.log" 2>&1 ||
		{ cat "$dir/slapadd.log" >&2; die "cannot load the config into '$dir/slapd.d'"; }
	# -q: no consistency checks, the bulk-load speed the bench needs.
	cat "$dir/base.ldif" "$@" |
		slapadd -q -n1 -F "$dir/slapd.d" >>"$dir/slapadd.log" 2>&1 ||
		{ tail -n 20 "$dir/slapadd.log" >&2; die "cannot load the data into '$dir/db'"; }
	umask 077
	printf '%s' "$apw" >"$dir/admin.pw"
	printf '%s' "$spw" >"$dir/service.pw"
}

wait_ready() {	# DIR, url
	local i
	for i in $(seq 1 100); do
		if ldapsearch -x -H "$2" -s base -b "" -LLL namingContexts \
			>/dev/null 2>&1; then
			return 0
		fi
		pid_alive "$1" || return 1
		sleep 0.1
	done
	return 1
}

cmd_start() {
	local dir=$1; shift
	local port="" apw=admin-secret spw=harmony-secret ldifs=() try url sync=full
	while [ $# -gt 0 ]; do
		case $1 in
		--ldif) [ -r "${2:-}" ] || die "cannot read LDIF '${2:-}'"
			ldifs+=("$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"); shift 2 ;;
		--port) port=$2; shift 2 ;;
		--admin-pw) apw=$2; shift 2 ;;
		--service-pw) spw=$2; shift 2 ;;
		--no-sessionlog) sync=nolog; shift ;;
		--no-syncprov) sync=none; shift ;;
		*) die "unknown option '$1'" ;;
		esac
	done
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	pid_alive "$dir" && die "a slapd already runs from '$dir' (pid $(cat "$dir/slapd.pid"))"
	if [ ! -d "$dir/slapd.d/cn=config" ]; then
		configure "$dir" "$apw" "$spw" "$sync" "${ldifs[@]+"${ldifs[@]}"}"
	elif [ ${#ldifs[@]} -gt 0 ]; then
		die "'$dir' is already configured; clean it to load new LDIF"
	fi
	for try in 1 2 3 4 5; do
		[ -n "$port" ] || port=$(free_port)
		url=ldap://127.0.0.1:$port/
		rm -f "$dir/slapd.pid"
		# slapd 2.5 detaches only once it is listening, and fails if the
		# port is taken.
		if slapd -F "$dir/slapd.d" -h "$url" >"$dir/slapd.log" 2>&1 &&
			wait_ready "$dir" "$url"; then
			echo "$port" >"$dir/port"
			echo "ldap://127.0.0.1:$port" >"$dir/url"
			echo "ldap://127.0.0.1:$port"
			return 0
		fi
		pid_alive "$dir" && kill "$(cat "$dir/slapd.pid")" 2>/dev/null || true
		port=""
	done
	cat "$dir/slapd.log" >&2
	die "slapd did not start from '$dir'"
}

cmd_stop() {
	stop_pid_file "$1/slapd.pid"
}

# Removes only what start created, and DIR itself if that leaves it empty:
# a mistyped DIR must not lose someone's files.
cmd_clean() {
	local dir=$1
	[ -d "$dir" ] || return 0
	cmd_stop "$dir"
	[ -d "$dir/slapd.d" ] || [ -e "$dir/config.ldif" ] || return 0
	rm -rf "$dir/slapd.d" "$dir/db"
	rm -f "$dir"/{config.ldif,base.ldif,slapadd.log,slapd.log,slapd.args,port,url,admin.pw,service.pw}
	rmdir "$dir" 2>/dev/null || true
}

cmd_config() {	# DIR, mapping, store, capacity, incremental
	local dir mapping
	dir=$(cd "$1" && pwd)
	mapping=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
	[ -s "$dir/url" ] || die "no slapd was started from '$dir'"
	cat <<YAML
store: ${3:-$dir/state.db}
seats: { capacity: ${4:-250} }
roles:
  Admin:   [members:manage, conversations:read:all]
  Manager: [conversations:read:team]
  Member:  [conversations:read:own]
jobs:
  - name: ldap
    source:
      type: ldap
      url: [$(cat "$dir/url")]
      bind_dn: $SERVICE_DN
      password_file: $dir/service.pw
      users:  { base: "ou=people,$SUFFIX", filter: "(objectClass=inetOrgPerson)" }
      groups: { base: "ou=groups,$SUFFIX", filter: "(objectClass=groupOfNames)" }
      page_size: 1000
      timeout: 30s${5:+
      incremental: $5}
    mapping: $mapping
    safety: { max_deletes: -1, max_delete_percent: -1, on_missing: deallocate }
YAML
}

[ $# -ge 2 ] || die "usage: slapd.sh start|stop|clean|config DIR [options]"
cmd=$1 dir=$2; shift 2
case $cmd in
start) cmd_start "$dir" "$@" ;;
stop) cmd_stop "$dir" ;;
clean) cmd_clean "$dir" ;;
config) [ $# -ge 1 ] || die "usage: slapd.sh config DIR MAPPING [STORE] [CAPACITY] [INCREMENTAL]"
	cmd_config "$dir" "$@" ;;
*) die "unknown command '$cmd'" ;;
esac
