#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/run.sh - the sipk benchmark in one command (what `make bench` runs).
#
#   bash bench/run.sh            full run (~15 min under TCG): results in
#                                bench/results/latest.{md,json}, rate_vs_load.png
#   BENCH_QUICK=1 bash bench/run.sh
#                                one short pass per system, 1 k entries only;
#                                results in build/bench/quick/
#   bash bench/run.sh --smoke    the quick pass as a KTAP test (CI): each system
#                                delivered valid messages, outputs written;
#                                results in build/bench/smoke/
#
# Options: --smoke, --quick, --out DIR, --systems "sipk sipkd kamailio ipfwd"
# Environment:
#   BENCH_SYSTEMS   plug-ins of bench/systems/ to run (default: sipk kamailio
#                   ipfwd, then any other plug-in found there)
#   BENCH_CPUS      vCPUs of the VM (default 3: sender, proxy, sink)
#   BENCH_MEM       VM memory in MB (default 3072)
#   BENCH_ROUNDS    repetitions of the idle/fixed-load/saturation runs (7)
#   BENCH_LOAD      the fixed offered load in msgs/s (default: half of what
#                   the slowest system delivers under a saturating sender)
#   BENCH_SCALE     location table sizes (default "1000 100000 1000000")
#   BENCH_DUR       seconds of each measurement window (default 3)
#   BENCH_REG_N     AORs per registration run (default 20000; quick 2000,
#                   smoke 500)
# Runs in the VM harness (tests/vm/vm-run) with its own scratch directory,
# build/vm-scratch-bench, so that it can run beside other VM users.
set -u
cd "$(dirname "$0")/.." || exit 1
TOP=$PWD
export TOP

SMOKE=0
QUICK=${BENCH_QUICK:-0}
OUT=
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) SMOKE=1 QUICK=1 BENCH_REG_N=${BENCH_REG_N:-500} ;;
	--quick) QUICK=1 ;;
	--out) OUT=$2; shift ;;
	--systems) BENCH_SYSTEMS=$2; shift ;;
	-h|--help) sed -n '3,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
	shift
done
if [ -z "$OUT" ]; then
	if [ "$SMOKE" = 1 ]; then
		OUT=$TOP/build/bench/smoke
	elif [ "$QUICK" = 1 ]; then
		OUT=$TOP/build/bench/quick
	else
		OUT=$TOP/bench/results
	fi
fi
case $OUT in /*) ;; *) OUT=$TOP/$OUT ;; esac

# the plug-ins: the three of the issue first, then any other one
if [ -z "${BENCH_SYSTEMS:-}" ]; then
	BENCH_SYSTEMS="sipk kamailio ipfwd"
	for f in bench/systems/*.sh; do
		n=$(basename "$f" .sh)
		case " $BENCH_SYSTEMS " in *" $n "*) ;; *) BENCH_SYSTEMS="$BENCH_SYSTEMS $n" ;; esac
	done
fi

say() { echo "bench: $*" >&2; }
die() { say "error: $*"; exit 1; }

# ---- KTAP (smoke) ----
KTAP_N=0 KTAP_FAILED=0
ok() { KTAP_N=$((KTAP_N + 1)); echo "ok $KTAP_N - $*"; }
not_ok() { KTAP_N=$((KTAP_N + 1)); KTAP_FAILED=$((KTAP_FAILED + 1)); echo "not ok $KTAP_N - $*"; }
[ "$SMOKE" = 1 ] && echo "TAP version 13"

# ---- build and check what the run needs ----
for t in qemu-system-x86_64 sipp kamailio gnuplot python3 taskset; do
	command -v "$t" >/dev/null 2>&1 || die "$t not found: run 'make deps'"
done
make -s -C userspace >/dev/null || die "building userspace failed"
make -s -C bench >/dev/null || die "building bench/ failed"
if [ ! -f kmod/sipk.ko ]; then
	make -s kmod >/dev/null || die "building kmod failed"
fi

# boot the kernel the module was built for (as tests/run.sh does)
if [ -z "${SIPK_VM_KERNEL:-}" ]; then
	ver=$(modinfo -F vermagic kmod/sipk.ko 2>/dev/null | cut -d' ' -f1)
	[ -n "$ver" ] && [ -f "/boot/vmlinuz-$ver" ] && export SIPK_VM_KERNEL=/boot/vmlinuz-$ver
fi

# ---- the machine, the kernel, the commit ----
CPUS=${BENCH_CPUS:-3}
MEM=${BENCH_MEM:-3072}
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- kmod userspace include bench 2>/dev/null || COMMIT="$COMMIT+dirty"
HOST_CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
say "machine: $(nproc) CPUs ($HOST_CPU), $(awk '/MemTotal/ { printf "%d MB", $2 / 1024 }' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg)"
say "kernel: host $(uname -r), VM ${SIPK_VM_KERNEL:-newest /boot/vmlinuz-*} ($CPUS vCPUs, TCG)"
KO=${SIPK_KO:-$TOP/kmod/sipk.ko}
say "commit: $COMMIT; module $KO (sha1 $(sha1sum "$KO" 2>/dev/null | cut -c1-12))"
say "systems: $BENCH_SYSTEMS; output: $OUT"

export SIPK_VM_SCRATCH=$TOP/build/vm-scratch-bench
RAW=$SIPK_VM_SCRATCH/raw
rm -rf "$RAW"
mkdir -p "$RAW" "$OUT"
cat >"$RAW/host.json" <<EOF
{"host_nproc": $(nproc), "host_cpu": "$HOST_CPU", "host_kernel": "$(uname -r)",
 "host_mem_mb": $(awk '/MemTotal/ { printf "%d", $2 / 1024 }' /proc/meminfo),
 "commit": "$COMMIT", "module": "$KO", "module_sha1": "$(sha1sum "$KO" 2>/dev/null | cut -c1-12)",
 "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
 "loadavg_start": "$(cut -d' ' -f1-3 /proc/loadavg)", "vcpus": $CPUS,
 "command": "$([ "$SMOKE" = 1 ] && echo 'bash bench/run.sh --smoke' || { [ "$QUICK" = 1 ] && echo 'BENCH_QUICK=1 make bench' || echo 'make bench'; })"}
EOF

if [ "$QUICK" = 1 ]; then TIMEOUT=900; else TIMEOUT=5400; fi
# the SIP core natively, for the TCG factor (the VM runs the same)
build/bench/coreprof 200000 >"$RAW/coreprof.host.txt" 2>&1

# the host's CPU accounting of the VM's vCPU threads, while it runs
python3 bench/lib/hostmon.py "$SIPK_VM_SCRATCH" &
HOSTMON=$!
trap 'kill $HOSTMON 2>/dev/null' EXIT
start=$(date +%s)
say "booting the VM (log: $SIPK_VM_SCRATCH/bench.log)"
tests/vm/vm-run --cpus "$CPUS" --mem "$MEM" --timeout "$TIMEOUT" \
	--env BENCH_RAW="$RAW" --env BENCH_QUICK="$QUICK" \
	--env BENCH_SYSTEMS="$BENCH_SYSTEMS" \
	--env BENCH_ROUNDS="${BENCH_ROUNDS:-}" --env BENCH_LOAD="${BENCH_LOAD:-}" \
	--env BENCH_SCALE="${BENCH_SCALE:-}" --env BENCH_DUR="${BENCH_DUR:-}" \
	--env BENCH_REG_N="${BENCH_REG_N:-}" \
	-- bash bench/lib/vm_main.sh 2>&1 | tee "$SIPK_VM_SCRATCH/bench.log" | sed -u 's/^/  /' >&2
vmrc=${PIPESTATUS[0]}
elapsed=$(($(date +%s) - start))
: >"$SIPK_VM_SCRATCH/ctl/stop"
wait "$HOSTMON" 2>/dev/null
say "VM finished with status $vmrc after ${elapsed} s"
printf '{"elapsed_s": %d, "vm_exit": %d, "loadavg_end": "%s"}\n' "$elapsed" "$vmrc" \
	"$(cut -d' ' -f1-3 /proc/loadavg)" >"$RAW/end.json"
[ "$SMOKE" = 1 ] && { [ "$vmrc" = 0 ] && ok "bench smoke: the VM run completed in ${elapsed} s" ||
	not_ok "bench smoke: the VM run exited $vmrc"; }

# ---- the report ----
python3 bench/report.py --raw "$RAW" --out "$OUT"
rrc=$?
if [ "$rrc" -eq 0 ] && [ -f "$OUT/rate_vs_load.gp" ]; then
	(cd "$OUT" && gnuplot rate_vs_load.gp) || rrc=1
fi
[ "$rrc" -eq 0 ] || say "report failed"
[ -f "$OUT/latest.md" ] && [ "$SMOKE" = 0 ] && cat "$OUT/latest.md"

if [ "$SMOKE" = 1 ]; then
	for sys in $BENCH_SYSTEMS; do
		line=$(python3 bench/report.py --check "$OUT/latest.json" "$sys" 2>&1)
		if [ $? -eq 0 ]; then ok "bench smoke: $line"; else not_ok "bench smoke: $line"; fi
		# registrars: REGISTERs/s without and with digest auth
		grep -q '^sys_reg_setup()' "bench/systems/$sys.sh" 2>/dev/null || continue
		line=$(python3 bench/report.py --check-reg "$OUT/latest.json" "$sys" 2>&1)
		if [ $? -eq 0 ]; then ok "bench smoke: $line"; else not_ok "bench smoke: $line"; fi
	done
	for f in latest.md latest.json rate_vs_load.png; do
		if [ -s "$OUT/$f" ]; then ok "bench smoke: $f written"; else not_ok "bench smoke: $f not written"; fi
	done
	echo "1..$KTAP_N"
	[ "$KTAP_FAILED" -eq 0 ]
	exit
fi
[ "$vmrc" -eq 0 ] && [ "$rrc" -eq 0 ]
