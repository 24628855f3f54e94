# Shared helpers for tests/integration/*.sh (sourced, not run).
#
# Protocol (tests/run.sh): one "PASS name", "FAIL name: why" or
# "SKIP name: why" line per case.  A test never counts a skip as a pass.
#
#   hs_tmpdir            sets $HS_TMP to a fresh directory removed on exit
#   hs_on_exit CMD...    runs CMD at exit (before the directory goes)
#   pass NAME / fail NAME WHY / skip NAME WHY
#   assert_eq NAME EXPECTED ACTUAL      pass or fail with both values
#   assert_match NAME REGEX ACTUAL      same, for an extended regex
#   free_port            prints a TCP port free on 127.0.0.1 right now
#   hs_root              the repository root
#   hs_build_libhs       builds the libhs.a of $HS_BIN's build (make)
#   hs_cc OUT SRC...     compiles a test driver against it, same flags

HS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HS_EXIT_CMDS=()
HS_FAILED=0

hs_root() { printf '%s\n' "$HS_ROOT"; }

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1${2:+: $2}"; HS_FAILED=1; }
skip() { echo "SKIP $1: $2"; }

assert_eq() {	# name expected actual
	if [ "$2" == "$3" ]; then
		pass "$1"
	else
		fail "$1" "expected '$2', got '$3'"
	fi
}

assert_match() {	# name regex actual
	if [[ $3 =~ $2 ]]; then
		pass "$1"
	else
		fail "$1" "'$3' does not match /$2/"
	fi
}

hs_run_exit() {
	local i
	for ((i = ${#HS_EXIT_CMDS[@]} - 1; i >= 0; i--)); do
		eval "${HS_EXIT_CMDS[i]}" || true
	done
	[ -n "${HS_TMP:-}" ] && rm -rf "$HS_TMP"
	return 0
}
trap hs_run_exit EXIT
trap 'exit 130' INT TERM

hs_on_exit() { HS_EXIT_CMDS+=("$*"); }

hs_tmpdir() {
	HS_TMP=$(mktemp -d "${TMPDIR:-/tmp}/hs-test.XXXXXX")
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# The build directory of the binary under test: make asan runs the suite
# with HS_BIN in build-asan/, whose libhs.a is built with sanitizers.
hs_build_dir() {
	case ${HS_BIN:-} in
	*/build-asan/*) printf '%s\n' "$HS_ROOT/build-asan" ;;
	*) printf '%s\n' "$HS_ROOT/build" ;;
	esac
}

# Builds the library a driver links with.  Returns 1 with make's errors
# in $HS_TMP/make.err.
hs_build_libhs() {
	local b
	b=$(hs_build_dir)
	case $b in
	*/build-asan) [ -f "$b/libhs.a" ] || make -s -C "$HS_ROOT" \
		BUILD=build-asan CFLAGS="-O1 -g -fsanitize=address,undefined" \
		build-asan/libhs.a >/dev/null 2>"$HS_TMP/make.err" ;;
	*) make -s -C "$HS_ROOT" build/libhs.a >/dev/null 2>"$HS_TMP/make.err" ;;
	esac
}

hs_cc() {	# out src...
	local out=$1 b san=""; shift
	b=$(hs_build_dir)
	case $b in */build-asan) san="-O1 -g -fsanitize=address,undefined" ;; esac
	${CC:-cc} -std=c17 -Wall -Wextra -Werror -D_GNU_SOURCE \
		-I"$HS_ROOT/connector" ${san:--O2 -g} -o "$out" "$@" "$b/libhs.a" \
		-lldap -llber -lcurl -ljansson -lsqlite3 -lyaml -lm
}
