#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM; see tests/demo.sh.
set -u
cd "$(dirname "$0")/.."
. tests/selftests/lib.sh
CALLS=${SIPK_DEMO_CALLS:-200}

step() { printf '\n==> %s\n' "$*"; }

step "kernel $(uname -r): loading sipk.ko"
mod_load || { echo 'demo: sipk.ko did not load' >&2; exit 1; }
dmesg | grep 'sipk:' | tail -n 3

step "namespaces: uac $UAC4 -- proxy $PX4 | $PXB4 -- uas $UAS4 (the proxy does not route IP)"
topo_up || { echo 'demo: could not build the namespaces' >&2; exit 1; }

step "sipkctl loc add sip:uas@$PX4 contact sip:uas@$UAS4:5060"
pctl loc add sip:uas@$PX4 contact sip:uas@$UAS4:5060 || exit 1
pctl loc show

step "SIPp uas on $UAS4:5060; SIPp uac sends $CALLS calls to the proxy $PX4:5060"
uas sipp -sn uas -i $UAS4 -p 5060 -nostdin -bg >/dev/null 2>&1
sleep 0.5
uac sipp -sn uac $PX4:5060 -s uas -i $UAC4 -p 5060 -m "$CALLS" -r 50 \
	-nostdin -timeout 300s -trace_stat -stf "$WORK/demo.csv" >/dev/null 2>&1 &&
	rc=0 || rc=$?
ip netns pids sipk-uas | xargs -r kill
python3 - "$WORK/demo.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter=';'))
h, last = rows[0], rows[-1]
print("calls: %s successful, %s failed" % (last[h.index('SuccessfulCall(C)')],
      last[h.index('FailedCall(C)')]))
PY
echo "sipp uac exit status: $rc"

step "sipkctl stats (every INVITE, ACK, BYE and response went through the kernel)"
pctl stats

topo_down
mod_unload
exit "$rc"
