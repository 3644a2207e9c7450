# SPDX-License-Identifier: GPL-2.0
# SIPp dialogs through the kernel fast path beyond the plain call:
# CANCEL, a non-2xx final response, Record-Route round trips, a domain
# route across two proxies, a retransmitted INVITE, and unloading the
# module while calls flow.  What the uas received is read back from
# SIPp's message log (sipplog.py).
N40=${SIPK_TEST_SIPP_CALLS:-20}

mod_load
topo_up
pctl loc add sip:uas@$PX4 contact sip:uas@$UAS4:5060 >/dev/null

# --- CANCEL of a ringing call (RFC 3261 9.1, 16.10, 16.11) ---
pctl stats reset
sipp_uas cancel-uas $UAS4 "$N40" -sf "$SCEN/uas_cancel.xml"
sipp_uac cancel-uac -sf "$SCEN/uac_cancel.xml" "$PX4:5060" -key ruri "sip:uas@$PX4" \
	-i $UAC4 -p 5060 -m "$N40" -r 20 -l "$N40"
sipp_uas_wait
check "sipp: CANCEL: $N40 ringing calls cancelled, 0 failed" sipp_ok cancel-uac "$N40"
check "sipp: CANCEL: INVITE, CANCEL and ACK reach the uas with one stateless branch" \
	$SIPPLOG branch "$WORK/cancel-uas.msg" "$N40" INVITE CANCEL ACK
check "sipp: CANCEL: fwd_cancel counts every CANCEL" counters "fwd_cancel>=$N40"
check "sipp: CANCEL: 180, 200 (CANCEL) and 487 forwarded back" \
	counters "fwd_response>=$((3 * N40))"

# --- 486 Busy Here, and the ACK of a non-2xx final response (17.1.1.3) ---
pctl stats reset
sipp_uas busy-uas $UAS4 "$N40" -sf "$SCEN/uas_busy.xml"
sipp_uac busy-uac -sf "$SCEN/uac_busy.xml" "$PX4:5060" -key ruri "sip:uas@$PX4" \
	-i $UAC4 -p 5060 -m "$N40" -r 20 -l "$N40"
sipp_uas_wait
check "sipp: 486: $N40 calls refused busy, 0 failed" sipp_ok busy-uac "$N40"
check "sipp: 486: the ACK of the 486 reaches the uas with the INVITE's branch" \
	$SIPPLOG branch "$WORK/busy-uas.msg" "$N40" INVITE ACK
check "sipp: 486: fwd_ack counts every ACK" counters "fwd_ack>=$N40"

# --- Record-Route: in-dialog requests come back through the proxy ---
# (RFC 3261 16.6 step 4, 16.12); SIPp sends everything to the proxy named
# on its command line, the Route tells the kernel the request is one of
# its dialogs, the Request-URI (the peer's Contact) where it goes.
# rr_calls FAMILY UAC PROXY [UAS]: the caller hangs up, then the callee
rr_calls() {
	local f=$1 uacip=$2 px=$3 ruri=sip:uas@$3
	[ "$f" = 6 ] && px="[$3]" && ruri="sip:uas@[$3]"
	pctl stats reset
	sipp_uas rr$f-uas "${4:-$UAS4}" "$N40" -sf "$SCEN/uas_rr.xml" $UAS_TOLERANT
	sipp_uac rr$f-uac -sf "$SCEN/uac_rr.xml" "$px:5060" -key ruri "$ruri" \
		-i "$uacip" -p 5060 -m "$N40" -r 20 -l "$N40"
	sipp_uas_wait
	check "sipp: RR IPv$f: $N40 record-routed calls, caller hangs up, 0 failed" \
		sipp_ok rr$f-uac "$N40"
	check "sipp: RR IPv$f: the uas gets each INVITE with our Record-Route" \
		$SIPPLOG rr "$WORK/rr$f-uas.msg" "$N40"
	check "sipp: RR IPv$f: the uac sends ACK and BYE with our Route (from the 200)" \
		$SIPPLOG routed "$WORK/rr$f-uac.msg" "$N40" ACK BYE
	check "sipp: RR IPv$f: the uas gets ACK and BYE with our Via on top and no Route" \
		$SIPPLOG popped "$WORK/rr$f-uas.msg" "$N40" ACK BYE
	check "sipp: RR IPv$f: in-dialog ACK and BYE forwarded by the kernel" \
		counters "fwd_ack>=$N40" "fwd_bye>=$N40"
	check "sipp: RR IPv$f: no Route of ours refused" counters punt_foreign_route==0

	pctl stats reset
	sipp_uas rrb$f-uas "${4:-$UAS4}" "$N40" -sf "$SCEN/uas_rr_bye.xml" $UAS_TOLERANT
	sipp_uac rrb$f-uac -sf "$SCEN/uac_rr_callee_bye.xml" "$px:5060" \
		-key ruri "$ruri" -i "$uacip" -p 5060 -m "$N40" -r 20 -l "$N40"
	sipp_uas_wait
	check "sipp: RR IPv$f: $N40 record-routed calls, callee hangs up, 0 failed" \
		sipp_ok rrb$f-uac "$N40"
	check "sipp: RR IPv$f: the callee's BYE carries our Route" \
		$SIPPLOG routed "$WORK/rrb$f-uas.msg" "$N40" BYE
	check "sipp: RR IPv$f: the caller gets the BYE with our Via on top and no Route" \
		$SIPPLOG popped "$WORK/rrb$f-uac.msg" "$N40" BYE
	check "sipp: RR IPv$f: the callee's BYE forwarded by the kernel (fwd_bye)" \
		counters "fwd_bye>=$N40"
}
check "sipp: RR: config set record-route on" pctl config set record-route on
rr_calls 4 $UAC4 $PX4
pctl loc add "sip:uas@[$PX6]" contact "sip:uas@[$UAS6]:5060" >/dev/null
rr_calls 6 $UAC6 $PX6 $UAS6
check "sipp: RR: config set record-route off" pctl config set record-route off
check "sipp: RR: record-route is off again" \
	sh -c "ip netns exec sipk-proxy $SIPKCTL config show | grep -q 'record-route off'"

# --- retransmission: the uas answers only the INVITE's retransmission ---
pctl stats reset
sipp_uas rtx-uas $UAS4 5 -sf "$SCEN/uas_retrans.xml" -nr
sipp_uac rtx-uac -sf "$SCEN/uac_call.xml" "$PX4:5060" -key ruri "sip:uas@$PX4" \
	-i $UAC4 -p 5060 -m 5 -r 10 -l 5
sipp_uas_wait
check "sipp: retransmission: 5 calls complete after the uas ignored the first INVITE" \
	sipp_ok rtx-uac 5
check "sipp: retransmission: the uas saw each INVITE twice, with the same branch" \
	$SIPPLOG retrans "$WORK/rtx-uas.msg" 5
check "sipp: retransmission: both INVITEs forwarded (fwd_invite)" counters "fwd_invite>=10"

# --- a domain route across two proxies, each running sipk (federation) ---
# uac -> proxy (route example.org via proxy2) -> proxy2 (location) -> uas
fed_counters() { # NS: INVITE/ACK/BYE forwarded, 180/200/200 back, no bad MAC
	counters -n "$1" "fwd_invite>=$N40" "fwd_ack>=$N40" "fwd_bye>=$N40" \
		"fwd_response>=$((3 * N40))" punt_bad_mac==0
}
topo_fed
check "fed: proxy: route add example.org via proxy2" \
	pctl route add example.org via $PX2_4:5060
check "fed: proxy2: loc add sip:bob@example.org" \
	pctl2 loc add sip:bob@example.org contact sip:bob@$UAS2_4:5060
pctl stats reset
pctl2 stats reset
sipp_uas fed4-uas $UAS2_4 "$N40" -sn uas $UAS_TOLERANT
sipp_uac fed4-uac -sf "$SCEN/uac_call.xml" "$PX4:5060" -key ruri sip:bob@example.org \
	-i $UAC4 -p 5060 -m "$N40" -r 20 -l "$N40"
sipp_uas_wait
check "fed: IPv4: $N40 calls to sip:bob@example.org through two proxies, 0 failed" \
	sipp_ok fed4-uac "$N40"
check "fed: IPv4: proxy forwarded requests and responses (its own Via verified)" \
	fed_counters sipk-proxy
check "fed: IPv4: proxy2 forwarded requests and responses (its own Via verified)" \
	fed_counters sipk-proxy2
check "fed: IPv4: the uas saw both proxies' Vias" \
	sh -c "grep -q '^Via: SIP/2.0/UDP $PX2B4:5060;branch=z9hG4bKsk' '$WORK/fed4-uas.msg' &&
	       grep -q '^Via: SIP/2.0/UDP $PXC4:5060;branch=z9hG4bKsk' '$WORK/fed4-uas.msg'"

check "fed: proxy: route add example.net via [proxy2] (IPv6)" \
	pctl route add example.net via "[$PX2_6]:5060"
check "fed: proxy2: loc add sip:bob@example.net (IPv6 contact)" \
	pctl2 loc add sip:bob@example.net contact "sip:bob@[$UAS2_6]:5060"
pctl stats reset
pctl2 stats reset
sipp_uas fed6-uas $UAS2_6 "$N40" -sn uas $UAS_TOLERANT
sipp_uac fed6-uac -sf "$SCEN/uac_call.xml" "[$PX6]:5060" -key ruri sip:bob@example.net \
	-i $UAC6 -p 5060 -m "$N40" -r 20 -l "$N40"
sipp_uas_wait
check "fed: IPv6: $N40 calls to sip:bob@example.net through two proxies, 0 failed" \
	sipp_ok fed6-uac "$N40"
check "fed: IPv6: proxy forwarded requests and responses" fed_counters sipk-proxy
check "fed: IPv6: proxy2 forwarded requests and responses" fed_counters sipk-proxy2

# --- rmmod while calls flow ---
topo_up
pctl loc add sip:uas@$PX4 contact sip:uas@$UAS4:5060 >/dev/null
uas sipp -sn uas -i $UAS4 -p 5060 -nostdin -bg >/dev/null 2>&1
sleep 0.3
uac timeout 120 sipp -sn uac "$PX4:5060" -s uas -i $UAC4 -p 5060 -r 200 -m 5000 \
	-nostdin -timeout 60s >/dev/null 2>&1 &
LOAD_PID=$!
flowing() { # forwarded requests keep growing
	local a b
	a=$(stat fwd_request)
	sleep 1
	b=$(stat fwd_request)
	echo "fwd_request $a -> $b"
	[ "$b" -gt "$a" ] && [ "$a" -gt 0 ]
}
sleep 2
check "unload: calls flowing at -r 200 before rmmod" flowing
check "unload: rmmod sipk under load" rmmod sipk
check "unload: module gone" sh -c "! lsmod | grep -q '^sipk '"
sleep 1
kill "$LOAD_PID" 2>/dev/null
wait "$LOAD_PID" 2>/dev/null
ip netns pids sipk-uac | xargs -r kill 2>/dev/null
ip netns pids sipk-uas | xargs -r kill 2>/dev/null
sleep 0.3
check "unload: no oops or warning after rmmod under load" kernel_clean
check "unload: the module loads again" mod_load
pctl loc add sip:uas@$PX4 contact sip:uas@$UAS4:5060 >/dev/null
pctl stats reset
sipp_uas again-uas $UAS4 10 -sn uas $UAS_TOLERANT
sipp_uac again-uac -sn uac "$PX4:5060" -s uas -i $UAC4 -p 5060 -m 10 -r 10
sipp_uas_wait
check "unload: after reload, 10 calls succeed" sipp_ok again-uac 10
check "unload: after reload, the kernel forwarded them" counters "fwd_invite>=10"
check "sipp: no oops or warning" kernel_clean
