#!/usr/bin/env bash
# Runs harmony-sync under valgrind (memcheck): `make valgrind` points the
# integration tests' HS_BIN here.  Each run's report goes to
# $HS_VALGRIND_DIR/vg.PID.log; a memory error or a definite leak makes the
# run exit 99, which the tests see as a wrong exit code, and tests/run.sh
# checks the reports once more at the end.
set -u
here=$(cd "$(dirname "$0")" && pwd)
dir=${HS_VALGRIND_DIR:-${TMPDIR:-/tmp}}
exec valgrind --quiet --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite --show-leak-kinds=definite \
	--log-file="$dir/vg.%p.log" "$here/../harmony-sync" "$@"
