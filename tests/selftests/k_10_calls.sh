# SPDX-License-Identifier: GPL-2.0
# Calls through the kernel fast path: SIPp uac -> sipk.ko -> SIPp uas,
# no daemon anywhere, IPv4 then IPv6.  The proxy namespace does not
# forward IP, so every message that arrives went through sipk.
CALLS=${SIPK_TEST_CALLS:-1000}
RATE=${SIPK_TEST_RATE:-50}

# run_calls FAMILY UACADDR PROXYADDR UASADDR: SIPp's own uac/uas scenarios
run_calls() {
	local fam=$1 uacip=$2 pxip=$3 uasip=$4 pxhost=$2
	[ "$fam" = 6 ] && pxhost="[$pxip]" || pxhost=$pxip
	uas sipp -sn uas $UAS_TOLERANT -i "$uasip" -p 5060 -nostdin -bg \
		-trace_err -error_file "$WORK/uas$fam.err" >/dev/null 2>&1
	sleep 0.5
	uac timeout 600 sipp -sn uac "$pxhost:5060" -s uas -i "$uacip" -p 5060 \
		-m "$CALLS" -r "$RATE" -l 100 -nostdin -timeout 500s \
		-max_recv_loops 100 -trace_stat -stf "$WORK/uac$fam.csv" \
		-trace_err -error_file "$WORK/uac$fam.err" \
		>"$WORK/uac$fam.out" 2>&1
	local rc=$?
	ip netns pids sipk-uas | xargs -r kill
	sleep 0.2
	return $rc
}

# counters_cover N: INVITE, ACK, BYE forwarded N times each, responses 3N
counters_cover() {
	local n=$1 c v
	for c in fwd_invite fwd_ack fwd_bye; do
		v=$(stat $c)
		[ "$v" -ge "$n" ] || { echo "$c = $v < $n"; return 1; }
	done
	v=$(stat fwd_response)
	# the uas answers INVITE with 180 and 200, BYE with 200
	[ "$v" -ge $((3 * n)) ] || { echo "fwd_response = $v < $((3 * n))"; return 1; }
	v=$(stat punt_malformed)
	[ "$v" -eq 0 ] || { echo "punt_malformed = $v"; return 1; }
}

mod_load
topo_up
check "calls: sipkctl loc add (IPv4 AOR)" \
	pctl loc add sip:uas@$PX4 contact sip:uas@$UAS4:5060
check "calls: sipkctl loc add (IPv6 AOR)" \
	pctl loc add "sip:uas@[$PX6]" contact "sip:uas@[$UAS6]:5060"

pctl stats reset
if run_calls 4 $UAC4 $PX4 $UAS4; then
	ktap_ok "calls: IPv4: sipp uac -> sipk -> uas, $CALLS calls, sipp exit 0"
else
	ktap_not_ok "calls: IPv4: sipp uac exit status"
	tail -n 30 "$WORK/uac4.out" | sed 's/^/#   /'
fi
check "calls: IPv4: $CALLS successful, 0 failed" sipp_ok uac4 "$CALLS"
check "calls: IPv4: counters show every INVITE/ACK/BYE/response forwarded" \
	counters_cover "$CALLS"
pctl stats | sed 's/^/#   /'

pctl stats reset
if run_calls 6 $UAC6 $PX6 $UAS6; then
	ktap_ok "calls: IPv6: sipp uac -> sipk -> uas, $CALLS calls, sipp exit 0"
else
	ktap_not_ok "calls: IPv6: sipp uac exit status"
	tail -n 30 "$WORK/uac6.out" | sed 's/^/#   /'
fi
check "calls: IPv6: $CALLS successful, 0 failed" sipp_ok uac6 "$CALLS"
check "calls: IPv6: counters show every INVITE/ACK/BYE/response forwarded" \
	counters_cover "$CALLS"
check "calls: no oops or warning" kernel_clean
