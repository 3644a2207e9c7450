# SPDX-License-Identifier: GPL-2.0
# Federation with a real foreign proxy: Kamailio (the Debian package) is
# the proxy of foreign.test in sipk-proxy2 (topo_fed), configured by
# tests/selftests/kamailio-foreign.cfg; sipk.ko in sipk-proxy serves
# sipk.test and reaches foreign.test through a domain route.
#
#   uac 198.18.1.2 -> sipk 198.18.1.1 | 198.18.3.254 -> 198.18.3.1 Kamailio
#   198.18.4.1 -> 198.18.4.2 foreign SIPp (registered at Kamailio)
#
# and back: a foreign SIPp UAC -> Kamailio -> sipk -> our SIPp UAS at
# 198.18.2.2 (in sipk's location table, static, then registered through
# sipkd).  Asserted on the wire: SIPp's results, both ends' message logs,
# sipk's counters, and what Kamailio logged and counted.
N66=${SIPK_TEST_FED_CALLS:-20}
KD=$WORK/kamailio
KAM_CFG=$TOP/tests/selftests/kamailio-foreign.cfg
KAM_CTL=udp:127.0.0.1:2049
FDOM=foreign.test
ODOM=sipk.test
SIPKD=${SIPKD:-$TOP/build/sipkd}

# kam_start: Kamailio in sipk-proxy2, not daemonized, log on stderr
kam_start() {
	rm -rf "$KD"
	mkdir -p "$KD"
	# not through proxy2(): a function in the background is a subshell,
	# and $! must be Kamailio's main process
	ip netns exec sipk-proxy2 kamailio -f "$KAM_CFG" -DD -E -m 32 -M 4 -Y "$KD" \
		-P "$KD/kamailio.pid" -w "$KD" >"$KD/log" 2>&1 &
	KAM_PID=$!
	# not a job: stop_listeners (lib.sh) must never end it
	disown "$KAM_PID"
	local i
	for i in $(seq 100); do
		kam_rpc core.version >/dev/null 2>&1 && return 0
		kill -0 "$KAM_PID" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 20 "$KD/log"
	return 1
}

# kam_stop: stop it and its workers; none may survive
kam_stop() {
	[ -n "${KAM_PID:-}" ] || return 0
	kill "$KAM_PID" 2>/dev/null
	local i
	for i in $(seq 50); do
		kill -0 "$KAM_PID" 2>/dev/null || pgrep -x kamailio >/dev/null ||
			{ KAM_PID=; return 0; }
		sleep 0.1
	done
	pgrep -a -x kamailio
	return 1
}

kam_rpc() { proxy2 kamcmd -s "$KAM_CTL" "$@"; }

# kam_stat NAME: one statistic of Kamailio (kamcmd stats.get_statistics)
kam_stat() {
	kam_rpc stats.get_statistics all | sed -n "s/^\(core:\)\?$1 = //p"
}

# kam_saw WHAT N: Kamailio logged at least N requests matching WHAT
# ("INVITE sip:bob@foreign.test from 198.18.3.254")
kam_saw() {
	local n
	n=$(grep -c "foreign.test: $1" "$KD/log")
	echo "Kamailio logged $n x '$1' (want >= $2)"
	[ "$n" -ge "$2" ]
}

# kam_fwd KIND N: Kamailio's core counter fwd_KIND grew by at least N
# since kam_mark
kam_mark() { KAM_REQ0=$(kam_stat fwd_requests) KAM_REP0=$(kam_stat fwd_replies); }
kam_fwd() {
	local now
	now=$(kam_stat "fwd_$1")
	if [ "$1" = requests ]; then now=$((now - KAM_REQ0)); else now=$((now - KAM_REP0)); fi
	echo "Kamailio fwd_$1 +$now (want >= $2)"
	[ "$now" -ge "$2" ]
}

# kam_fwd_all: 3 requests (INVITE, ACK, BYE) and 3 responses (180, 200,
# 200) of each call forwarded by Kamailio since kam_mark
kam_fwd_all() { kam_fwd requests $((3 * N66)) && kam_fwd replies $((3 * N66)); }

# foreign_uac NAME SIPP-ARGS...: a SIPp client of foreign.test on
# 198.18.4.2:5070 (in sipk-uas), run to completion, like sipp_uac
foreign_uac() {
	local name=$1
	shift
	rm -f "$WORK/$name".*
	uas timeout 300 sipp "$@" -i $UAS2_4 -p 5070 -nostdin -timeout 120s \
		-trace_stat -stf "$WORK/$name.csv" \
		-trace_msg -message_file "$WORK/$name.msg" \
		-trace_err -error_file "$WORK/$name.err" >"$WORK/$name.out" 2>&1
}

# vias NAME METHOD N SIPK HOST...: at least N METHOD requests received in
# $WORK/NAME.msg carry sipk's Via (address SIPK, its branch prefix) and a
# Via of every HOST
vias() {
	local name=$1 method=$2 want=$3
	shift 3
	python3 - "$TOP/tests/selftests" "$WORK/$name.msg" "$method" "$want" "$@" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import re
import sipplog
method, want = sys.argv[3], int(sys.argv[4])
sipk, hosts = sys.argv[5], sys.argv[6:]
n = 0
for d, start, hdrs in sipplog.messages(sys.argv[2]):
    if d != 'received' or not start.startswith(method + ' '):
        continue
    vias = ','.join(sipplog.hdr(hdrs, 'via'))
    # Kamailio leaves the default port out of its Via
    if all(re.search(r'UDP %s(:5060)?;' % re.escape(h), vias) for h in hosts) and \
            ('UDP %s:5060;branch=z9hG4bKsk' % sipk) in vias:
        n += 1
print("%d %s with Vias of %s (want >= %d)" % (n, method, ' '.join([sipk] + hosts), want))
sys.exit(0 if n >= want else 1)
PY
}

if ! command -v kamailio >/dev/null || ! command -v kamcmd >/dev/null; then
	ktap_skip "fed-kamailio: calls with a Kamailio peer" \
		"kamailio (Debian package kamailio) is not installed"
	return 0 2>/dev/null || exit 0
fi

mod_load
topo_fed

# --- without a route, sipk hands a request for foreign.test up ---
sip_request INVITE sip:bob@$FDOM "SIP/2.0/UDP $UAC4:5060;branch=z9hG4bK-k66-noroute" \
	k66-noroute@$UAC4 >"$WORK/k66-noroute.sip"
check "fed-kamailio: no route yet: INVITE to $FDOM handed up (punt_no_route)" \
	handed_up k66-noroute "$WORK/k66-noroute.sip" punt_no_route
# (before Kamailio starts: handed_up's stop_listeners ends every job)

check "fed-kamailio: Kamailio $(kamailio -v 2>/dev/null | sed -n 's/^version: kamailio \([^ ]*\).*/\1/p') starts in sipk-proxy2 (ctl answers)" \
	kam_start

# the foreign user registers at its own proxy (from 198.18.4.2:5060)
check "fed-kamailio: sip:bob@$FDOM registers at Kamailio (SIPp REGISTER, 200)" \
	uas timeout 60 sipp -sf "$SCEN/sipkd_uas_register.xml" $PX2B4:5060 \
	-key user bob -key domain $FDOM -i $UAS2_4 -p 5060 -m 1 -nostdin -timeout 20s
bob_bound() { kam_rpc ul.dump | grep "sip:bob@$UAS2_4:5060"; }
check "fed-kamailio: Kamailio's location table has bob's contact (kamcmd ul.dump)" bob_bound

# --- (a) our uac -> sipk (domain route) -> Kamailio -> foreign uas ---
check "fed-kamailio: sipkctl route add $FDOM via Kamailio ($PX2_4)" \
	pctl route add $FDOM via $PX2_4:5060
check "fed-kamailio: route show lists it" \
	sh -c "ip netns exec sipk-proxy $SIPKCTL route show | grep -q '$FDOM.*$PX2_4'"
pctl stats reset
pctl2 stats reset
kam_mark
sipp_uas k66-out-uas $UAS2_4 "$N66" -sn uas $UAS_TOLERANT
sipp_uac k66-out-uac -sf "$SCEN/uac_call.xml" "$PX4:5060" -key ruri sip:bob@$FDOM \
	-i $UAC4 -p 5060 -m "$N66" -r 20 -l "$N66"
sipp_uas_wait
check "fed-kamailio: out: $N66 calls sipk -> Kamailio -> sip:bob@$FDOM, 0 failed" \
	sipp_ok k66-out-uac "$N66"
check "fed-kamailio: out: sipk forwarded INVITE, ACK, BYE by the route and 180/200/200 back" \
	counters "fwd_invite>=$N66" "fwd_ack>=$N66" "fwd_bye>=$N66" \
	"fwd_response>=$((3 * N66))" punt_no_route==0 punt_bad_mac==0 punt_not_ours==0
check "fed-kamailio: out: the foreign uas got each INVITE with sipk's and Kamailio's Vias" \
	vias k66-out-uas INVITE "$N66" $PXC4 $PX2B4
check "fed-kamailio: out: the foreign uas got each BYE through both proxies" \
	vias k66-out-uas BYE "$N66" $PXC4 $PX2B4
out_kam_saw() {
	kam_saw "INVITE sip:bob@$FDOM from $PXC4:5060" "$N66" &&
		kam_saw "ACK sip:bob@$FDOM from $PXC4:5060" "$N66" &&
		kam_saw "BYE sip:bob@$FDOM from $PXC4:5060" "$N66"
}
check "fed-kamailio: out: Kamailio logged the INVITEs, ACKs and BYEs from sipk" out_kam_saw
check "fed-kamailio: out: Kamailio forwarded the requests and the responses (kamcmd stats)" \
	kam_fwd_all
check "fed-kamailio: out: sipk in Kamailio's namespace forwarded nothing (all handed up)" \
	counters -n sipk-proxy2 fwd_request==0 fwd_response==0

# --- (b) foreign uac -> Kamailio -> sipk (location) -> our uas ---
in_kam_saw() {
	kam_saw "INVITE sip:alice@$ODOM from $UAS2_4:5070" "$N66" &&
		kam_saw "ACK sip:alice@$ODOM from $UAS2_4:5070" "$N66" &&
		kam_saw "BYE sip:alice@$ODOM from $UAS2_4:5070" "$N66"
}
# calls_in NAME DESCRIPTION: N66 calls from sip:...@foreign.test to sip:alice@sipk.test
calls_in() {
	pctl stats reset
	pctl2 stats reset
	kam_mark
	sipp_uas "$1-uas" $UAS4 "$N66" -sn uas $UAS_TOLERANT
	foreign_uac "$1-uac" -sf "$SCEN/uac_call.xml" "$PX2B4:5060" \
		-key ruri sip:alice@$ODOM -m "$N66" -r 20 -l "$N66"
	sipp_uas_wait
	[ -n "${SIPK_VM_SCRATCH:-}" ] &&
		cp "$WORK/$1"-*.msg "$WORK/$1"-*.err "$SIPK_VM_SCRATCH/" 2>/dev/null
	check "fed-kamailio: in ($2): $N66 calls Kamailio -> sipk -> sip:alice@$ODOM, 0 failed" \
		sipp_ok "$1-uac" "$N66"
	check "fed-kamailio: in ($2): sipk forwarded INVITE, ACK, BYE from Kamailio and the responses" \
		counters "fwd_invite>=$N66" "fwd_ack>=$N66" "fwd_bye>=$N66" \
		"fwd_response>=$((3 * N66))" punt_no_route==0 punt_bad_mac==0
	check "fed-kamailio: in ($2): our uas got each INVITE with Kamailio's and sipk's Vias" \
		vias "$1-uas" INVITE "$N66" $PXB4 $PX2_4
	check "fed-kamailio: in ($2): our uas got each BYE through both proxies" \
		vias "$1-uas" BYE "$N66" $PXB4 $PX2_4
	check "fed-kamailio: in ($2): Kamailio logged the INVITEs, ACKs and BYEs from the foreign uac" \
		in_kam_saw
	check "fed-kamailio: in ($2): Kamailio forwarded requests and responses (kamcmd stats)" \
		kam_fwd_all
}
check "fed-kamailio: sipkctl loc add sip:alice@$ODOM (our uas)" \
	pctl loc add sip:alice@$ODOM contact sip:alice@$UAS4:5060
calls_in k66-in "static contact"

# --- (b) again, our uas registered through sipkd (the kernel hands the
# REGISTER up, sipkd pushes the binding down) ---
check "fed-kamailio: loc del sip:alice@$ODOM" pctl loc del sip:alice@$ODOM
SD66=$WORK/sipkd66
mkdir -p "$SD66"
cat >"$SD66/sipkd.conf" <<EOF
database = $SD66/sipkd.db
kernel-retry = 1

[domain $ODOM]
EOF
ip netns exec sipk-proxy "$SIPKD" -c "$SD66/sipkd.conf" -f -vv >"$SD66/log" 2>&1 &
SD66_PID=$!
sd66_up() {
	local i
	for i in $(seq 200); do
		grep -q ' started: ' "$SD66/log" && return 0
		kill -0 "$SD66_PID" 2>/dev/null || break
		sleep 0.05
	done
	tail -n 20 "$SD66/log"
	return 1
}
check "fed-kamailio: sipkd starts in sipk-proxy" sd66_up
check "fed-kamailio: our uas registers sip:alice@$ODOM with sipkd (SIPp REGISTER, 200)" \
	uas timeout 60 sipp -sf "$SCEN/sipkd_uas_register.xml" $PXB4:5060 \
	-key user alice -key domain $ODOM -i $UAS4 -p 5060 -m 1 -nostdin -timeout 20s
check "fed-kamailio: sipkd pushed the binding to the kernel (owner daemon)" \
	sh -c "ip netns exec sipk-proxy $SIPKCTL loc show | grep 'sip:alice@$ODOM' | grep -q 'owner daemon'"
calls_in k66-insd "registered via sipkd"
sd66_stop() {
	kill "$SD66_PID" 2>/dev/null
	wait "$SD66_PID"
	local rc=$?
	echo "sipkd exit status $rc"
	tail -n 5 "$SD66/log"
	return $rc
}
check "fed-kamailio: sipkd stops cleanly (SIGTERM, exit status 0)" sd66_stop

# --- the end: Kamailio stopped, nothing left, lib.sh's topology back ---
check "fed-kamailio: Kamailio logged no error" sh -c "! grep -E ' (ERROR|CRITICAL|BUG):' '$KD/log'"
[ -n "${SIPK_VM_SCRATCH:-}" ] && cp "$KD/log" "$SIPK_VM_SCRATCH/k66-kamailio.log" 2>/dev/null
check "fed-kamailio: Kamailio stops, no process of it left" kam_stop
topo_up
check "fed-kamailio: no oops or warning" kernel_clean
