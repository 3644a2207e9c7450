#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench/tools/ftrace_vm.sh - in the VM (bench/profile.sh boots it): the
# function_graph tracer on the proxy's CPU while a system is saturated.
# perf's sampling does not work under TCG (its hrtimer samples land in
# the idle loop), so the kernel side is profiled by tracing.
#   SYSTEM FUNC DEPTH OUTFILE
set -u
TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
RAW=${BENCH_RAW:?}
mkdir -p "$RAW"
# shellcheck source=../lib/common.sh
. "$TOP/bench/lib/common.sh"
sys=$1 func=$2 depth=$3 out=$4
T=/sys/kernel/tracing
bench_isolate
bench_topo_up || exit 1
sys_load "$sys" && sys_setup 1000 || exit 1
echo nop >$T/current_tracer
: >$T/set_ftrace_filter
echo "$func" >$T/set_graph_function || { echo "cannot trace $func" >&2; exit 1; }
echo "$depth" >$T/max_graph_depth
cpumask "$CPU_PROXY" >$T/tracing_cpumask
echo 8192 >$T/buffer_size_kb
echo function_graph >$T/current_tracer
echo 0 >$T/tracing_on
(
	sleep 1.5
	echo >$T/trace
	echo 1 >$T/tracing_on
	sleep 1
	echo 0 >$T/tracing_on
) &
DUR=2 run_load "profile__$sys" 0
wait
cat "$T/per_cpu/cpu$CPU_PROXY/trace" >"$out"
echo nop >$T/current_tracer
say "$sys: delivered $(delivered "profile__$sys") req/s while tracing $func (depth $depth)"
sys_teardown
bench_topo_down
