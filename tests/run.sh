#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole test suite (what `make check` runs after building):
#   1. unit tests of the SIP core (userspace, ASan + UBSan)
#   2. the libFuzzer harness for a bounded time (FUZZ_SECONDS, default 60)
#   3. sipkctl's command-line checks (no module needed)
#   4. the VM harness's own checks
#   5. the kernel selftests, in one VM boot: the real sipk.ko, network
#      namespaces, SIPp as UAC and UAS
#   6. the benchmark's smoke pass (bench/run.sh --smoke, one short VM
#      boot): every system (sipk, sipkd alone, Kamailio, IP forwarding)
#      delivers valid messages, the registrars (sipkd, Kamailio) complete
#      their REGISTERs with and without digest auth, the reports are
#      written; numbers from it are not results (build/bench/smoke/)
# Every suite prints KTAP; this script counts the result lines of all of
# them and ends with one line "N passed, N failed".
set -u
cd "$(dirname "$0")/.." || exit 1
TOP=$PWD
OUT=$TOP/build/test-logs
mkdir -p "$OUT"
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
export TOP

# boot the kernel the module was built for
if [ -z "${SIPK_VM_KERNEL:-}" ] && [ -f kmod/sipk.ko ]; then
	ver=$(modinfo -F vermagic kmod/sipk.ko 2>/dev/null | cut -d' ' -f1)
	[ -n "$ver" ] && [ -f "/boot/vmlinuz-$ver" ] &&
		export SIPK_VM_KERNEL=/boot/vmlinuz-$ver
fi

pass=0 fail=0 skip=0

# run_suite NAME CMD...: stream the suite's output, count its results
run_suite() {
	local name=$1 rc log
	shift
	log=$OUT/$name.log
	echo "# ==== suite: $name"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	local p f s
	p=$(grep -Ec '^ok [0-9]+' "$log" || true)
	s=$(grep -Ec '^ok [0-9]+.*# *SKIP' "$log" || true)
	f=$(grep -Ec '^not ok [0-9]+' "$log" || true)
	p=$((p - s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		# the suite died without saying which test failed
		echo "not ok - suite $name exited $rc"
		f=1
	fi
	echo "# suite $name: $p passed, $f failed, $s skipped"
	pass=$((pass + p))
	fail=$((fail + f))
	skip=$((skip + s))
}

run_suite unit bash tests/unit/run.sh
run_suite fuzz bash tests/fuzz/run.sh "$FUZZ_SECONDS"
[ -f tests/selftests/sipkctl_usage.sh ] && run_suite sipkctl bash tests/selftests/sipkctl_usage.sh
run_suite vm-harness bash tests/vm/selftest.sh
run_suite kernel tests/vm/vm-run --timeout 2400 -- bash tests/selftests/run_kernel.sh
run_suite bench bash bench/run.sh --smoke

[ "$skip" -gt 0 ] && echo "# $skip skipped"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
