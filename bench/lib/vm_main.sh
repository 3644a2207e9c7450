#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench/lib/vm_main.sh - the benchmark proper, in one kernel (the VM that
# bench/run.sh boots, or a host that can load modules), as root.
#
# Writes raw results (sipload's JSON, SIPp's statistics, memory and timing
# records) into $BENCH_RAW; bench/report.py turns them into the table,
# the JSON and the plot.  Phases, every system in each:
#
#   calibrate  the load generator alone (baseline: one hop, no proxy)
#   ladder     delivered rate vs offered load, 1 k entries; a saturating
#              run with the uas answering every request (responses)
#   rounds     per round and system: idle proxy CPU, a fixed offered load
#              (CPU per message, latency), a saturating run; the report
#              takes medians over the rounds
#   sipp       SIPp calls through each system: the highest call rate with
#              < 0.1 % failed calls
#   register   systems with sys_reg_setup (registrars: sipkd, Kamailio):
#              REGISTERs/s for distinct AORs, without and with digest
#              auth (the load generator answers each 401)
#   scale      systems with SYS_SCALE=1: 1 k, 100 k, 1 M entries: bulk load
#              rate, kernel memory per entry, rate and cost per message
#
# Environment (bench/run.sh sets these): BENCH_RAW, BENCH_QUICK,
# BENCH_SYSTEMS, BENCH_ROUNDS, BENCH_LOAD, BENCH_SCALE, BENCH_DUR.
set -u
TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
RAW=${BENCH_RAW:?}
mkdir -p "$RAW"
# shellcheck source=common.sh
. "$TOP/bench/lib/common.sh"

QUICK=${BENCH_QUICK:-0}
SYSTEMS=${BENCH_SYSTEMS:-sipk kamailio ipfwd}
if [ "$QUICK" = 1 ]; then
	ROUNDS=${BENCH_ROUNDS:-1}
	SCALE=${BENCH_SCALE:-1000}
	DUR=${BENCH_DUR:-2}
	SIPP_DUR=2
	LONGER=0	# extra seconds of the fixed-load and idle windows
else
	ROUNDS=${BENCH_ROUNDS:-7}
	SCALE=${BENCH_SCALE:-1000 100000 1000000}
	DUR=${BENCH_DUR:-3}
	SIPP_DUR=3
	LONGER=2
fi
WARM=0.5
DRAIN=0.5
AORS=1000
export DUR WARM DRAIN AORS

phase() {
	say "---- $* ($(date +%T))"
	echo "{\"phase\": \"$1\", \"t\": $(date +%s)}" >>"$RAW/phases.jsonl"
}

# use SYS: load the plug-in (the baseline is bench/lib/baseline.sh)
use() {
	if [ "$1" = baseline ]; then
		unset -f $SYS_FUNCS sys_reg_setup sys_reg_password
		SYS_SINK_NS=sipk-uas SYS_SINK_ADDR=$UAS4:5060
		# shellcheck source=baseline.sh
		. "$TOP/bench/lib/baseline.sh"
	else
		sys_load "$1"
	fi
}

# setup SYS N: use and set up with N entries; a failure is recorded
setup() {
	use "$1" || return 1
	[ -f "$RAW/sys__$1.json" ] ||
		printf '{"name": "%s", "desc": "%s", "scale": %s}\n' "$1" "$SYS_DESC" \
			"${SYS_SCALE:-0}" >"$RAW/sys__$1.json"
	if ! sys_setup "$2"; then
		say "$1: setup failed"
		echo "{\"system\": \"$1\", \"error\": \"setup failed\"}" >>"$RAW/errors.jsonl"
		sys_teardown
		return 1
	fi
}

# a run that failed is kept as a record of the failure
load() {
	run_load "$@" || {
		say "run $1 failed"
		echo "{\"run\": \"$1\", \"error\": \"run failed\"}" >>"$RAW/errors.jsonl"
	}
}

# ---- the machine ----
vm_meta() {
	local model
	model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	cat >"$RAW/vm.json" <<EOF
{"kernel": "$(uname -r)", "nproc": $NCPU, "cpu_model": "$model",
 "mem_kb": $(sed -n 's/^MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo),
 "cpu_tx": $CPU_TX, "cpu_proxy": $CPU_PROXY, "cpu_rx": $CPU_RX,
 "quick": $QUICK, "rounds": $ROUNDS, "dur_s": $DUR, "warmup_s": $WARM,
 "systems": "$SYSTEMS", "scale": "$SCALE",
 "sipp": "$(sipp -v 2>&1 | sed -n 's/^ *\(SIPp v[^ ,-]*\).*/\1/p' | head -n 1)",
 "kamailio": "$(kamailio -v 2>/dev/null | sed -n 's/^version: //p' | head -n 1)"}
EOF
	say "VM: $(uname -r), $NCPU vCPUs ($model); CPU roles: sender $CPU_TX, proxy $CPU_PROXY, sink $CPU_RX"
}

# ---- SIPp ----

# sipp_run SYS RATE: one SIPp uac -> system -> SIPp uas run; 0 when the
# calls passed (< 0.1 % failed, all completed, rate kept)
sipp_run() {
	local sys=$1 rate=$2 calls=$(($2 * SIPP_DUR)) name=sipp__$1__r$2 rc
	local csv=$WORK/$name.csv
	rm -f "$csv"
	uas taskset -c "$CPU_RX" sipp -sn uas -i "$UAS4" -p 5060 -nostdin -bg \
		-default_behaviors all,-abortunexp -trace_err -error_file "$RAW/$name.uas.err" >/dev/null 2>&1
	# the uas must listen before the first INVITE
	for _ in $(seq 100); do
		uas ss -Hlun 2>/dev/null | grep -q "$UAS4:5060" && break
		sleep 0.05
	done
	uac taskset -c "$CPU_TX" timeout $((SIPP_DUR + 60)) sipp -sn uac \
		"$(sys_target)" -s uas -i "$UAC4" -p 5062 -r "$rate" -m "$calls" \
		-l $((rate * 4 + 50)) -nostdin -recv_timeout 5000 \
		-default_behaviors all,-abortunexp \
		-timeout $((SIPP_DUR + 45))s -max_recv_loops 1000 \
		-trace_stat -stf "$csv" -fd 1 -trace_err -error_file "$RAW/$name.uac.err" \
		>"$WORK/$name.out" 2>&1
	rc=$?
	ip netns pids sipk-uas | xargs -r kill 2>/dev/null
	for _ in $(seq 100); do
		[ -z "$(ip netns pids sipk-uas)" ] && break
		sleep 0.05
	done
	# keep the error logs only when something went wrong
	[ -s "$RAW/$name.uac.err" ] || rm -f "$RAW/$name.uac.err"
	[ -s "$RAW/$name.uas.err" ] || rm -f "$RAW/$name.uas.err"
	# the last statistics line, by column name
	awk -F';' -v rate="$rate" -v calls="$calls" -v rc="$rc" -v sys="$sys" '
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		{ last = $0 }
		END {
			n = split(last, f, ";")
			ok = f[col["SuccessfulCall(C)"]] + 0
			bad = f[col["FailedCall(C)"]] + 0
			cr = f[col["CallRate(C)"]] + 0
			rt = f[col["Retransmissions(C)"]] + 0
			printf "{\"system\": \"%s\", \"rate\": %d, \"calls\": %d, \"successful\": %d, \"failed\": %d, \"call_rate\": %.2f, \"retransmissions\": %d, \"sipp_exit\": %d}\n", sys, rate, calls, ok, bad, cr, rt, rc
		}' "$csv" >"$RAW/$name.json" 2>/dev/null ||
		echo "{\"system\": \"$sys\", \"rate\": $rate, \"calls\": $calls, \"successful\": 0, \"failed\": $calls, \"call_rate\": 0, \"retransmissions\": 0, \"sipp_exit\": $rc}" >"$RAW/$name.json"
	sipp_pass "$RAW/$name.json" "$calls" "$rate"
}

# sipp_pass JSON CALLS RATE: did the run pass (no python: slow in the VM)
sipp_pass() {
	local ok bad cr
	ok=$(jnum "$1" successful)
	bad=$(jnum "$1" failed)
	cr=$(jnum "$1" call_rate)
	[ -n "$ok" ] && [ -n "$bad" ] || return 1
	# failed < 0.1 %, every call done, at >= 90 % of the asked rate
	[ $((bad * 1000)) -lt $((ok + bad)) ] && [ $((ok + bad)) -ge "$2" ] &&
		awk -v c="$cr" -v r="$3" 'BEGIN { exit !(c >= 0.9 * r) }'
}

# sipp_ladder SYS: double the rate until a run fails, then one step between
sipp_ladder() {
	local sys=$1 rate=${BENCH_SIPP_START:-50} good=0 bad=0 max=${BENCH_SIPP_MAX:-6400}
	if [ "$QUICK" = 1 ]; then
		sipp_run "$sys" 20
		return 0
	fi
	while [ "$rate" -le "$max" ]; do
		if sipp_run "$sys" "$rate"; then
			good=$rate
			rate=$((rate * 2))
		else
			bad=$rate
			break
		fi
	done
	# two bisection steps between the last rate that passed and the first
	# that failed
	for _ in 1 2; do
		[ "$bad" -gt 0 ] && [ "$good" -gt 0 ] || break
		rate=$(((good + bad) / 2))
		if sipp_run "$sys" "$rate"; then good=$rate; else bad=$rate; fi
	done
}

# ---- memory (scale) ----

# kmem FILE: the kernel's unreclaimable slab and vmalloc, and slabinfo
kmem() {
	{
		grep -E '^(MemFree|Slab|SReclaimable|SUnreclaim|VmallocUsed|Percpu):' /proc/meminfo
		awk 'NR > 2 { print "slab:" $1 ": " $2 * $4 }' /proc/slabinfo
	} >"$1"
}

# ================================================================
vm_meta
bench_isolate
bench_topo_up || { say "topology failed"; exit 1; }
host_calibrate
# the SIP core's speed here, against the host's (bench/run.sh): the TCG factor
taskset -c "$CPU_PROXY" "$TOP/build/bench/coreprof" 20000 >"$RAW/coreprof.vm.txt" 2>&1

# ---- calibrate: what the load generator does without a proxy ----
phase calibrate
setup baseline 0
load cal__baseline__sat 0
[ "$QUICK" = 1 ] || load cal__baseline__sat2 0
sys_teardown
SMAX=0
for c in cal__baseline__sat cal__baseline__sat2; do
	r=$(delivered $c)
	r=${r%.*}
	[ "${r:-0}" -gt "$SMAX" ] && SMAX=$r
done
[ -n "$SMAX" ] && [ "$SMAX" -gt 0 ] || SMAX=10000
say "load generator: $SMAX msgs/s one hop"

# ---- ladder: delivered vs offered, and a saturating run with responses ----
phase ladder
if [ "$QUICK" = 1 ]; then
	FRACTIONS=""
else
	FRACTIONS="64 32 16 8 4 2"	# SMAX / N, then unlimited
fi
for sys in $SYSTEMS; do
	setup "$sys" "$AORS" || continue
	for f in $FRACTIONS; do
		load "ladder__${sys}__r$((SMAX / f))" $((SMAX / f))
	done
	load "ladder__${sys}__max" 0
	load "resp__${sys}__max" 0 1
	sys_stats >"$RAW/stats__${sys}__ladder.json" 2>/dev/null
	sys_teardown
done

# the fixed offered load: half of what the slowest system delivers when
# the sender goes as fast as it can (below its ladder peak: a proxy that is
# swamped loses some of its CPU to receiving what it then drops)
if [ -n "${BENCH_LOAD:-}" ]; then
	LOAD=$BENCH_LOAD
else
	LOAD=
	for sys in $SYSTEMS; do
		r=$(delivered "ladder__${sys}__max")
		r=${r%.*}
		[ "${r:-0}" -gt 0 ] || continue
		if [ -z "$LOAD" ] || [ $((r / 2)) -lt "$LOAD" ]; then
			LOAD=$((r / 2))
		fi
	done
	LOAD=${LOAD:-500}
	[ "$LOAD" -ge 100 ] || LOAD=100
fi
echo "{\"load\": $LOAD, \"smax\": $SMAX}" >"$RAW/load.json"
say "fixed offered load: $LOAD msgs/s"

# ---- rounds: idle, fixed load, saturation; interleaved over systems ----
for r in $(seq "$ROUNDS"); do
	phase "round $r"
	for sys in baseline $SYSTEMS; do
		setup "$sys" "$AORS" || continue
		sleep 0.5
		DUR=$((DUR + LONGER)) load "idle__${sys}__${r}" 0.001
		DUR=$((DUR + LONGER)) load "fixed__${sys}__${r}" "$LOAD"
		[ "$sys" = baseline ] || load "sat__${sys}__${r}" 0
		sys_teardown
	done
done

# ---- SIPp calls ----
phase sipp
for sys in $SYSTEMS; do
	setup "$sys" "$AORS" || continue
	sys_add_aor uas || say "$sys: cannot add the AOR uas"
	sipp_ladder "$sys"
	sys_teardown
done

# ---- register: the registrars, without and with digest auth ----
phase register
if [ "$QUICK" = 1 ]; then
	REG_N=${BENCH_REG_N:-2000}
	REG_ROUNDS=1
else
	REG_N=${BENCH_REG_N:-20000}
	REG_ROUNDS=3
fi
for r in $(seq "$REG_ROUNDS"); do
	for sys in $SYSTEMS; do
		use "$sys" || continue
		declare -F sys_reg_setup >/dev/null || continue
		[ -f "$RAW/sys__$sys.json" ] ||
			printf '{"name": "%s", "desc": "%s", "scale": %s}\n' "$sys" "$SYS_DESC" \
				"${SYS_SCALE:-0}" >"$RAW/sys__$sys.json"
		for auth in 0 1; do
			name=reg__${sys}__a${auth}__$r
			if ! sys_reg_setup "$auth" "$REG_N"; then
				say "$sys: registrar setup failed"
				echo "{\"run\": \"$name\", \"error\": \"setup failed\"}" >>"$RAW/errors.jsonl"
				sys_teardown
				continue
			fi
			pw=
			[ "$auth" = 1 ] && pw="--password $(sys_reg_password)"
			# shellcheck disable=SC2086
			uac taskset -c "$CPU_TX" "$SIPLOAD" register --src "$UAC4:5091" \
				--dst "$(sys_target)" --count "$REG_N" --aor-host "$PX4" \
				--contact-host "$UAS4:5060" $pw --json "$RAW/$name.json" >/dev/null ||
				say "run $name: not every REGISTER got its 200"
			sys_teardown
		done
	done
done

# ---- scale: location tables of 1 k .. 1 M entries ----
phase scale
for sys in $SYSTEMS; do
	use "$sys" || continue
	[ "$SYS_SCALE" = 1 ] || continue
	setup "$sys" 0 || continue
	sleep 1
	kmem "$RAW/mem__${sys}__0.txt"
	have=0
	for n in $SCALE; do
		[ "$n" -gt "$have" ] || continue
		sys_batch "$have" $((n - have)) "$WORK/scale.batch"
		t0=$(date +%s%N)
		sys_bulk_load "$WORK/scale.batch" >"$WORK/scale.out" 2>&1
		lrc=$?
		t1=$(date +%s%N)
		rm -f "$WORK/scale.batch"
		sleep 2		# RCU frees, rhashtable resizes settle
		kmem "$RAW/mem__${sys}__$n.txt"
		echo "{\"system\": \"$sys\", \"entries\": $n, \"loaded\": $((n - have)), \"ns\": $((t1 - t0)), \"exit\": $lrc, \"entries_now\": \"$(sys_entries 2>/dev/null)\"}" \
			>"$RAW/bulk__${sys}__$n.json"
		have=$n
		AORS=$n DUR=$((DUR + LONGER)) load "scale__${sys}__${n}__idle" 0.001
		AORS=$n DUR=$((DUR + LONGER)) load "scale__${sys}__${n}__fixed" "$LOAD"
		AORS=$n load "scale__${sys}__${n}__sat" 0
		[ "$QUICK" = 1 ] ||
			AORS=$n DUR=$((DUR + LONGER)) load "scale__${sys}__${n}__fixed2" "$LOAD"
	done
	sys_stats >"$RAW/stats__${sys}__scale.json" 2>/dev/null
	sys_teardown
done

phase finished
bench_topo_down
kernel_clean || say "kernel log shows a problem"
exit 0
