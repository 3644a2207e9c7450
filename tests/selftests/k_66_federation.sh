# SPDX-License-Identifier: GPL-2.0
# Federation with a real foreign proxy: Kamailio (the Debian package,
# tests/selftests/kamailio/federation.cfg) serves example.org in the
# sipk-proxy2 namespace; sipk serves sipk.test in sipk-proxy and reaches
# example.org through a domain route.  SIPp calls complete both ways:
#   ours -> foreign: uac -> sipk (route example.org) -> Kamailio (usrloc,
#     filled by a REGISTER) -> SIPp uas at 198.18.4.2;
#   foreign -> ours: SIPp uac at 198.18.4.2 -> Kamailio (sipk.test is
#     the peer's) -> sipk (location) -> SIPp uas at 198.18.2.2.
# Both proxies stateless; the responses come back through both (each
# pops its own Via: sipk verifies its MAC).
N66=${N66:-10}
K66=$WORK/kam66
kam66_stop() {
	[ -s "$K66/kamailio.pid" ] && kill "$(cat "$K66/kamailio.pid")" 2>/dev/null
	ip netns pids sipk-proxy2 2>/dev/null | xargs -r kill 2>/dev/null
	return 0
}

SIPLOAD66=$TOP/build/bench/sipload	# REGISTERs (make -C bench)
if ! command -v kamailio >/dev/null; then
	ktap_skip "federation: Kamailio" "kamailio is not installed (make deps)"
elif [ ! -x "$SIPLOAD66" ]; then
	ktap_skip "federation: Kamailio" "$SIPLOAD66 is not built (make -C bench)"
else
mod_load
topo_fed
rm -rf "$K66"
mkdir -p "$K66"
# the module hooks every namespace: proxy2 is Kamailio's, not sipk's
check "federation: proxy2 is left to Kamailio (sipk's port moved away)" \
	pctl2 config set port 9
ip netns exec sipk-proxy2 kamailio -f "$TOP/tests/selftests/kamailio/federation.cfg" \
	-DD -E -m 64 -M 8 -Y "$K66" -P "$K66/kamailio.pid" -w "$K66" \
	>"$K66/log" 2>&1 &
kam_up() {
	local i
	for i in $(seq 100); do
		[ "$(ip netns exec sipk-proxy2 ss -Hlun 2>/dev/null | grep -c ':5060 ')" -ge 2 ] &&
			return 0
		sleep 0.1
	done
	tail -n 20 "$K66/log"
	return 1
}
check "federation: Kamailio listens in proxy2 (example.org)" kam_up
# bob@example.org registers with Kamailio from the foreign side
check "federation: bob@example.org registers with Kamailio" \
	uas "$SIPLOAD66" register --src "$UAS2_4:5070" \
	--dst "$PX2B4:5060" --user bob --aor-host example.org \
	--contact-host "$UAS2_4:5060"
check "federation: sipk: route add example.org via Kamailio" \
	pctl route add example.org via "$PX2_4:5060"
check "federation: sipk: loc add sip:alice@sipk.test" \
	pctl loc add sip:alice@sipk.test contact "sip:alice@$UAS4:5060"

# --- ours -> foreign ---
pctl stats reset
sipp_uas fed66-out-uas $UAS2_4 "$N66" -sn uas
sipp_uac fed66-out-uac -sf "$SCEN/uac_call.xml" "$PX4:5060" \
	-key ruri sip:bob@example.org -i $UAC4 -p 5060 -m "$N66" -r 10 -l "$N66"
sipp_uas_wait
check "federation: $N66 calls sipk.test -> bob@example.org via sipk and Kamailio, 0 failed" \
	sipp_ok fed66-out-uac "$N66"
check "federation: sipk forwarded them by the domain route, and the responses" \
	counters "fwd_invite>=$N66" "fwd_ack>=$N66" "fwd_bye>=$N66" \
	"fwd_response>=$((3 * N66))" punt_bad_mac==0
check "federation: the uas saw Kamailio's Via on top of sipk's" \
	sh -c "grep -q '^Via: SIP/2.0/UDP $PX2B4' '$WORK/fed66-out-uas.msg' &&
	       grep -q '^Via: SIP/2.0/UDP $PXC4:5060;branch=z9hG4bKsk' '$WORK/fed66-out-uas.msg'"

# --- foreign -> ours ---
pctl stats reset
sipp_uas fed66-in-uas $UAS4 "$N66" -sn uas
rm -f "$WORK"/fed66-in-uac.*
uas timeout 300 sipp -sf "$SCEN/uac_call.xml" "$PX2B4:5060" \
	-key ruri sip:alice@sipk.test -i $UAS2_4 -p 5062 -m "$N66" -r 10 -l "$N66" \
	-nostdin -timeout 120s -trace_stat -stf "$WORK/fed66-in-uac.csv" \
	-trace_msg -message_file "$WORK/fed66-in-uac.msg" \
	-trace_err -error_file "$WORK/fed66-in-uac.err" >"$WORK/fed66-in-uac.out" 2>&1 &
FED66_UAC=$!
wait "$FED66_UAC"
sipp_uas_wait
check "federation: $N66 calls example.org -> alice@sipk.test via Kamailio and sipk, 0 failed" \
	sipp_ok fed66-in-uac "$N66"
check "federation: sipk forwarded the foreign requests by its location table" \
	counters "fwd_invite>=$N66" "fwd_ack>=$N66" "fwd_bye>=$N66" \
	"fwd_response>=$((3 * N66))" punt_bad_mac==0
check "federation: the uas saw sipk's Via on top of Kamailio's" \
	sh -c "grep -q '^Via: SIP/2.0/UDP $PXB4:5060;branch=z9hG4bKsk' '$WORK/fed66-in-uas.msg' &&
	       grep -q '^Via: SIP/2.0/UDP $PX2_4' '$WORK/fed66-in-uas.msg'"

# --- no relaying through the peer ---
check "federation: Kamailio refuses a domain it does not know (403)" \
	sh -c "ip netns exec sipk-uas $SIPLOAD66 register --src $UAS2_4:5071 \
		--dst $PX2B4:5060 --user eve --aor-host example.net \
		--contact-host $UAS2_4:5060 2>&1 | grep -q 'register: 403 response'"

# K66_DEBUG=1: the SIPp and Kamailio logs, for a failure
if [ -n "${K66_DEBUG:-}" ]; then
	for f in fed66-in-uas.msg fed66-in-uas.out fed66-in-uas.err fed66-in-uac.msg fed66-out-uac.err; do
		echo "# ---- $f"; head -c 3000 "$WORK/$f" 2>/dev/null | sed 's/^/# /'
	done
	tail -20 "$K66/log" | sed 's/^/# /'
fi
kam66_stop
topo_down
check "federation: no oops or warning" kernel_clean
fi
