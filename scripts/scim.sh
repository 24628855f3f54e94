#!/usr/bin/env bash
# Runs the SCIM 2.0 test server (tests/scim-server) on 127.0.0.1.
#   scim.sh start DIR [server options]   writes DIR/port, DIR/pid, DIR/server.log
#   scim.sh stop DIR                      stops it by its pid
#   scim.sh clean DIR                     stops it and removes DIR
# Installs the server's npm packages (from the committed lock file) when
# node_modules is missing.  The server picks a free port itself (listen on
# port 0) and reports it, so two tests never race for one.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/pidfile.sh"
srv=$here/../tests/scim-server
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: scim.sh start|stop|clean DIR [options]" >&2; exit 2; }
shift 2

install() {
	[ -d "$srv/node_modules/scimmy-routers" ] && return 0
	command -v npm >/dev/null || { echo "scim.sh: npm not found (make deps)" >&2; return 1; }
	(cd "$srv" && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1) ||
		(cd "$srv" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
}

stop() {
	stop_pid_file "$dir/pid"
}

start() {
	install
	mkdir -p "$dir"
	rm -f "$dir/port"
	node "$srv/server.js" "$@" >"$dir/server.out" 2>"$dir/server.log" &
	echo $! >"$dir/pid"
	# Rendering through SCIMMY takes ~0.35 ms per user: allow for 100k.
	local wait=${SCIM_START_TIMEOUT:-120} i
	for i in $(seq $((wait * 10))); do
		if grep -q '^listening ' "$dir/server.out" 2>/dev/null; then
			awk '/^listening /{print $2; exit}' "$dir/server.out" >"$dir/port"
			return 0
		fi
		kill -0 "$(cat "$dir/pid")" 2>/dev/null || break
		sleep 0.1
	done
	echo "scim.sh: server did not start: $(tail -n 3 "$dir/server.log" 2>/dev/null)" >&2
	stop
	return 1
}

case $cmd in
start) start "$@" ;;
stop) stop ;;
clean) stop; rm -rf "$dir" ;;
*) echo "usage: scim.sh start|stop|clean DIR [options]" >&2; exit 2 ;;
esac
