# Sourced by the server scripts (slapd.sh, samba.sh, scim.sh): the one way
# they check and stop the process a pid file names.

# proc_alive PID: 0 if PID is a running process.  A killed daemon whose
# parent (a container's init) does not reap it stays a zombie, which
# kill -0 still finds: that one is dead.
proc_alive() {
	local state
	kill -0 "$1" 2>/dev/null || return 1
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 0
	[ "$state" != Z ]
}

# pid_file_alive FILE: 0 if FILE names a running process.
pid_file_alive() {
	local pid
	[ -s "$1" ] || return 1
	pid=$(cat "$1")
	[ -n "$pid" ] && proc_alive "$pid"
}

# stop_pid_file FILE: SIGTERM, up to 10 s for it to go, then SIGKILL;
# removes FILE.  Never touches any process but the one FILE names.
stop_pid_file() {
	local pid
	[ -s "$1" ] || { rm -f "$1"; return 0; }
	pid=$(cat "$1")
	if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
		for _ in $(seq 1 100); do
			proc_alive "$pid" || break
			sleep 0.1
		done
		if proc_alive "$pid"; then
			kill -9 "$pid" 2>/dev/null || true
		fi
	fi
	rm -f "$1"
	return 0
}
