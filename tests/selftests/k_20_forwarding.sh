# SPDX-License-Identifier: GPL-2.0
# What the fast path does to single messages, checked byte by byte at
# the far end: retargeting, Via push/pop, Max-Forwards, rport/received,
# hand-ups (exact bytes reach the local socket), forged responses,
# foreign Routes, aliases, redirect, forking, expiry.
mod_load
topo_up
pctl loc add sip:uas@$PX4 contact sip:uas@$UAS4:5060 >/dev/null
M=$WORK/msg
mkdir -p "$M"

# --- a request with rport, and its response back through the proxy ---
sip_request INVITE sip:uas@$PX4 \
	"SIP/2.0/UDP $UAC4:5099;branch=z9hG4bKrp1;rport" rp1@t >"$M/rp1"
listen_in sipk-uas $UAS4 5060 uas1
udp_send sipk-uac $UAC4 5070 $PX4 5060 "$M/rp1"
wait_got uas1 1
F=$WORK/uas1/0000
check "fwd: request reaches the contact" test -s "$F"
check "fwd: Request-URI retargeted to the contact" \
	grep -q "^INVITE sip:uas@$UAS4:5060 SIP/2.0"$'\r'\$ "$F"
check "fwd: our Via on top, stateless branch" \
	sh -c "head -n 2 '$F' | grep -qE '^Via: SIP/2.0/UDP $PXB4:5060;branch=z9hG4bKsk[0-9a-f]{32}'"
check "fwd: previous Via gets rport=5070 and received (RFC 3581)" \
	grep -q "^Via: SIP/2.0/UDP $UAC4:5099;branch=z9hG4bKrp1;rport=5070;received=$UAC4"$'\r'\$ "$F"
check "fwd: Max-Forwards decremented" grep -q '^Max-Forwards: 69' "$F"
check "fwd: datagram came from the proxy's port 5060" \
	grep -q "^$PXB4 5060" "$F.from"
stop_listeners

$SIPNET answer "$F" 200 "$M/rp1.200"
listen_in sipk-uac $UAC4 5070 uac1
listen_in sipk-uac $UAC4 5099 uac1b
udp_send sipk-uas $UAS4 5060 $PXB4 5060 "$M/rp1.200"
wait_got uac1 1
check "fwd: response goes to rport (5070), not the sent-by port" \
	test "$(got uac1)" = 1 -a "$(got uac1b)" = 0
check "fwd: response has our Via removed" \
	sh -c "grep -c '^Via:' '$WORK/uac1/0000' | grep -qx 1 && grep -q 'branch=z9hG4bKrp1;rport=5070' '$WORK/uac1/0000'"
stop_listeners

# --- retransmission: same bytes in, same bytes out ---
listen_in sipk-uas $UAS4 5060 uas2
udp_send sipk-uac $UAC4 5070 $PX4 5060 "$M/rp1" "$M/rp1"
wait_got uas2 2
check "fwd: a retransmission is forwarded identically (same branch)" \
	cmp "$WORK/uas2/0000" "$WORK/uas2/0001"
stop_listeners

# --- hand-ups: the exact bytes reach a listener on the proxy ---
sip_request OPTIONS sip:uas@$PX4 "SIP/2.0/UDP $UAC4:5060;branch=z9hG4bKmf0" mf0@t |
	sed 's/^Max-Forwards: 70/Max-Forwards: 0/' >"$M/mf0"
check "hand-up: Max-Forwards 0 reaches the local socket unchanged" \
	handed_up mf0 "$M/mf0" punt_max_forwards
sip_request INVITE sip:nobody@$PX4 "SIP/2.0/UDP $UAC4:5060;branch=z9hG4bKnb" nb@t >"$M/nb"
check "hand-up: unknown AOR reaches the local socket unchanged" \
	handed_up nb "$M/nb" punt_no_route
sip_request REGISTER sip:$PX4 "SIP/2.0/UDP $UAC4:5060;branch=z9hG4bKrg" rg@t >"$M/rg"
check "hand-up: REGISTER is the registrar's" handed_up rg "$M/rg" punt_register
sip_request INVITE sip:uas@$PX4 "SIP/2.0/UDP $UAC4:5060;branch=z9hG4bKfr" fr@t \
	"Route: <sip:198.18.9.9;lr>" >"$M/fr"
check "abuse: a foreign Route is not relayed (handed up)" \
	handed_up fr "$M/fr" punt_foreign_route
sip_request INVITE sip:uas@$PX4 "SIP/2.0/UDP $UAC4:5060;branch=z9hG4bKfr2" fr2@t \
	"Route: <sip:$PX4;lr;sk=0123456789abcdef>" >"$M/fr2"
check "abuse: a Route naming us with a forged MAC is not followed" \
	handed_up fr2 "$M/fr2" punt_foreign_route

# --- forged responses ---
{
	printf 'SIP/2.0 200 OK\r\n'
	printf 'Via: SIP/2.0/UDP %s:5060;branch=z9hG4bKsk%032d\r\n' $PXB4 0
	printf 'Via: SIP/2.0/UDP %s:5077;branch=z9hG4bKvictim\r\n' $UAC4
	printf 'From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: forged@t\r\n'
	printf 'CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n'
} >"$M/forged"
forged_not_relayed() {
	local before
	before=$(stat punt_bad_mac)
	listen_in sipk-uac $UAC4 5077 victim
	udp_send sipk-uas $UAS4 5060 $PXB4 5060 "$M/forged"
	sleep 0.5
	stop_listeners
	[ "$(got victim)" = 0 ] && [ "$(stat punt_bad_mac)" -eq $((before + 1)) ]
}
check "abuse: a response with our branch prefix but a bad MAC is not relayed" \
	forged_not_relayed
sed 's/branch=z9hG4bKsk0*/branch=z9hG4bKother/' "$M/forged" >"$M/notours"
notours_not_relayed() {
	local before
	before=$(stat punt_not_ours)
	listen_in sipk-uac $UAC4 5077 victim2
	udp_send sipk-uas $UAS4 5060 $PXB4 5060 "$M/notours"
	sleep 0.5
	stop_listeners
	[ "$(got victim2)" = 0 ] && [ "$(stat punt_not_ours)" -eq $((before + 1)) ]
}
check "abuse: a response whose top Via is not ours is not relayed" \
	notours_not_relayed

# --- alias, redirect, fork, expiry ---
# forwarded_to NAME FILE RURI: the request reaches the uas, retargeted
forwarded_to() {
	listen_in sipk-uas $UAS4 5060 uas-$1
	udp_send sipk-uac $UAC4 5060 $PX4 5060 "$2"
	wait_got uas-$1 1
	stop_listeners
	head -n 1 "$WORK/uas-$1/0000" | grep -q "^INVITE $3 SIP/2.0"
}
pctl alias add sip:alice@$PX4 target sip:uas@$PX4
sip_request INVITE sip:alice@$PX4 "SIP/2.0/UDP $UAC4:5060;branch=z9hG4bKal" al@t >"$M/al"
check "alias: alice -> uas resolved in the kernel" \
	forwarded_to al "$M/al" "sip:uas@$UAS4:5060"

pctl loc add sip:red@$PX4 contact sip:red@$UAS4:5060 redirect
sip_request INVITE sip:red@$PX4 "SIP/2.0/UDP $UAC4:5060;branch=z9hG4bKrd" rd@t >"$M/rd"
check "redirect: a redirect contact is handed up" handed_up rd "$M/rd" punt_redirect

pctl loc add sip:two@$PX4 contact sip:two-a@$UAS4:5060 q 0.5
pctl loc add sip:two@$PX4 contact sip:two-b@$UAS4:5060 q 0.9
sip_request INVITE sip:two@$PX4 "SIP/2.0/UDP $UAC4:5060;branch=z9hG4bKtw" tw@t >"$M/tw"
check "fork: an AOR with two live contacts is handed up" \
	handed_up tw "$M/tw" punt_fork
pctl config set fork-policy best-q
check "fork: with fork-policy best-q the highest q is taken" \
	forwarded_to tw "$M/tw" "sip:two-b@$UAS4:5060"
pctl config set fork-policy hand-up

pctl loc add sip:brief@$PX4 contact sip:brief@$UAS4:5060 expires 5
sip_request INVITE sip:brief@$PX4 "SIP/2.0/UDP $UAC4:5060;branch=z9hG4bKex" ex@t >"$M/ex"
check "expiry: a live entry is used" forwarded_to ex1 "$M/ex" "sip:brief@$UAS4:5060"
sleep 6
check "expiry: an expired entry is never used" handed_up ex "$M/ex" punt_no_route
check "expiry: the kernel collected it" \
	sh -c "! ip netns exec sipk-proxy $SIPKCTL loc show | grep -q brief@"
check "expiry: counted" sh -c "[ \$(ip netns exec sipk-proxy $SIPKCTL -j stats | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get(\"stats\",d)[\"expired\"])') -ge 1 ]"
check "forwarding: no oops or warning" kernel_clean
