# Sourced by the server scripts (slapd.sh, samba.sh, scim.sh): the one way
# they check and stop the process a pid file names.

# pid_file_alive FILE: 0 if FILE names a running process.
pid_file_alive() {
	local pid
	[ -s "$1" ] || return 1
	pid=$(cat "$1")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# stop_pid_file FILE: SIGTERM, up to 10 s for it to go, then SIGKILL;
# removes FILE.  Never touches any process but the one FILE names.
stop_pid_file() {
	local pid
	[ -s "$1" ] || { rm -f "$1"; return 0; }
	pid=$(cat "$1")
	if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
		for _ in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			kill -9 "$pid" 2>/dev/null || true
		fi
	fi
	rm -f "$1"
	return 0
}
