# SPDX-License-Identifier: GPL-2.0
# bench/lib/common.sh - helpers of the benchmark, sourced inside the VM
# (or on a host that can load modules), as root, by bench/lib/vm_main.sh.
#
# Topology: tests/selftests/lib.sh's  uac -- proxy -- uas  namespaces.
# CPU roles, so that the proxy under test has a CPU of its own and its
# cost can be read from that CPU's line of /proc/stat:
#
#   CPU_TX     the sender (sipload send) and the responses it receives
#   CPU_PROXY  everything in the proxy namespace: RPS steers the receive
#              softirq of its two veths there (sipk.ko, IP forwarding run
#              in that softirq), and Kamailio's processes are pinned there
#   CPU_RX     the sink (sipload sink) and the requests it receives
#
# With 2 vCPUs CPU_TX and CPU_RX are both CPU 0; with 3 or more, the sink
# has its own.
WORK=${WORK:-$(mktemp -d /tmp/sipk-bench.XXXXXX)}
# shellcheck source=../../tests/selftests/lib.sh
. "$TOP/tests/selftests/lib.sh"
SIPLOAD=${SIPLOAD:-$TOP/build/bench/sipload}
RAW=${RAW:?}

NCPU=$(nproc)
CPU_TX=0
CPU_PROXY=1
CPU_RX=0
[ "$NCPU" -ge 3 ] && CPU_RX=2
[ "$NCPU" -ge 2 ] || CPU_PROXY=0

say() { echo "bench: $*" >&2; }

# Keep everything else off the proxy's CPU, so that what runs there is the
# proxy: this shell and its children, and the device interrupts (9p,
# console).  Kernel threads bound to the CPU (timers, RCU) stay.
bench_isolate() {
	local c others="" mask=0 f
	for c in $(seq 0 $((NCPU - 1))); do
		[ "$c" = "$CPU_PROXY" ] && [ "$NCPU" -gt 1 ] && continue
		others="${others:+$others,}$c"
		mask=$((mask | (1 << c)))
	done
	taskset -p -c "$others" $$ >/dev/null
	printf '%x' "$mask" >/proc/irq/default_smp_affinity 2>/dev/null
	for f in /proc/irq/*/smp_affinity; do
		printf '%x' "$mask" >"$f" 2>/dev/null
	done
	return 0
}

cpumask() { printf '%x' $((1 << $1)); }

# rps NS DEV CPU: the receive softirq of DEV runs on CPU
rps() {
	ip netns exec "$1" sh -c "echo $(cpumask "$3") > /sys/class/net/$2/queues/rx-0/rps_cpus"
}

bench_topo_up() {
	topo_up || return 1
	sysctl -qw net.core.rmem_max=33554432 net.core.wmem_max=33554432
	sysctl -qw net.core.netdev_max_backlog=10000
	rps sipk-proxy a-px "$CPU_PROXY" && rps sipk-proxy b-px "$CPU_PROXY" &&
		rps sipk-uac a-uac "$CPU_TX" && rps sipk-uas b-uas "$CPU_RX"
}

bench_topo_down() { topo_down; }

# ---- host-side CPU accounting (bench/lib/hostmon.py) ----
#
# The guest counts time a vCPU thread was descheduled on the host as busy;
# the host's schedstat of the vCPU threads does not.  When bench/run.sh
# runs hostmon.py, host_sample NAME stores the run time of every QEMU
# thread in $RAW/NAME.host.json.
HOSTCTL=${SIPK_VM_SCRATCH:+$SIPK_VM_SCRATCH/ctl}

host_sample() {
	[ -n "$HOSTCTL" ] && [ -e "$HOSTCTL/hostmon.ready" ] || return 0
	local i
	# 9p may refuse a create racing with the host's rename in the same dir
	for i in 1 2 3 4 5; do
		: 2>/dev/null >"$HOSTCTL/req.$1" && break
		sleep 0.01
	done
	if "$SIPLOAD" wait "$HOSTCTL/ack.$1" 3; then
		mv "$HOSTCTL/ack.$1" "$RAW/$1.host.json"
		return 0
	fi
	rm -f "$HOSTCTL/req.$1"
	return 1
}

# host_calibrate: which QEMU thread is which vCPU, from a busy loop on
# each CPU in turn (bench/report.py reads the samples)
host_calibrate() {
	local c
	[ -n "$HOSTCTL" ] && [ -e "$HOSTCTL/hostmon.ready" ] || return 0
	for c in $(seq 0 $((NCPU - 1))); do
		host_sample "calib__cpu$c.0"
		taskset -c "$c" timeout 1.5 sh -c 'while :; do :; done'
		host_sample "calib__cpu$c.1"
	done
}

# ---- JSON fields from sipload's output (flat, numeric) ----

# jnum FILE KEY [N]: the Nth (default 1st) number after "KEY":
jnum() {
	grep -o "\"$2\": *-\?[0-9.]*" "$1" 2>/dev/null | sed -n "${3:-1}p" |
		sed 's/.*: *//'
}

# ---- systems (plug-ins) ----

SYS_FUNCS="sys_setup sys_teardown sys_add_aor sys_target sys_sink_expect sys_resp_src sys_stats"

# sys_load NAME: source bench/systems/NAME.sh, checking its interface
sys_load() {
	local f
	unset -f $SYS_FUNCS sys_batch sys_bulk_load sys_entries sys_reg_setup \
		sys_reg_password
	SYS_NAME='' SYS_DESC='' SYS_SCALE=0 SYS_SINK_NS=sipk-uas SYS_SINK_ADDR=$UAS4:5060
	# shellcheck disable=SC1090
	. "$TOP/bench/systems/$1.sh" || return 1
	for f in $SYS_FUNCS; do
		declare -F "$f" >/dev/null || { say "$1: plug-in lacks $f"; return 1; }
	done
	[ "$SYS_NAME" = "$1" ] || { say "$1: SYS_NAME is '$SYS_NAME'"; return 1; }
}

# ---- one measurement ----
#
# run_load NAME RATE [RESP]: sender -> system -> sink for one window.
#   NAME   file prefix under $RAW (NAME.send.json, NAME.sink.json)
#   RATE   offered messages/s, 0: as fast as the sender goes
#   RESP   1: the sink answers every request with a 200 (responses flow back)
# Environment: AORS (location entries the Request-URIs spread over),
# DUR, WARM, DRAIN (seconds).
run_load() {
	local name=$1 rate=$2 resp=${3:-0} t0 sp tp w0 w1 i rc=0
	local win sinkopt="" sendopt="" go=$WORK/go.$name
	win="--warmup ${WARM:-0.5} --duration ${DUR:-3} --drain ${DRAIN:-0.5} --go $go"
	if [ "$resp" = 1 ]; then
		sinkopt="--respond"
		sendopt="--responses --resp-src $(sys_resp_src)"
	fi
	rm -f "$RAW/$name.send.json" "$RAW/$name.sink.json" "$go" "$WORK"/ready.*
	# shellcheck disable=SC2046,SC2086
	ip netns exec "$SYS_SINK_NS" taskset -c "$CPU_RX" "$SIPLOAD" sink \
		--bind "$SYS_SINK_ADDR" $(sys_sink_expect) $sinkopt $win \
		--ready "$WORK/ready.sink" --dump "$RAW/$name.invalid.txt" \
		--json "$RAW/$name.sink.json" &
	sp=$!
	# shellcheck disable=SC2046,SC2086
	uac taskset -c "$CPU_TX" "$SIPLOAD" send --src "$UAC4:5061" \
		--dst "$(sys_target)" --rate "$rate" --aors "${AORS:-1000}" \
		$sendopt $win --ready "$WORK/ready.send" \
		--json "$RAW/$name.send.json" &
	tp=$!
	# both set up (slow to start on a busy host), then one start time
	for i in $(seq 600); do
		[ -e "$WORK/ready.sink" ] && [ -e "$WORK/ready.send" ] && break
		sleep 0.05
	done
	t0=$(($("$SIPLOAD" now) + ${START_DELAY_NS:-300000000}))
	echo "$t0" >"$go.tmp" && mv "$go.tmp" "$go"
	# the host's view of the same window
	if [ -n "$HOSTCTL" ] && [ -e "$HOSTCTL/hostmon.ready" ]; then
		w0=$((t0 + $(awk -v w="${WARM:-0.5}" 'BEGIN { printf "%d", w * 1e9 }')))
		w1=$((w0 + $(awk -v w="${DUR:-3}" 'BEGIN { printf "%d", w * 1e9 }')))
		"$SIPLOAD" at "$w0"
		host_sample "$name.h0"
		"$SIPLOAD" at "$w1"
		host_sample "$name.h1"
	fi
	wait "$tp" || rc=1
	wait "$sp" || rc=1
	rm -f "$go"
	return $rc
}

# delivered NAME: requests/s the sink counted as valid, from the window
delivered() { jnum "$RAW/$1.sink.json" rate; }
offered() { jnum "$RAW/$1.send.json" offered; }
