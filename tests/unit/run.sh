#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/unit/run.sh - run the SIP core's unit tests (make -C tests first).
#
# Each test binary prints KTAP, passed through as it comes.  The last line
# is a machine-readable summary of the result lines of all of them:
#   # unit: N passed, N failed
# The exit status is non-zero when anything failed, a binary is missing,
# or a binary exited non-zero without reporting a failed test.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=${TOP:-$(cd "$HERE/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
TESTS="test_siphash test_rfc4475 test_golden test_hostile"

# sanitizer reports end the test that hit them, with a stack trace
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
: "${SIPK_TESTDATA:=$TOP/../shared/testdata}"
export SIPK_TESTDATA

log=$(mktemp)
trap 'rm -f "$log"' EXIT
pass=0 fail=0

for t in $TESTS; do
	bin=$BUILD/tests/$t
	echo "# ---- $t"
	if [ ! -x "$bin" ]; then
		echo "not ok 1 $t # $bin is missing: make -C tests"
		fail=$((fail + 1))
		continue
	fi
	"$bin" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	p=$(grep -Ec '^ok [0-9]+' "$log")
	f=$(grep -Ec '^not ok [0-9]+' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok $((p + 1)) $t # exited $rc without a failed test"
		f=1
	fi
	pass=$((pass + p))
	fail=$((fail + f))
done

echo "# unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
