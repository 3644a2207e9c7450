# SPDX-License-Identifier: GPL-2.0
# Record-Route on a proxy whose two sides differ (RFC 5658 double
# Record-Route), and in-dialog requests following a route set through
# it: our Route(s) popped, then on to the next Route's address, never to
# one the Route's MAC does not bind.  Raw datagrams, checked at the far
# end byte by byte.
mod_load
topo_up
pctl loc add sip:uas@$PX4 contact sip:uas@$UAS4:5060 >/dev/null
pctl config set record-route on >/dev/null
M=$WORK/msg45
mkdir -p "$M"
CID=rt45@t

# --- the INVITE: two Record-Routes, the uas side on top ---
sip_request INVITE sip:uas@$PX4 "SIP/2.0/UDP $UAC4:5060;branch=z9hG4bKrt45" \
	$CID >"$M/inv"
listen_in sipk-uas $UAS4 5060 rt-inv
udp_send sipk-uac $UAC4 5060 $PX4 5060 "$M/inv"
wait_got rt-inv 1
stop_listeners
F=$WORK/rt-inv/0000
RRS=$(grep '^Record-Route:' "$F" | tr -d '\r')
SK=$(echo "$RRS" | sed -n '1s/.*;lr;sk=\([0-9a-f]\{16\}\)>$/\1/p')
check "rr2: the INVITE reaches the uas" test -s "$F"
check "rr2: two Record-Routes, the outgoing side ($PXB4) on top" \
	test "$RRS" = "Record-Route: <sip:$PXB4:5060;lr;sk=$SK>
Record-Route: <sip:$PX4:5060;lr;sk=$SK>"
check "rr2: the Record-Route MAC is there" test ${#SK} = 16

# bye NAME ROUTE-LINES...: a BYE from the uac as its route set says
bye() {
	local name=$1
	shift
	sip_request BYE sip:uas@example.com \
		"SIP/2.0/UDP $UAC4:5060;branch=z9hG4bK$name" $CID \
		"$(printf '%s\r\n' "$@" | sed '$ s/\r$//')" >"$M/$name"
}
# routed NAME NEXT-PORT: sent to the proxy, arrives at the uas on
# NEXT-PORT with our Via on top, our Route(s) gone, the next one kept
routed() {
	local f=$WORK/$1/0000
	listen_in sipk-uas $UAS4 "$2" "$1"
	udp_send sipk-uac $UAC4 5060 $PX4 5060 "$M/$1"
	wait_got "$1" 1
	stop_listeners
	[ -s "$f" ] &&
		grep -q '^BYE sip:uas@example.com SIP/2.0'$'\r'\$ "$f" &&
		head -n 2 "$f" | grep -qE "^Via: SIP/2.0/UDP $PXB4:5060;branch=z9hG4bKsk" &&
		! grep -q 'sk=' "$f" &&
		test "$(grep -c '^Route:' "$f")" = 1 &&
		grep -q "^Route: <sip:$UAS4:$2;lr>"$'\r'\$ "$f"
}

# --- following the route set: ours popped, on to the next Route ---
bye by2 "Route: <sip:$PX4:5060;lr;sk=$SK>, <sip:$PXB4:5060;lr;sk=$SK>, <sip:$UAS4:5070;lr>"
check "routes: both our Routes (one line) popped, sent to the next Route" \
	routed by2 5070
bye by2h "Route: <sip:$PX4:5060;lr;sk=$SK>" \
	"Route: <sip:$PXB4:5060;lr;sk=$SK>" "Route: <sip:$UAS4:5071;lr>"
check "routes: both our Routes (two lines) popped, sent to the next Route" \
	routed by2h 5071
bye by1 "Route: <sip:$PX4:5060;lr;sk=$SK>, <sip:$UAS4:5072;lr>"
check "routes: one Route of ours popped, sent to the next Route" \
	routed by1 5072
check "routes: the BYEs counted as forwarded" counters "fwd_bye>=3"

# --- never an open relay ---
bye forged "Route: <sip:$PX4:5060;lr;sk=0123456789abcdef>, <sip:$UAS4:5070;lr>"
check "abuse: a forged sk before a next Route is handed up" \
	handed_up forged "$M/forged" punt_foreign_route 5070
bye third "Route: <sip:$PX4:5060;lr;sk=$SK>, <sip:$PXB4:5060;lr;sk=$SK>, <sip:198.18.2.9:5070;lr>"
check "abuse: a next Route to an address the MAC does not bind is handed up" \
	handed_up third "$M/third" punt_foreign_route 5070
bye hostn "Route: <sip:$PX4:5060;lr;sk=$SK>, <sip:p2.example.net;lr>"
check "routes: a next Route naming a host is handed up" \
	handed_up hostn "$M/hostn" punt_hostname 5070
bye tcp "Route: <sip:$PX4:5060;lr;sk=$SK>, <sip:$UAS4:5070;transport=tcp;lr>"
check "routes: a next Route over TCP is handed up" \
	handed_up tcp "$M/tcp" punt_unsupported 5070

pctl config set record-route off >/dev/null
check "routes: no oops or warning" kernel_clean
