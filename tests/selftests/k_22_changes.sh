# SPDX-License-Identifier: GPL-2.0
# The fast path follows addresses and routes changed while it runs: the
# "is it addressed to us" check (the kernel's address hash, the FIB for
# the rest) and the per-CPU cache of output routes, whose entries must
# die with the route or the source address they were made from.
mod_load
topo_up
pctl loc add sip:uas@$PX4 contact sip:uas@$UAS4:5060 >/dev/null
pctl loc add "sip:uas@[$PX6]" contact "sip:uas@[$UAS6]:5060" >/dev/null
M=$WORK/chg
mkdir -p "$M"
NEW4=198.18.1.10 NEW6=2001:db8:1::10
OUT4=198.18.2.5 OUT6=2001:db8:2::5

# to_uas NAME FILE SRC DST FROM UAS: FILE sent from SRC (uac) to DST:5060
# reaches UAS:5060, sent by the proxy from FROM unless that is ""
to_uas() {
	listen_in sipk-uas "$6" 5060 uas-$1
	udp_send sipk-uac "$3" 5060 "$4" 5060 "$2"
	wait_got uas-$1 1
	stop_listeners
	[ "$(got uas-$1)" = 1 ] || return 1
	[ -z "$5" ] || grep -q "^$5 5060\$" "$WORK/uas-$1/0000.from"
}
# not_ours NAME FILE SRC DST UAS: nothing reaches UAS:5060, and the hook
# did not take the datagram for one of ours
not_ours() {
	local before
	before=$(stat rx)
	listen_in sipk-uas "$5" 5060 uas-$1
	udp_send sipk-uac "$3" 5060 "$4" 5060 "$2"
	sleep 0.5
	stop_listeners
	[ "$(got uas-$1)" = 0 ] && [ "$(stat rx)" -eq "$before" ]
}

# req4 NAME, req6 NAME: a new INVITE for the AOR; prints its file
req4() {
	sip_request INVITE sip:uas@$PX4 \
		"SIP/2.0/UDP $UAC4:5060;branch=z9hG4bK$1" "$1@t" >"$M/$1"
	echo "$M/$1"
}
req6() {
	sip_request INVITE "sip:uas@[$PX6]" \
		"SIP/2.0/UDP [$UAC6]:5060;branch=z9hG4bK$1" "$1@t" >"$M/$1"
	echo "$M/$1"
}

# --- local addresses added and removed at runtime ---
ip -n sipk-proxy addr add $NEW4/24 dev a-px
check "local: an IPv4 address added at runtime is ours at once" \
	to_uas l4a "$(req4 l4a)" $UAC4 $NEW4 "" $UAS4
ip -n sipk-proxy addr del $NEW4/24 dev a-px
check "local: once removed, datagrams to it are not ours" \
	not_ours l4b "$(req4 l4b)" $UAC4 $NEW4 $UAS4
ip -n sipk-proxy addr add $NEW6/64 dev a-px nodad
check "local: an IPv6 address added at runtime is ours at once" \
	to_uas l6a "$(req6 l6a)" $UAC6 $NEW6 "" $UAS6
ip -n sipk-proxy addr del $NEW6/64 dev a-px
check "local: once removed, IPv6 datagrams to it are not ours" \
	not_ours l6b "$(req6 l6b)" $UAC6 $NEW6 $UAS6
# an address keeps its local route while its interface is down, and
# the stack delivers datagrams to it: so does the hook look at them
local_rx() {
	local before
	before=$(stat rx)
	udp_send sipk-uac $UAC4 5060 "$1" 5060 "$2"
	sleep 0.5
	[ "$(stat rx)" -eq $((before + 1)) ]
}
ip -n sipk-uac route add 198.18.2.0/24 via $PX4
ip -n sipk-proxy link set b-px down
check "local: the address of an interface that is down is still ours" \
	local_rx $PXB4 "$(req4 l4c)"
ip -n sipk-proxy link set b-px up
ip -n sipk-proxy addr replace $PXB6/64 dev b-px nodad
ip -n sipk-uac route del 198.18.2.0/24 via $PX4

# --- cached output routes die with their route and source address ---
check "route: forwarded from $PXB4 (fills the cache)" \
	to_uas r4a "$(req4 r4a)" $UAC4 $PX4 $PXB4 $UAS4
ip -n sipk-proxy addr del $PXB4/24 dev b-px
check "route: the route gone, the request is handed up, not sent" \
	handed_up r4b "$(req4 r4b)" punt_no_route_out
ip -n sipk-proxy addr add $OUT4/24 dev b-px
check "route: a new source address is used at once" \
	to_uas r4c "$(req4 r4c)" $UAC4 $PX4 $OUT4 $UAS4
ip -n sipk-proxy addr del $OUT4/24 dev b-px
ip -n sipk-proxy addr add $PXB4/24 dev b-px
check "route: and the old one again once it is back" \
	to_uas r4d "$(req4 r4d)" $UAC4 $PX4 $PXB4 $UAS4

check "route6: forwarded from $PXB6 (fills the cache)" \
	to_uas r6a "$(req6 r6a)" $UAC6 $PX6 $PXB6 $UAS6
ip -n sipk-proxy addr add $OUT6/64 dev b-px nodad
ip -n sipk-proxy addr del $PXB6/64 dev b-px
check "route6: a new source address is used at once" \
	to_uas r6b "$(req6 r6b)" $UAC6 $PX6 $OUT6 $UAS6
ip -n sipk-proxy addr del $OUT6/64 dev b-px
before=$(stat punt_no_route_out)
listen_in sipk-uas $UAS6 5060 uas-r6c
udp_send sipk-uac $UAC6 5060 $PX6 5060 "$(req6 r6c)"
sleep 0.5
stop_listeners
check "route6: the route gone, the request is not sent" \
	sh -c "[ $(got uas-r6c) = 0 ] && [ $(stat punt_no_route_out) -eq $((before + 1)) ]"
ip -n sipk-proxy addr add $PXB6/64 dev b-px nodad
check "route6: and the old source again once it is back" \
	to_uas r6d "$(req6 r6d)" $UAC6 $PX6 $PXB6 $UAS6
check "changes: no oops or warning" kernel_clean
