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

# ---- act two: sipkd is the registrar, the kernel still carries the calls
DOM=sipk.test
mkdir -p "$WORK/sipkd"
printf 'database = %s\n[domain %s]\n' "$WORK/sipkd/sipkd.db" "$DOM" >"$WORK/sipkd/sipkd.conf"
step "sipkd (registrar for $DOM) in the proxy namespace, on the port the kernel hooks"
proxy "$TOP/build/sipkd" -c "$WORK/sipkd/sipkd.conf" -f >"$WORK/sipkd/log" 2>&1 &
for i in $(seq 100); do grep -q ' started: ' "$WORK/sipkd/log" && break; sleep 0.05; done
grep ' started: ' "$WORK/sipkd/log"

step "the uas REGISTERs sip:uas@$DOM -> $UAS4:5060; sipkd pushes the binding into the kernel"
if uas sipp -sf tests/selftests/scenarios/sipkd_uas_register.xml $PXB4:5060 \
	-key user uas -key domain $DOM -i $UAS4 -p 5060 -m 1 -nostdin \
	-timeout 20s >/dev/null 2>&1; then
	echo "REGISTER sip:uas@$DOM: 200 OK"
else
	echo "REGISTER failed"
	rc=1
fi
pctl loc show "sip:uas@$DOM"

step "SIPp uac calls sip:uas@$DOM via the proxy: routed by the kernel, sipkd not in the path"
pctl stats reset
uas sipp -sn uas -i $UAS4 -p 5060 -nostdin -bg >/dev/null 2>&1
sleep 0.5
uac sipp -sf tests/selftests/scenarios/uac_call.xml $PX4:5060 -key ruri "sip:uas@$DOM" \
	-i $UAC4 -p 5060 -m 50 -r 20 -nostdin -timeout 120s \
	-trace_stat -stf "$WORK/demo2.csv" >/dev/null 2>&1 && rc2=0 || rc2=$?
ip netns pids sipk-uas | xargs -r kill
python3 - "$WORK/demo2.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter=';'))
h, last = rows[0], rows[-1]
print("calls: %s successful, %s failed" % (last[h.index('SuccessfulCall(C)')],
      last[h.index('FailedCall(C)')]))
PY
pctl stats | grep -E '^(rx|fwd_request|fwd_response|fwd_invite|fwd_ack|fwd_bye|punt_register|punt_no_route) '
ip netns pids sipk-proxy | xargs -r kill
[ "$rc" = 0 ] && rc=$rc2

topo_down
mod_unload
exit "$rc"
