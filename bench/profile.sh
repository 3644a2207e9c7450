#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/profile.sh - where the proxy's time goes, kernel side and SIP core.
#
#   bash bench/profile.sh [SYSTEM [FUNCTION [DEPTH]]]
#       boots the bench VM, saturates SYSTEM (default sipk) and traces
#       FUNCTION (default sipk_hook_v4; ip_rcv for ipfwd) with the
#       function_graph tracer to DEPTH (default 3) on the proxy's CPU;
#       prints the call tree with average inclusive times
#   bash bench/profile.sh core
#       the SIP core in userspace under callgrind (bench/coreprof.c):
#       instructions per function for one request and one response
set -u
cd "$(dirname "$0")/.." || exit 1
TOP=$PWD
export TOP
make -s -C userspace >/dev/null && make -s -C bench >/dev/null || exit 1
if [ "${1:-}" = core ]; then
	command -v valgrind >/dev/null || { echo "profile: valgrind not installed" >&2; exit 1; }
	valgrind --tool=callgrind --callgrind-out-file=build/bench/callgrind.out \
		build/bench/coreprof 20000 2>&1 | grep -E 'refs|coreprof'
	callgrind_annotate --auto=no build/bench/callgrind.out | sed -n '/file:function/,$p' | head -30
	echo "(20000 requests + 20000 responses; divide by 20000 for one of each;"
	echo " callgrind_annotate --auto=yes build/bench/callgrind.out for the lines)"
	exit 0
fi
sys=${1:-sipk}
if [ "$sys" = ipfwd ]; then def=ip_rcv; else def=sipk_hook_v4; fi
func=${2:-$def}
depth=${3:-3}
if [ -z "${SIPK_VM_KERNEL:-}" ] && [ -f kmod/sipk.ko ]; then
	ver=$(modinfo -F vermagic kmod/sipk.ko 2>/dev/null | cut -d' ' -f1)
	[ -n "$ver" ] && [ -f "/boot/vmlinuz-$ver" ] && export SIPK_VM_KERNEL=/boot/vmlinuz-$ver
fi
export SIPK_VM_SCRATCH=$TOP/build/vm-scratch-bench
mkdir -p "$SIPK_VM_SCRATCH"
out=$SIPK_VM_SCRATCH/trace-$sys.txt
tests/vm/vm-run --cpus "${BENCH_CPUS:-3}" --mem "${BENCH_MEM:-3072}" --timeout 600 \
	--env BENCH_RAW="$SIPK_VM_SCRATCH/profile" \
	-- bash bench/tools/ftrace_vm.sh "$sys" "$func" "$depth" "$out" || exit 1
python3 bench/tools/ftrace_report.py "$out"
