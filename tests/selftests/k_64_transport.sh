# SPDX-License-Identifier: GPL-2.0
# sipkd's transports and server location, on the wire:
# - RFC 3263 with a real DNS server (dnsmasq in the proxy namespace on
#   198.18.2.53): NAPTR -> SRV -> A to a SIPp UAS; A/AAAA only when the
#   URI has a port (an IPv6-only name: the call goes over IPv6); SRV
#   without NAPTR giving TCP; ;transport=tcp without a port (SRV of that
#   transport only); NAPTR ordering TCP first, refused, then the UDP
#   target (4.3); a record-routed dialog whose remote target is a host
#   name; answers cached (one NAPTR query for many calls); a name
#   that does not exist: 404; no DNS server: 503;
# - RFC 3261 18.1.1: a request of 2.5 KB to a UDP contact goes over TCP
#   to a SIPp UAS that listens on TCP only, its 200 back on that same
#   connection, one connection for several requests, closed when idle;
#   with nothing listening on TCP, over UDP instead;
# - multicast REGISTER to sip.mcast.net (224.0.1.75): a 200 by unicast,
#   and the binding in the kernel's table.
SIPKD=${SIPKD:-$TOP/build/sipkd}
SD64=$WORK/k64
DOM64=sipk.test
DNS64=198.18.2.53
N64=${SIPK_TEST_TRANSPORT_CALLS:-5}
rm -rf "$SD64"
mkdir -p "$SD64"
SD=$SD64		# where the sipkd helpers of lib.sh work

# t64_reg USER CONTACT: the registrar takes CONTACT for USER@DOM64
t64_reg() {
	sipp_uac "reg-$1" -sf "$SCEN/sipkd_reg_contact.xml" "$PX4:5060" \
		-i $UAC4 -p 5071 -m 1 -key user "$1" -key domain $DOM64 \
		-key contact "$2"
	sipp_ok "reg-$1" 1
}

# t64_uas NAME ADDR PORT SIPP-ARGS...: a SIPp server in the uas namespace
t64_uas() {
	local name=$1 addr=$2 port=$3
	shift 3
	rm -f "$WORK/$name".*
	SIPP_UAS_LOG=$WORK/$name.msg
	uas sipp "$@" -i "$addr" -p "$port" -nostdin -bg \
		-trace_msg -message_file "$WORK/$name.msg" \
		-trace_err -error_file "$WORK/$name.err" >"$WORK/$name.out" 2>&1
	sleep 0.3
}

# t64_warm USER: one OPTIONS to USER@DOM64 before the UAS runs, so that
# the first INVITE does not wait for DNS (under TCG that wait makes the
# UAC retransmit, and SIPp's UAS mishandles retransmitted INVITEs)
t64_warm() {
	sip_request OPTIONS "sip:$1@$DOM64" "SIP/2.0/UDP $UAC4:5085;branch=z9hG4bKw$1" \
		"warm-$1@uac" >"$SD64/warm-$1.sip"
	udp_send sipk-uac $UAC4 5085 $PX4 5060 "$SD64/warm-$1.sip"
	sleep 1
}

# t64_calls NAME USER N: N calls to USER@DOM64 from the uac
t64_calls() {
	sipp_uac "$1" -sf "$SCEN/uac_call.xml" "$PX4:5060" \
		-key ruri "sip:$2@$DOM64" -i $UAC4 -p 5060 -m "$3" -r 5 -l "$3"
	sipp_uas_wait 0
	sipp_ok "$1" "$3"
}

# t64_grew NAME BEFORE MIN: counter NAME grew by MIN at least
t64_grew() {
	local now
	now=$(sipkd_stat "$1")
	echo "$1: $2 -> $now"
	[ $((now - $2)) -ge "$3" ]
}

# t64_kloc PATTERN: within 5 s, sipkctl loc show has a line matching it
t64_kloc() {
	local i
	for i in $(seq 50); do
		pctl loc show 2>&1 | grep -Eq "$1" && return 0
		sleep 0.1
	done
	pctl loc show
	return 1
}

if ! command -v dnsmasq >/dev/null 2>&1; then
	ktap_skip "transport: RFC 3263, TCP, multicast" "no dnsmasq (scripts/deps.sh installs dnsmasq-base)"
	return 0 2>/dev/null || exit 0
fi

check "transport: topology up" topo_up
check "transport: module loaded" mod_load

# ---- the DNS server ----
ip -n sipk-proxy addr add $DNS64/32 dev lo
ip netns exec sipk-proxy dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts \
	--user=root --group=root --pid-file= \
	--listen-address=$DNS64 --bind-interfaces --port=53 \
	--log-queries --log-facility="$SD64/dnsmasq.log" \
	--local=/name.test/ --local-ttl=60 \
	--naptr-record=uas.name.test,10,20,S,SIP+D2U,,_sip._udp.uas.name.test \
	--naptr-record=uas.name.test,20,10,S,SIP+D2T,,_sip._tcp.uas.name.test \
	--srv-host=_sip._udp.uas.name.test,uashost.name.test,5060,10,10 \
	--srv-host=_sip._tcp.uas.name.test,uashost.name.test,5060,10,10 \
	--srv-host=_sip._tcp.srv.name.test,uashost.name.test,5060,10,10 \
	--naptr-record=fo.name.test,10,10,S,SIP+D2T,,_sip._tcp.fo.name.test \
	--naptr-record=fo.name.test,20,10,S,SIP+D2U,,_sip._udp.fo.name.test \
	--srv-host=_sip._tcp.fo.name.test,uashost.name.test,5060,10,10 \
	--srv-host=_sip._udp.fo.name.test,uashost.name.test,5060,10,10 \
	--host-record=uashost.name.test,$UAS4 \
	--host-record=v6.name.test,$UAS6 \
	>"$SD64/dnsmasq.out" 2>&1 &
DNSMASQ_PID=$!

cat >"$SD64/sipkd.conf" <<EOF
database = $SD64/sipkd.db
min-expires = 30
kernel-retry = 1
dns-server = $DNS64
multicast = a-px
tcp-idle-timeout = 4
record-route = yes

[domain $DOM64]
EOF
check "transport: sipkd started (dns-server $DNS64, multicast on a-px)" sipkd_start
check "transport: sipkd uses that resolver and joined sip.mcast.net" \
	sh -c "grep -q 'dns: resolver $DNS64' '$SD64/cur.log' &&
	       grep -q 'multicast: joined 224.0.1.75 on a-px' '$SD64/cur.log'"

# ---- RFC 3263: NAPTR -> SRV -> A ----
check "transport: REGISTER contact sip:uas@uas.name.test (a host name)" \
	t64_reg uas "sip:uas@uas.name.test"
check "transport: a host-name contact stays out of the kernel" \
	sh -c "! ip netns exec sipk-proxy $SIPKCTL loc show | grep -q 'uas.name.test'"
t64_warm uas
t64_uas u1 $UAS4 5060 -sn uas
check "transport: $N64 calls to sip:uas@$DOM64 reach the UAS via NAPTR/SRV/A, 0 failed" \
	t64_calls c1 uas "$N64"
check "transport: dnsmasq was asked NAPTR uas.name.test once (cached after), SRV _sip._udp, A uashost" \
	sh -c "[ \$(grep -cF 'query[NAPTR] uas.name.test ' '$SD64/dnsmasq.log') = 1 ] &&
	       grep -qF 'query[SRV] _sip._udp.uas.name.test ' '$SD64/dnsmasq.log' &&
	       grep -qF 'query[A] uashost.name.test ' '$SD64/dnsmasq.log'"
check "transport: the UAS got the INVITEs over UDP from the proxy" \
	sh -c "[ \$(grep -c 'UDP message received' '$WORK/u1.msg') -ge $((3 * N64)) ]"

# ---- a port: A/AAAA only; an IPv6-only name ----
check "transport: REGISTER contact sip:uas@v6.name.test:5060 (AAAA only)" \
	t64_reg v6 "sip:uas@v6.name.test:5060"
t64_warm v6
t64_uas u2 $UAS6 5060 -sn uas
check "transport: $N64 calls to sip:v6@$DOM64 go over IPv6 to [$UAS6], 0 failed" \
	t64_calls c2 v6 "$N64"
check "transport: dnsmasq: AAAA v6.name.test asked, no NAPTR or SRV for it (port given)" \
	sh -c "grep -qF 'query[AAAA] v6.name.test ' '$SD64/dnsmasq.log' &&
	       ! grep -qE 'query\[(NAPTR|SRV)\] (_sip\._...\.)?v6.name.test ' '$SD64/dnsmasq.log'"

# ---- SRV without NAPTR: TCP ----
check "transport: REGISTER contact sip:tcp@srv.name.test (only _sip._tcp SRV)" \
	t64_reg tcp "sip:tcp@srv.name.test"
t64_warm tcp
t64_uas u3 $UAS4 5060 -sn uas -t t1
check "transport: $N64 calls to sip:tcp@$DOM64 reach a TCP-only UAS, 0 failed" \
	t64_calls c3 tcp "$N64"
check "transport: ... the UAS saw TCP only, and answered on that connection" \
	sh -c "[ \$(grep -c 'TCP message received' '$WORK/u3.msg') -ge $((3 * N64)) ] &&
	       [ \$(grep -c 'TCP message sent' '$WORK/u3.msg') -ge $((3 * N64)) ]"

# ---- a record-routed dialog whose remote target is a host name ----
sed 's/^Contact: <sip:\[local_ip\]:/Contact: <sip:uashost.name.test:/' \
	"$SCEN/uas_rr.xml" >"$SD64/uas_rr_name.xml"
check "transport: REGISTER contact sip:rr@uashost.name.test:5060" \
	t64_reg rr "sip:rr@uashost.name.test:5060"
t64_warm rr
t64_uas u8 $UAS4 5060 -sf "$SD64/uas_rr_name.xml"
sipp_uac c8 -sf "$SCEN/uac_rr.xml" "$PX4:5060" -key ruri "sip:rr@$DOM64" \
	-i $UAC4 -p 5060 -m "$N64" -r 10 -l "$N64"
sipp_uas_wait 0
check "transport: $N64 record-routed calls, ACK and BYE to a host-name remote target (Route MAC checked after DNS), 0 failed" \
	sipp_ok c8 "$N64"
check "transport: ... the UAS got the BYEs for sip:uashost.name.test" \
	sh -c "[ \$(grep -c '^BYE sip:uashost.name.test:5060' '$WORK/u8.msg') -ge $N64 ]"

# the same with a Route whose MAC sipkd did not make: no relaying
sip_request BYE "sip:uashost.name.test:5060" "SIP/2.0/UDP $UAC4:5081;branch=z9hG4bKforged64" \
	forged64@uac "Route: <sip:$PX4;lr;sk=0123456789abcdef>" >"$SD64/forged.sip"
t64_forged() {
	local l1 l2
	# not stop_listeners: sipkd and dnsmasq are jobs of this shell too
	listen_in sipk-uac $UAC4 5081 forged-resp
	l1=$!
	listen_in sipk-uas $UAS4 5060 forged-uas
	l2=$!
	udp_send sipk-uac $UAC4 5082 $PX4 5060 "$SD64/forged.sip"
	wait_got forged-resp 1
	sleep 0.3
	kill "$l1" "$l2" 2>/dev/null
	wait "$l1" "$l2" 2>/dev/null
	head -n 1 "$WORK/forged-resp/0000"
	grep -q '^SIP/2.0 403 ' "$WORK/forged-resp/0000" && [ "$(got forged-uas)" = 0 ]
}
check "transport: a forged Route to a host-name target: 403, nothing reaches the UAS" t64_forged

# ---- a transport parameter, no port: SRV of that transport only ----
check "transport: REGISTER contact sip:tt@uas.name.test;transport=tcp" \
	t64_reg tt "sip:tt@uas.name.test;transport=tcp"
t64_warm tt
t64_uas u7 $UAS4 5060 -sn uas -t t1
check "transport: $N64 calls to sip:tt@$DOM64 reach the TCP-only UAS (NAPTR says UDP first), 0 failed" \
	t64_calls c7 tt "$N64"

# ---- RFC 3263 4.3: TCP first (NAPTR order), refused: the next target ----
check "transport: REGISTER contact sip:fo@fo.name.test (NAPTR: TCP, then UDP)" \
	t64_reg fo "sip:fo@fo.name.test"
FAIL0=$(sipkd_stat tcp_failed)
t64_uas u6 $UAS4 5060 -sn uas
check "transport: a call to a UDP-only UAS named TCP first gets through, 0 failed" \
	t64_calls c6 fo 1
check "transport: ... after the refused TCP connection (tcp_failed +1)" \
	t64_grew tcp_failed "$FAIL0" 1

# ---- a name that does not exist: 404 ----
check "transport: REGISTER contact sip:nx@nx.name.test" t64_reg nx "sip:nx@nx.name.test"
sipp_uac nx -sf "$SCEN/uac_404.xml" "$PX4:5060" -key ruri "sip:nx@$DOM64" \
	-i $UAC4 -p 5060 -m 1
check "transport: a contact that does not resolve: 404" sipp_ok nx 1

# ---- RFC 3261 18.1.1: larger than 1300 octets -> TCP ----
check "transport: REGISTER contact sip:big@$UAS4:5070 (an IP literal, UDP)" \
	t64_reg big "sip:big@$UAS4:5070"
check "transport: ... which the kernel has" t64_kloc "sip:big@$DOM64 contact sip:big@$UAS4:5070"
TCP0=$(sipkd_stat fwd_tcp)
t64_uas u4 $UAS4 5070 -sf "$SCEN/uas_message.xml" -t t1
sipp_uac m1 -sf "$SCEN/uac_big_message.xml" "$PX4:5060" \
	-key ruri "sip:big@$DOM64" -i $UAC4 -p 5060 -m 3 -l 1
check "transport: 3 MESSAGEs of 2.5 KB to a UDP contact get their 200" sipp_ok m1 3
check "transport: ... one TCP connection from the proxy to $UAS4:5070, reused" \
	sh -c "[ \$(ip netns exec sipk-proxy ss -Htn state established dst $UAS4:5070 | wc -l) = 1 ]"
sleep 5
check "transport: ... closed by sipkd after tcp-idle-timeout (4 s) without traffic" \
	sh -c "[ \$(ip netns exec sipk-proxy ss -Htn state established dst $UAS4:5070 | wc -l) = 0 ] &&
	       grep -q 'tcp: connection [0-9]* to $UAS4:5070 closed' '$SD64/cur.log'"
sipp_uas_wait 0
check "transport: ... sipkd sent them over TCP (fwd_tcp +3)" t64_grew fwd_tcp "$TCP0" 3
check "transport: ... the TCP-only UAS got them over TCP, answered on the connection" \
	sh -c "[ \$(grep -c 'TCP message received' '$WORK/u4.msg') -ge 3 ] &&
	       grep -q 'Via: SIP/2.0/TCP' '$WORK/u4.msg'"

# connection refused (nothing on TCP there): UDP after all
t64_uas u5 $UAS4 5070 -sf "$SCEN/uas_message.xml"
sipp_uac m2 -sf "$SCEN/uac_big_message.xml" "$PX4:5060" \
	-key ruri "sip:big@$DOM64" -i $UAC4 -p 5060 -m 1
sipp_uas_wait 0
check "transport: refused over TCP, the MESSAGE goes over UDP and gets its 200" sipp_ok m2 1
check "transport: ... the UAS got it over UDP, the top Via back to UDP" \
	sh -c "grep -q 'UDP message received' '$WORK/u5.msg' &&
	       ! grep -q 'Via: SIP/2.0/TCP' '$WORK/u5.msg'"
check "transport: ... counted as a fallback" t64_grew tcp_fallback 0 1

# ---- multicast REGISTER (RFC 3261 10.2.6) ----
ip -n sipk-uac route add 224.0.0.0/4 dev a-uac
sipp_uac mc -sf "$SCEN/sipkd_uas_register.xml" 224.0.1.75:5060 \
	-i $UAC4 -p 5072 -m 1 -key user mc -key domain $DOM64
check "transport: REGISTER to 224.0.1.75 from the uac gets its 200 (by unicast)" sipp_ok mc 1
check "transport: ... the binding is in the kernel (sipkctl loc show)" \
	t64_kloc "sip:mc@$DOM64 contact sip:mc@$UAC4:5072"
sip_request OPTIONS "sip:$DOM64" "SIP/2.0/UDP $UAC4:5083;branch=z9hG4bKmc64" \
	mc64@uac >"$SD64/mc-options.sip"
t64_mc_other() {
	local l
	listen_in sipk-uac $UAC4 5083 mc-resp
	l=$!
	udp_send sipk-uac $UAC4 5084 224.0.1.75 5060 "$SD64/mc-options.sip"
	sleep 1
	kill "$l" 2>/dev/null
	wait "$l" 2>/dev/null
	[ "$(got mc-resp)" = 0 ] &&
		grep -q 'multicast: dropped a datagram other than REGISTER' "$SD64/cur.log"
}
check "transport: an OPTIONS to 224.0.1.75 is dropped, not answered" t64_mc_other

# ---- the DNS server gone: 503 ----
kill "$DNSMASQ_PID" 2>/dev/null
wait "$DNSMASQ_PID" 2>/dev/null
check "transport: REGISTER contact sip:gone@gone.name.test" \
	t64_reg gone "sip:gone@gone.name.test"
sipp_uac gone -sf "$SCEN/uac_503.xml" "$PX4:5060" -key ruri "sip:gone@$DOM64" \
	-i $UAC4 -p 5060 -m 1
check "transport: no DNS server answers: 503" sipp_ok gone 1

check "transport: sipkd stopped cleanly" sipkd_stop
check "transport: no error in sipkd's log" sh -c "! grep -E ' (error): ' '$SD64/cur.log'"
check "transport: no oops or warning" kernel_clean
[ -n "${SIPK_VM_SCRATCH:-}" ] && { cp "$SD64/cur.log" "$SIPK_VM_SCRATCH/k64-sipkd.log"; cp "$SD64/dnsmasq.log" "$SIPK_VM_SCRATCH/k64-dnsmasq.log"; } 2>/dev/null
true
