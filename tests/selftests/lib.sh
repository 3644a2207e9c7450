# SPDX-License-Identifier: GPL-2.0
# Helpers for the kernel selftests.  Sourced; runs inside the test VM
# (tests/vm/vm-run) or on a host that can load modules, as root.
#
# Topology (every test that sends SIP builds it with topo_up):
#
#   ns sipk-uac                 ns sipk-proxy                  ns sipk-uas
#   198.18.1.2  ---- veth ----  198.18.1.1 | 198.18.2.1  ---- veth ----  198.18.2.2
#   2001:db8:1::2               2001:db8:1::1 | 2001:db8:2::1            2001:db8:2::2
#                               sipk.ko hooks here
#
# A second proxy for federation tests (topo_up2):
#   ns sipk-proxy2  198.18.3.1 (link to sipk-proxy's 198.18.3.254), 2001:db8:3::1
#
# and, with topo_fed (topo_up + topo_up2 + a link proxy2 -- uas), the
# second proxy reaches the uas directly (sipk-proxy does not route IP):
#
#   ns sipk-proxy                ns sipk-proxy2                ns sipk-uas
#   198.18.3.254 ---- veth ----  198.18.3.1 | 198.18.4.1 ---- veth ----  198.18.4.2
#   2001:db8:3::fe               2001:db8:3::1 | 2001:db8:4::1          2001:db8:4::2
#   (c-px)                       (c-px2)    (d-px2)                     (d-uas)

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SIPKCTL=${SIPKCTL:-$TOP/build/sipkctl}
SIPK_KO=${SIPK_KO:-$TOP/kmod/sipk.ko}
WORK=${WORK:-$(mktemp -d /tmp/sipk-test.XXXXXX)}

UAC4=198.18.1.2 PX4=198.18.1.1 PXB4=198.18.2.1 UAS4=198.18.2.2
UAC6=2001:db8:1::2 PX6=2001:db8:1::1 PXB6=2001:db8:2::1 UAS6=2001:db8:2::2
PX2_4=198.18.3.1 PXC4=198.18.3.254
PX2_6=2001:db8:3::1 PXC6=2001:db8:3::fe

uac() { ip netns exec sipk-uac "$@"; }
proxy() { ip netns exec sipk-proxy "$@"; }
uas() { ip netns exec sipk-uas "$@"; }
proxy2() { ip netns exec sipk-proxy2 "$@"; }
pctl() { ip netns exec sipk-proxy "$SIPKCTL" "$@"; }
pctl2() { ip netns exec sipk-proxy2 "$SIPKCTL" "$@"; }

# ---- KTAP ----
KTAP_N=0
KTAP_FAILED=0
ktap_header() { echo "TAP version 13"; }
ktap_ok() { KTAP_N=$((KTAP_N + 1)); echo "ok $KTAP_N $*"; }
ktap_not_ok() {
	KTAP_N=$((KTAP_N + 1)); KTAP_FAILED=$((KTAP_FAILED + 1))
	echo "not ok $KTAP_N $*"
}
ktap_skip() { KTAP_N=$((KTAP_N + 1)); echo "ok $KTAP_N $1 # SKIP ${2:-}"; }
ktap_diag() { echo "# $*"; }
ktap_plan_end() { echo "1..$KTAP_N"; }

# check NAME CMD...: one test result from a command's exit status
check() {
	local name=$1
	shift
	if "$@" >"$WORK/check.out" 2>&1; then
		ktap_ok "$name"
	else
		ktap_not_ok "$name"
		sed 's/^/#   /' "$WORK/check.out" | tail -n 20
	fi
}

# check_fail NAME CMD...: a command that must fail (negative cases)
check_fail() {
	local name=$1
	shift
	if "$@" >"$WORK/check.out" 2>&1; then
		ktap_not_ok "$name (unexpectedly succeeded)"
		sed 's/^/#   /' "$WORK/check.out" | tail -n 10
	else
		ktap_ok "$name"
	fi
}

# ---- module ----
mod_load() {
	lsmod | grep -q '^sipk ' && return 0
	# what sipk.ko links against (modprobe would resolve it; insmod not)
	modprobe -q ipv6 2>/dev/null
	modprobe -q nf_defrag_ipv4 2>/dev/null
	modprobe -q nf_defrag_ipv6 2>/dev/null
	insmod "$SIPK_KO"
}
mod_unload() { lsmod | grep -q '^sipk ' && rmmod sipk; return 0; }

# ---- topology ----
topo_down() {
	local n
	for n in sipk-uac sipk-proxy sipk-uas sipk-proxy2; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
	return 0
}

topo_up() {
	topo_down
	ip netns add sipk-uac && ip netns add sipk-proxy && ip netns add sipk-uas || return 1
	ip link add a-uac netns sipk-uac type veth peer name a-px netns sipk-proxy || return 1
	ip link add b-uas netns sipk-uas type veth peer name b-px netns sipk-proxy || return 1
	local ns
	for ns in sipk-uac sipk-proxy sipk-uas; do
		ip -n $ns link set lo up
	done
	ip -n sipk-uac addr add $UAC4/24 dev a-uac
	ip -n sipk-uac addr add $UAC6/64 dev a-uac nodad
	ip -n sipk-proxy addr add $PX4/24 dev a-px
	ip -n sipk-proxy addr add $PX6/64 dev a-px nodad
	ip -n sipk-proxy addr add $PXB4/24 dev b-px
	ip -n sipk-proxy addr add $PXB6/64 dev b-px nodad
	ip -n sipk-uas addr add $UAS4/24 dev b-uas
	ip -n sipk-uas addr add $UAS6/64 dev b-uas nodad
	ip -n sipk-uac link set a-uac up
	ip -n sipk-proxy link set a-px up
	ip -n sipk-proxy link set b-px up
	ip -n sipk-uas link set b-uas up
	# the proxy does not route IP: whatever crosses it is SIP it forwarded
	ip netns exec sipk-proxy sysctl -qw net.ipv4.ip_forward=0
	ip netns exec sipk-proxy sysctl -qw net.ipv6.conf.all.forwarding=0
}

# a second proxy (federation) beside the first
topo_up2() {
	ip netns add sipk-proxy2 || return 1
	ip link add c-px netns sipk-proxy type veth peer name c-px2 netns sipk-proxy2 || return 1
	ip -n sipk-proxy2 link set lo up
	ip -n sipk-proxy addr add $PXC4/24 dev c-px
	ip -n sipk-proxy addr add $PXC6/64 dev c-px nodad
	ip -n sipk-proxy2 addr add $PX2_4/24 dev c-px2
	ip -n sipk-proxy2 addr add $PX2_6/64 dev c-px2 nodad
	ip -n sipk-proxy link set c-px up
	ip -n sipk-proxy2 link set c-px2 up
	# proxy2 reaches the uas network through nothing: it only answers
	ip -n sipk-proxy2 route add 198.18.2.0/24 via $PXC4
	ip -n sipk-proxy2 route add 198.18.1.0/24 via $PXC4
}

# stat NAME [NS]: one counter of the proxy, from sipkctl -j stats
stat() {
	local ns=${2:-sipk-proxy}
	ip netns exec "$ns" "$SIPKCTL" -j stats |
		python3 -c 'import json,sys; d=json.load(sys.stdin); d=d.get("stats",d); print(d[sys.argv[1]])' "$1"
}

# kernel_clean: no oops, BUG, WARNING or KASAN/UBSAN report since boot
kernel_clean() {
	! dmesg | grep -E 'BUG:|WARNING:|Oops|KASAN|UBSAN|general protection|Call Trace' >&2
}

# udp_send NS SRCADDR SRCPORT DSTADDR DSTPORT FILE...: one datagram each
udp_send() {
	local ns=$1
	shift
	ip netns exec "$ns" python3 "$TOP/tests/selftests/sipnet.py" send "$@"
}

# ---- raw datagrams (sipnet.py) ----
SIPNET="python3 $TOP/tests/selftests/sipnet.py"

# listen_in NS ADDR PORT NAME [SECONDS]: datagrams to $WORK/NAME/NNNN
listen_in() {
	rm -rf "${WORK:?}/$4"
	ip netns exec "$1" $SIPNET listen "$2" "$3" "$WORK/$4" "${5:-8}" &
	local i
	for i in $(seq 200); do [ -e "$WORK/$4/ready" ] && return 0; sleep 0.02; done
	echo "listener $4 did not start" >&2
	return 1
}
# got NAME: how many datagrams the listener NAME has
got() { find "$WORK/$1" -name '[0-9][0-9][0-9][0-9]' 2>/dev/null | wc -l; }
# wait_got NAME N [SECONDS]: wait until NAME has N datagrams
wait_got() {
	local i
	for i in $(seq $((${3:-5} * 20))); do
		[ "$(got "$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}
stop_listeners() { jobs -p | xargs -r kill 2>/dev/null; wait 2>/dev/null; return 0; }

# sip_request METHOD RURI VIA CALLID [EXTRA-HEADER-LINES]: a request, CRLF
sip_request() {
	local method=$1 ruri=$2 via=$3 callid=$4 extra=${5:-} cseq=1
	{
		printf '%s %s SIP/2.0\r\n' "$method" "$ruri"
		printf 'Via: %s\r\n' "$via"
		printf 'Max-Forwards: 70\r\n'
		printf 'From: <sip:uac@198.18.1.2>;tag=t-%s\r\n' "${callid%%@*}"
		printf 'To: <%s>\r\n' "$ruri"
		printf 'Call-ID: %s\r\n' "$callid"
		printf 'CSeq: %d %s\r\n' "$cseq" "$method"
		printf 'Contact: <sip:uac@198.18.1.2:5060>\r\n'
		[ -n "$extra" ] && printf '%s\r\n' "$extra"
		printf 'Content-Length: 0\r\n\r\n'
	}
}

# ---- federation: a second proxy with its own link to the uas ----
PX2B4=198.18.4.1 UAS2_4=198.18.4.2
PX2B6=2001:db8:4::1 UAS2_6=2001:db8:4::2

# topo_fed: topo_up, topo_up2, and proxy2 <-> uas (see the drawing above)
topo_fed() {
	topo_up && topo_up2 || return 1
	ip link add d-px2 netns sipk-proxy2 type veth peer name d-uas netns sipk-uas ||
		return 1
	ip -n sipk-proxy2 addr add $PX2B4/24 dev d-px2
	ip -n sipk-proxy2 addr add $PX2B6/64 dev d-px2 nodad
	ip -n sipk-uas addr add $UAS2_4/24 dev d-uas
	ip -n sipk-uas addr add $UAS2_6/64 dev d-uas nodad
	ip -n sipk-proxy2 link set d-px2 up
	ip -n sipk-uas link set d-uas up
	# proxy2 forwards SIP only, like the first proxy
	ip netns exec sipk-proxy2 sysctl -qw net.ipv4.ip_forward=0
	ip netns exec sipk-proxy2 sysctl -qw net.ipv6.conf.all.forwarding=0
}

# ---- SIPp ----
SCEN=$TOP/tests/selftests/scenarios
SIPPLOG="python3 $TOP/tests/selftests/sipplog.py"

# For SIPp's built-in uas in call-volume tests: a late duplicate (the
# INVITE retransmitted by the caller's Timer A before the 200 reached it,
# an ACK for a retransmitted 200 arriving after the BYE) is logged and
# ignored instead of ending the call as "unexpected".  SIPp's duplicate
# detection answers only with the first message sent after a reception
# (the 180), so under TCG load such calls fail for reasons that are not
# the proxy's; the call still has to complete end to end.
UAS_TOLERANT="-default_behaviors all,-abortunexp"

# sipp_uas NAME ADDR CALLS SIPP-ARGS...: a SIPp server in the uas
# namespace, in the background, for about CALLS calls; messages in
# $WORK/NAME.msg.  CALLS is not passed as -m: a SIPp server that has seen
# -m calls begins to quit and drops the calls still open; sipp_uas_wait
# stops it once the uac is done.
sipp_uas() {
	local name=$1 addr=$2
	shift 3
	rm -f "$WORK/$name".*
	SIPP_UAS_LOG=$WORK/$name.msg
	uas sipp "$@" -i "$addr" -p 5060 -nostdin -bg \
		-trace_msg -message_file "$WORK/$name.msg" \
		-trace_err -error_file "$WORK/$name.err" >"$WORK/$name.out" 2>&1
	sleep 0.3
}

# sipp_uas_wait [SECONDS]: once the uac is done, wait until the uas has
# logged its last message (its log stops growing), then stop it
sipp_uas_wait() {
	local i last=-1 size same=0
	for i in $(seq $((${1:-10} * 5))); do
		size=$(wc -c <"$SIPP_UAS_LOG" 2>/dev/null || echo 0)
		if [ "$size" = "$last" ]; then
			same=$((same + 1))
			[ $same -ge 3 ] && break
		else
			same=0
		fi
		last=$size
		sleep 0.2
	done
	ip netns pids sipk-uas 2>/dev/null | xargs -r kill 2>/dev/null
	for i in $(seq 20); do
		[ -z "$(ip netns pids sipk-uas 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	ip netns pids sipk-uas 2>/dev/null | xargs -r kill -9 2>/dev/null
	return 0
}

# sipp_uac NAME SIPP-ARGS...: a SIPp client in the uac namespace, run to
# completion; statistics in $WORK/NAME.csv, messages in $WORK/NAME.msg
sipp_uac() {
	local name=$1
	shift
	rm -f "$WORK/$name".*
	uac timeout 300 sipp "$@" -nostdin -timeout 120s \
		-trace_stat -stf "$WORK/$name.csv" \
		-trace_msg -message_file "$WORK/$name.msg" \
		-trace_err -error_file "$WORK/$name.err" >"$WORK/$name.out" 2>&1
}

# sipp_ok NAME CALLS: NAME's statistics say CALLS successful, 0 failed
sipp_ok() {
	[ -s "$WORK/$1.csv" ] || { tail -n 20 "$WORK/$1.out"; return 1; }
	python3 - "$WORK/$1.csv" "$2" <<'PY' || { tail -n 5 "$WORK/$1.err" 2>/dev/null; return 1; }
import csv, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter=';'))
h, last = rows[0], rows[-1]
ok = int(last[h.index('SuccessfulCall(C)')])
failed = int(last[h.index('FailedCall(C)')])
print(f"successful {ok}, failed {failed}")
sys.exit(0 if ok == int(sys.argv[2]) and failed == 0 else 1)
PY
}

# counters [-n NS] COND...: each COND ("fwd_bye>=20", "punt_bad_mac==0")
# holds for the counters of NS (default sipk-proxy), read once
counters() {
	local ns=sipk-proxy
	[ "$1" = -n ] && ns=$2 && shift 2
	ip netns exec "$ns" "$SIPKCTL" -j stats | python3 -c '
import json, operator, re, sys
d = json.load(sys.stdin)
d = d.get("stats", d)
ops = {">=": operator.ge, "<=": operator.le, "==": operator.eq}
bad = 0
for c in sys.argv[1:]:
    name, op, want = re.fullmatch(r"(\w+)(>=|<=|==)(\d+)", c).groups()
    ok = ops[op](d[name], int(want))
    print("%s = %d (want %s %s)%s" % (name, d[name], op, want, "" if ok else "  <--"))
    bad += not ok
sys.exit(1 if bad else 0)' "$@"
}

# handed_up NAME FILE COUNTER [UAS-PORT]: FILE sent from the uac to the
# proxy arrives unchanged at a listener on the proxy, nothing reaches the
# uas (on UAS-PORT, default 5060), and COUNTER grows by one
handed_up() {
	local before after
	before=$(stat "$3")
	listen_in sipk-proxy $PX4 5060 px-$1
	listen_in sipk-uas $UAS4 "${4:-5060}" uas-$1
	udp_send sipk-uac $UAC4 5060 $PX4 5060 "$2"
	wait_got px-$1 1
	sleep 0.2
	after=$(stat "$3")
	stop_listeners
	cmp "$2" "$WORK/px-$1/0000" && [ "$(got uas-$1)" = 0 ] &&
		[ "$after" -eq $((before + 1)) ]
}

# ---- sipkd, the daemon (k_6*): $SIPKD the binary, $SD its directory
# (sipkd.conf; the log of this run in cur.log, of every run in all.log) ----

# sipkd_start [ARGS...]: sipkd in the proxy namespace, in the foreground
# (log in $SD/cur.log); waits for its "started" line
sipkd_start() {
	: >"$SD/cur.log"
	ip netns exec sipk-proxy "$SIPKD" -c "$SD/sipkd.conf" -f -vv "$@" \
		>"$SD/cur.log" 2>&1 &
	SIPKD_PID=$!
	local i
	for i in $(seq 200); do
		grep -q ' started: ' "$SD/cur.log" && return 0
		kill -0 "$SIPKD_PID" 2>/dev/null || break
		sleep 0.05
	done
	tail -n 20 "$SD/cur.log"
	return 1
}

# sipkd_stop [SIGNAL]: stop it (TERM: cleanly; KILL: a crash); its exit
# status; the log goes on in $SD/all.log
sipkd_stop() {
	local rc
	kill "-${1:-TERM}" "$SIPKD_PID" 2>/dev/null
	wait "$SIPKD_PID"
	rc=$?
	cat "$SD/cur.log" >>"$SD/all.log"
	return $rc
}

# sipkd_stat NAME: one of sipkd's counters (SIGUSR1 logs them)
sipkd_stat() {
	local n i
	n=$(grep -c ' stats: ' "$SD/cur.log")
	kill -USR1 "$SIPKD_PID"
	for i in $(seq 100); do
		[ "$(grep -c ' stats: ' "$SD/cur.log")" -gt "$n" ] && break
		sleep 0.02
	done
	grep ' stats: ' "$SD/cur.log" | tail -n 1 | tr ' ' '\n' |
		sed -n "s/^$1=//p"
}
