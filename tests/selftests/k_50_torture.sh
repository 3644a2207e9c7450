# SPDX-License-Identifier: GPL-2.0
# The 49 RFC 4475 torture messages, byte-exact, at the hook, with
# location entries that would route their Request-URIs: an invalid
# message never leaves the proxy (its exact bytes reach the local
# socket), every message comes out exactly once (forwarded to the uas or
# handed up), and what is forwarded is sound SIP with our Via on top.
TORTURE=${SIPK_TESTDATA:-$TOP/../shared/testdata}/rfc4475

mod_load
topo_up
if [ ! -d "$TORTURE" ]; then
	ktap_skip "torture: RFC 4475 corpus" "not found at $TORTURE"
else
	# the Request-URI AORs of the corpus (REGISTERs and responses aside;
	# intmeth's user part has a ':' that reads as a password: refused)
	cat >"$WORK/torture.batch" <<-EOF
	loc add sip:user@example.com contact sip:torture@$UAS4:5060
	loc add sip:user@example.org contact sip:torture@$UAS4:5060
	loc add sip:t.watson@example.org contact sip:torture@$UAS4:5060
	loc add sip:user@company.com contact sip:torture@$UAS4:5060
	loc add sip:UserB@example.com contact sip:torture@$UAS4:5060
	loc add sip:remote-target@example.com contact sip:torture@$UAS4:5060
	loc add sip:kumiko@example.org contact sip:torture@$UAS4:5060
	loc add sip:vivekg@chair-dnrc.example.com contact sip:torture@$UAS4:5060
	loc add sip:sips%3Auser%40example.com@example.net contact sip:torture@$UAS4:5060
	loc add sip:user;par=u%40example.net@example.com contact sip:torture@$UAS4:5060
	EOF
	check "torture: location entries for the corpus's Request-URIs" \
		pctl -b "$WORK/torture.batch"
	pctl stats reset
	listen_in sipk-proxy $PX4 5060 t-px 60
	listen_in sipk-uas $UAS4 5060 t-uas 60
	NT=$(ls "$TORTURE"/*.dat | wc -l)
	udp_send sipk-uac $UAC4 5060 $PX4 5060 "$TORTURE"/*.dat
	torture_all_in() { # every file arrived somewhere, then a grace period
		local i
		for i in $(seq 300); do
			[ $(($(got t-px) + $(got t-uas))) -ge "$NT" ] && break
			sleep 0.05
		done
		sleep 1
	}
	torture_all_in
	stop_listeners
	ktap_diag "torture: $NT files sent, $(got t-uas) forwarded, $(got t-px) handed up"
	python3 "$TOP/tests/selftests/torture.py" check "$TORTURE" \
		"$WORK/t-uas" "$WORK/t-px" "$PXB4:5060" >"$WORK/torture.out" 2>&1 ||
		echo "not ok torture: the checker ran" >>"$WORK/torture.out"
	while IFS= read -r line; do
		case $line in
		"ok "*) ktap_ok "${line#ok }" ;;
		"not ok "*) ktap_not_ok "${line#not ok }" ;;
		*) echo "$line" ;;
		esac
	done <"$WORK/torture.out"
	# A datagram larger than the link MTU arrives in fragments: unless
	# nf_defrag is active in the namespace (conntrack), the stack
	# reassembles it only for the socket and the hook never sees it.
	NSMALL=$(find "$TORTURE" -name '*.dat' -size -1473c | wc -l)
	check "torture: rx counts every datagram that arrives unfragmented" \
		counters "rx>=$NSMALL" "rx<=$NT"
	check "torture: fwd_request counts exactly what reached the uas" \
		counters "fwd_request==$(got t-uas)"
	check "torture: punt_malformed counts at least the 22 invalid messages" \
		counters "punt_malformed>=22"
fi
check "torture: no oops or warning" kernel_clean
