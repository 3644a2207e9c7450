# SPDX-License-Identifier: GPL-2.0
# sipkd as a stateful forking proxy (RFC 3261 16.6, 16.7, 16.10), behind
# the kernel hook: two SIPp UASs (ports 5060 and 5062 of the uas
# namespace) register the same AOR, the kernel hands requests for it up
# (punt_fork), sipkd forks them.  Parallel: both ring, one answers, the
# other is cancelled (487), the caller gets one 200 and completes the
# call through sipkd's double Record-Route (RFC 5658); a CANCEL of the
# caller cancels every branch; a 6xx ends the search; the best final
# response goes up (486 before 503, 503 as 500); a forked MESSAGE gets
# one 200; a caller on TCP.  Sequential (by
# q): a 486 or fork-timeout moves on to the next contact, a 6xx ends
# the search there too, a CANCEL stops it.  Asserted on the wire: SIPp's
# results and message logs at the caller and at both UASs.
SIPKD=${SIPKD:-$TOP/build/sipkd}
FD=$WORK/fork
SD=$FD		# where the sipkd helpers of lib.sh work
FDOM=fork.test
AOR=sip:fork@$FDOM
DNS62=198.18.2.53	# dnsmasq in the proxy namespace, as in k_64
HAVE_DNS=$(command -v dnsmasq >/dev/null 2>&1 && echo 1)
rm -rf "$FD"
mkdir -p "$FD"

# fk_conf MODE: the configuration, fork-mode MODE, fork-timeout 2 s
fk_conf() {
	cat >"$FD/sipkd.conf" <<EOF
database = $FD/sipkd.db
kernel-retry = 1
record-route = yes
fork-mode = $1
fork-timeout = 2
${HAVE_DNS:+dns-server = $DNS62}

[domain $FDOM]
EOF
}

# fk_register PORT Q: the uas at $UAS4:PORT registers $AOR with q Q
fk_register() {
	ip netns exec sipk-uas sipp -sf "$SCEN/sipkd_register_q.xml" $PXB4:5060 \
		-key user fork -key domain $FDOM -key q "$2" -i $UAS4 -p "$1" \
		-m 1 -nostdin -timeout 20s >"$FD/reg-$1.out" 2>&1
}

# fk_uas NAME PORT SCENARIO [SIPP-ARGS...]: a SIPp UAS on $UAS4:PORT, in
# the background
fk_uas() {
	rm -f "$WORK/$1".*
	uas sipp -sf "$SCEN/$3" -i $UAS4 -p "$2" -nostdin -bg "${@:4}" \
		-trace_msg -message_file "$WORK/$1.msg" \
		-trace_err -error_file "$WORK/$1.err" >"$WORK/$1.out" 2>&1
	SIPP_UAS_LOG=$WORK/$1.msg
}

# fk_reg_contact USER CONTACT: USER@$FDOM registered with CONTACT (a URI)
fk_reg_contact() {
	ip netns exec sipk-uas sipp -sf "$SCEN/sipkd_reg_contact.xml" $PXB4:5060 \
		-key user "$1" -key domain $FDOM -key contact "$2" -i $UAS4 \
		-p 5068 -m 1 -nostdin -timeout 20s >"$FD/reg-$1.out" 2>&1
}

# fk_call NAME UAC-SCENARIO SCEN-A SCEN-B [SIPP-ARGS...]: uas A (5060,
# q 1) and B (5062, q 0.5) answer with their scenarios, one call from the
# uac to $AOR; logs $WORK/NAME-{uac,A,B}.msg
fk_call() {
	fk_uas "$1-A" 5060 "$3"
	fk_uas "$1-B" 5062 "$4"
	sleep 0.3
	local name=$1 sc=$2
	shift 4
	sipp_uac "$name-uac" -sf "$SCEN/$sc" "$PX4:5060" -key ruri "$AOR" \
		-i $UAC4 -p 5060 -m 1 "$@"
	sipp_uas_wait 2
	[ -n "${SIPK_VM_SCRATCH:-}" ] &&
		cp "$WORK/$name"-*.msg "$SIPK_VM_SCRATCH/" 2>/dev/null
	return 0
}

# seen NAME DIR START [CSEQ-METHOD [HEADER]]: how many messages of
# $WORK/NAME.msg went DIR (sent or received) with a start line beginning
# with START (and that CSeq method, and carrying HEADER)
seen() {
	python3 - "$TOP/tests/selftests" "$WORK/$1.msg" "$2" "$3" "${4:-}" "${5:-}" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import sipplog
try:
    msgs = sipplog.messages(sys.argv[2])
except OSError:
    msgs = []
n = 0
for d, start, hdrs in msgs:
    cseq = (sipplog.hdr(hdrs, 'cseq') or [''])[0].split()
    if d == sys.argv[3] and start.startswith(sys.argv[4]) and \
            (not sys.argv[5] or cseq[1:] == [sys.argv[5]]) and \
            (not sys.argv[6] or sipplog.hdr(hdrs, sys.argv[6])):
        n += 1
print(n)
PY
}

# answers NAME CODE: the distinct To tags of the CODE responses to the
# INVITE the caller received (one answer, however often retransmitted)
answers() {
	python3 - "$TOP/tests/selftests" "$WORK/$1-uac.msg" "$2" <<'PY'
import re, sys
sys.path.insert(0, sys.argv[1])
import sipplog
tags = set()
for d, start, hdrs in sipplog.messages(sys.argv[2]):
    cseq = (sipplog.hdr(hdrs, 'cseq') or [''])[0].split()
    if d == 'received' and start.startswith('SIP/2.0 ' + sys.argv[3]) and \
            cseq[1:] == ['INVITE']:
        m = re.search(r';\s*tag=([^;\s]+)', (sipplog.hdr(hdrs, 'to') or [''])[0])
        tags.add(m.group(1) if m else '')
print(len(tags))
PY
}

# when NAME DIR START: the time (seconds) of the first such message
when() {
	python3 - "$WORK/$1.msg" "$2" "$3" <<'PY'
import re, sys, datetime
text = open(sys.argv[1], 'rb').read().decode('utf-8', 'replace')
pat = re.compile(r'^-{10,} (\S+ \S+)\s*\n\s*UDP message (received|sent)[^\n]*\n\n([^\r\n]*)', re.M)
for m in pat.finditer(text):
    if m.group(2) == sys.argv[2] and m.group(3).startswith(sys.argv[3]):
        t = datetime.datetime.strptime(m.group(1)[:26], '%Y-%m-%d %H:%M:%S.%f')
        print('%.3f' % t.timestamp())
        break
PY
}

# fk_kloc N: within 5 s the kernel has N contacts of $AOR (owner daemon)
fk_kloc() {
	local i n
	for i in $(seq 50); do
		n=$(pctl loc show | grep -F "$AOR" | grep -c 'owner daemon')
		[ "$n" = "$1" ] && return 0
		sleep 0.1
	done
	pctl loc show
	return 1
}

# is N OP M: a numeric comparison that shows its operands
is() { echo "$1 $2 $3"; [ "$1" "$2" "$3" ]; }
# later A B SECONDS: time B is at least SECONDS after time A
later() {
	echo "$1 -> $2 (want >= $3 s later)"
	[ -n "$1" ] && [ -n "$2" ] &&
		python3 -c 'import sys; sys.exit(0 if float(sys.argv[2]) - float(sys.argv[1]) >= float(sys.argv[3]) else 1)' "$1" "$2" "$3"
}

# the settings: bad values refused with file and line named (exit 3)
fk_bad_conf() { # TEXT MESSAGE
	local out rc
	printf '%s\n' "$1" >"$FD/bad.conf"
	out=$("$SIPKD" -t -c "$FD/bad.conf" 2>&1)
	rc=$?
	echo "exit $rc: $out"
	[ "$rc" = 3 ] && echo "$out" | grep -qF "$2"
}
check "fork: fork-mode other than parallel or sequential: exit 3, named" \
	fk_bad_conf 'fork-mode = random' 'bad.conf:1: invalid value "random" for fork-mode (want parallel or sequential)'
check "fork: fork-timeout 0: exit 3, named" \
	fk_bad_conf $'record-route = yes\nfork-timeout = 0' 'bad.conf:2: invalid value "0" for fork-timeout'
check "fork: fork-mode sequential, fork-timeout 30 accepted" sh -c "
	printf 'fork-mode = sequential\nfork-timeout = 30\n' >'$FD/ok.conf' &&
	'$SIPKD' -t -c '$FD/ok.conf'"

mod_load
topo_up
if [ -n "$HAVE_DNS" ]; then
	ip -n sipk-proxy addr add $DNS62/32 dev lo
	ip netns exec sipk-proxy dnsmasq --no-daemon --conf-file=/dev/null \
		--no-resolv --no-hosts --user=root --group=root --pid-file= \
		--listen-address=$DNS62 --bind-interfaces --port=53 \
		--log-queries --log-facility="$FD/dnsmasq.log" \
		--local=/name.test/ --host-record=uasname.name.test,$UAS4 \
		>"$FD/dnsmasq.out" 2>&1 &
	DNSMASQ_PID=$!
fi
fk_conf parallel
check "fork: sipkd starts, fork-mode parallel" sipkd_start
check "fork: uas A ($UAS4:5060) registers $AOR with q 1" fk_register 5060 1.0
check "fork: uas B ($UAS4:5062) registers $AOR with q 0.5" fk_register 5062 0.5
check "fork: the kernel has both contacts of the AOR" fk_kloc 2

# ---- parallel: both ring, A answers, B is cancelled ----
pctl stats reset
fk_call pa uac_rr.xml uas_fork_answer.xml uas_cancel.xml
check "fork parallel: the call completes (INVITE, 200, ACK, BYE, 200)" sipp_ok pa-uac 1
check "fork parallel: the kernel handed the INVITE up (punt_fork)" counters "punt_fork>=1"
check "fork parallel: both UASs got the INVITE (both rang)" eval '
	[ $(seen pa-A received INVITE) -ge 1 ] && [ $(seen pa-B received INVITE) -ge 1 ]'
check "fork parallel: B got a CANCEL, answered 487, got the ACK of it" eval '
	is $(seen pa-B received CANCEL) -ge 1 && is $(seen pa-B sent '\''SIP/2.0 487'\'') -ge 1 &&
	is $(seen pa-B received ACK) -ge 1'
check "fork parallel: the caller got exactly one 200 to its INVITE, no 487" eval '
	is $(answers pa 200) -eq 1 && is $(answers pa 487) -eq 0'
check "fork parallel: A got the ACK and the BYE through sipkd" eval '
	is $(seen pa-A received ACK) -ge 1 && is $(seen pa-A received BYE) -ge 1'
check "fork parallel: the INVITE carried sipkd's double Record-Route (RFC 5658)" \
	$SIPPLOG rr "$WORK/pa-A.msg" 1
check "fork parallel: ACK and BYE were routed by it (two Routes followed)" \
	$SIPPLOG routed "$WORK/pa-uac.msg" 1 ACK BYE
check "fork parallel: ... and arrived at A with both Routes removed" eval '
	is $(seen pa-A received ACK "" route) -eq 0 && is $(seen pa-A received BYE "" route) -eq 0'

# ---- parallel: the caller cancels ----
fk_call pc uac_cancel_fork.xml uas_cancel.xml uas_cancel.xml
check "fork CANCEL: the caller's scenario ends well (200 to the CANCEL, 487, ACK)" \
	sipp_ok pc-uac 1
check "fork CANCEL: both branches got a CANCEL and answered 487" eval '
	is $(seen pc-A received CANCEL) -ge 1 && is $(seen pc-A sent '\''SIP/2.0 487'\'') -ge 1 &&
	is $(seen pc-B received CANCEL) -ge 1 && is $(seen pc-B sent '\''SIP/2.0 487'\'') -ge 1'
check "fork CANCEL: the caller got one 487 and no 200 to its INVITE" eval '
	is $(answers pc 487) -eq 1 && is $(answers pc 200) -eq 0 &&
	is $(seen pc-uac received '\''SIP/2.0 200'\'' CANCEL) -ge 1'

# ---- parallel: a 6xx ends it ----
fk_call p6 uac_decline.xml uas_decline.xml uas_cancel.xml
check "fork 6xx: the caller gets the 603" sipp_ok p6-uac 1
check "fork 6xx: the other branch is cancelled (CANCEL, 487)" eval '
	is $(seen p6-B received CANCEL) -ge 1 && is $(seen p6-B sent '\''SIP/2.0 487'\'') -ge 1'
check "fork 6xx: the caller got no 487" eval 'is $(answers p6 487) -eq 0'
# ---- parallel: both fail, the best response goes up ----
fk_call pb uac_busy.xml uas_503.xml uas_busy.xml
check "fork best response: 503 and 486: the caller gets the 486 (4xx before 5xx)" \
	sipp_ok pb-uac 1
check "fork best response: nothing else reached the caller, both branches were ACKed" eval '
	is $(answers pb 503) -eq 0 && is $(answers pb 500) -eq 0 && is $(answers pb 486) -eq 1 &&
	is $(seen pb-A received ACK) -ge 1 && is $(seen pb-B received ACK) -ge 1'

fk_call p5 uac_500.xml uas_503.xml uas_503.xml
check "fork best response: 503 from both: the caller gets 500 (RFC 3261 16.7 step 6)" eval '
	sipp_ok p5-uac 1 && is $(answers p5 503) -eq 0 && is $(answers p5 500) -eq 1'

# ---- parallel, the caller on TCP: forked over UDP, answered on its connection ----
fk_call pt uac_rr.xml uas_fork_answer.xml uas_cancel.xml -t t1
check "fork over TCP from the caller: the call completes, B was cancelled" eval '
	sipp_ok pt-uac 1 && is $(seen pt-B received CANCEL) -ge 1 &&
	is $(seen pt-A received BYE) -ge 1'

# ---- parallel, non-INVITE: both answer, one 200 goes up ----
fk_call pm uac_message.xml uas_message.xml uas_message.xml
check "fork MESSAGE: forked to both UASs, the caller gets its 200" eval '
	sipp_ok pm-uac 1 &&
	is $(seen pm-A received MESSAGE) -ge 1 && is $(seen pm-B received MESSAGE) -ge 1'
check "fork MESSAGE: exactly one 200 reached the caller" eval '
	is $(seen pm-uac received "SIP/2.0 200" MESSAGE) -eq 1'
# ---- parallel, one contact over TCP (;transport=tcp), one over UDP ----
# The caller is on TCP too: the kernel has only the UDP contact of this
# AOR (the other stays in userspace) and would not hand a UDP INVITE up.
AORT=sip:forkt@$FDOM
check "fork TCP: uas T registers $AORT -> sip:forkt@$UAS4:5066;transport=tcp" \
	fk_reg_contact forkt "sip:forkt@$UAS4:5066;transport=tcp"
check "fork TCP: uas U registers $AORT -> sip:forkt@$UAS4:5064 (UDP)" \
	fk_reg_contact forkt "sip:forkt@$UAS4:5064"
TCP0=$(sipkd_stat fwd_tcp)
fk_uas tt-U 5064 uas_cancel.xml
fk_uas tt-T 5066 uas_fork_answer.xml -t t1
sleep 0.3
sipp_uac tt-uac -sf "$SCEN/uac_rr.xml" "$PX4:5060" -key ruri "$AORT" \
	-i $UAC4 -p 5060 -m 1 -t t1
sipp_uas_wait 2
[ -n "${SIPK_VM_SCRATCH:-}" ] && cp "$WORK"/tt-*.msg "$SIPK_VM_SCRATCH/" 2>/dev/null
check "fork TCP: the call completes (INVITE, 200, ACK, BYE, 200)" sipp_ok tt-uac 1
check "fork TCP: both contacts got the INVITE" eval '
	is $(seen tt-T received INVITE) -ge 1 && is $(seen tt-U received INVITE) -ge 1'
check "fork TCP: T got it over TCP (SIPp: TCP message, Via SIP/2.0/TCP), sipkd counted it" eval '
	grep -q "TCP message received" "$WORK/tt-T.msg" &&
	! grep -q "UDP message" "$WORK/tt-T.msg" &&
	grep -qE "^Via: SIP/2.0/TCP $PXB4" "$WORK/tt-T.msg" &&
	is $(sipkd_stat fwd_tcp) -gt "$TCP0"'
check "fork TCP: T answered 200, U got a CANCEL over UDP, answered 487, got the ACK" eval '
	is $(seen tt-T sent "SIP/2.0 200" INVITE) -ge 1 &&
	is $(seen tt-U received CANCEL) -ge 1 && is $(seen tt-U sent "SIP/2.0 487") -ge 1 &&
	is $(seen tt-U received ACK) -ge 1'
check "fork TCP: the caller got one 200, no 487; T got the ACK and the BYE" eval '
	is $(answers tt 200) -eq 1 && is $(answers tt 487) -eq 0 &&
	is $(seen tt-T received ACK) -ge 1 && is $(seen tt-T received BYE) -ge 1'

# ---- parallel, a contact with a host name (dnsmasq), one without a name ----
if [ -n "$HAVE_DNS" ]; then
	AORN=sip:forkn@$FDOM
	check "fork DNS: $AORN registered: uasname.name.test:5064, $UAS4:5066, nx.name.test" eval '
		fk_reg_contact forkn "sip:forkn@uasname.name.test:5064" &&
		fk_reg_contact forkn "sip:forkn@$UAS4:5066" &&
		fk_reg_contact forkn "sip:forkn@nx.name.test"'
	fk_uas tn-U 5066 uas_cancel.xml
	fk_uas tn-N 5064 uas_fork_answer.xml
	sleep 0.3
	sipp_uac tn-uac -sf "$SCEN/uac_rr.xml" "$PX4:5060" -key ruri "$AORN" \
		-i $UAC4 -p 5060 -m 1 -t t1
	sipp_uas_wait 2
	check "fork DNS: the call completes through the named contact" eval '
		sipp_ok tn-uac 1 && is $(seen tn-N received INVITE) -ge 1 &&
		is $(seen tn-N received BYE) -ge 1 && is $(answers tn 200) -eq 1'
	check "fork DNS: the contact with an address rang and was cancelled (487)" eval '
		is $(seen tn-U received INVITE) -ge 1 && is $(seen tn-U received CANCEL) -ge 1 &&
		is $(seen tn-U sent "SIP/2.0 487") -ge 1'
	check "fork DNS: dnsmasq was asked for uasname.name.test; nx.name.test: a 404 branch" eval '
		grep -qF "query[A] uasname.name.test " "$FD/dnsmasq.log" &&
		grep -qF "fork: cannot locate sip:forkn@nx.name.test: no such name" "$SD/cur.log"'
else
	ktap_skip "fork DNS: a contact with a host name" "no dnsmasq"
fi

check "fork: sipkd counted its forks and CANCELs" eval '
	is $(sipkd_stat fork) -ge 5 && is $(sipkd_stat fork_cancel) -ge 4'

# ---- sequential ----
check "fork: sipkd stopped" sipkd_stop
fk_conf sequential
check "fork: sipkd restarted, fork-mode sequential, fork-timeout 2 s" sipkd_start
check "fork: both bindings back from the database, in the kernel again" \
	fk_kloc 2
fk_call s4 uac_rr.xml uas_busy.xml uas_fork_answer.xml
check "fork sequential: A (q 1) says 486, B (q 0.5) answers: the call completes" \
	sipp_ok s4-uac 1
check "fork sequential: B got the INVITE only after A's 486" \
	later "$(when s4-A sent 'SIP/2.0 486')" "$(when s4-B received INVITE)" 0
check "fork sequential: sipkd ACKed A's 486, the caller never saw it" eval '
	is $(seen s4-A received ACK) -ge 1 && is $(answers s4 486) -eq 0 &&
	is $(answers s4 200) -eq 1'

fk_call st uac_rr.xml uas_cancel.xml uas_fork_answer.xml
check "fork sequential: A rings and does not answer, B answers: the call completes" \
	sipp_ok st-uac 1
check "fork sequential: after fork-timeout (2 s) A is cancelled (CANCEL, 487)" eval '
	is $(seen st-A received CANCEL) -ge 1 && is $(seen st-A sent '\''SIP/2.0 487'\'') -ge 1'
check "fork sequential: B got the INVITE about 2 s after A" \
	later "$(when st-A received INVITE)" "$(when st-B received INVITE)" 1.8

fk_call s6 uac_decline.xml uas_decline.xml uas_fork_answer.xml
check "fork sequential: A declines (603): the caller gets it" sipp_ok s6-uac 1
check "fork sequential: a 6xx ends the search: B never got the INVITE" eval '
	is $(seen s6-B received INVITE) -eq 0'

fk_call sc uac_cancel.xml uas_cancel.xml uas_fork_answer.xml
check "fork sequential: the caller cancels while A rings (200, 487, ACK)" sipp_ok sc-uac 1
check "fork sequential: A got the CANCEL, B never got the INVITE" eval '
	is $(seen sc-A received CANCEL) -ge 1 && is $(seen sc-B received INVITE) -eq 0'

# equal q: one group, tried in parallel within the sequential search
check "fork: uas B registers again, now with q 1 as A" fk_register 5062 1.0
fk_call sq uac_rr.xml uas_fork_answer.xml uas_cancel.xml
check "fork sequential, equal q: the call completes" sipp_ok sq-uac 1
check "fork sequential, equal q: both rang at once, B was cancelled" eval '
	is $(seen sq-B received INVITE) -ge 1 && is $(seen sq-B received CANCEL) -ge 1 &&
	is $(answers sq 200) -eq 1'
check "fork sequential, equal q: B got the INVITE with A, not after a timeout" \
	later "$(when sq-B received INVITE)" "$(when sq-A received INVITE)" -1

check "fork: sipkd still running" kill -0 "$SIPKD_PID"
check "fork: sipkd stopped cleanly (exit 0)" sipkd_stop
check "fork: no error in its log" eval '! grep -E " (error): " "$FD/all.log"'
check "fork: no oops or warning" kernel_clean
[ -n "${DNSMASQ_PID:-}" ] && { kill "$DNSMASQ_PID"; wait "$DNSMASQ_PID"; } 2>/dev/null
[ -n "${SIPK_VM_SCRATCH:-}" ] && cp "$FD/all.log" "$SIPK_VM_SCRATCH/sipkd-fork.log" 2>/dev/null
true
