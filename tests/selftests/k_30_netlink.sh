# SPDX-License-Identifier: GPL-2.0
# The generic netlink family, message by message (nltest.py): for every
# command, the refusals (errno and extended-ACK text) of missing, malformed,
# unknown and out-of-range attributes, nests without NLA_F_NESTED, unknown
# flags, callers without CAP_NET_ADMIN; round trips; dumps racing changes.
# Runs in a network namespace of its own, so that it starts from empty
# tables and leaves nothing behind.
NL_NS=sipk-nl
check "netlink: insmod sipk.ko" mod_load
ip netns del $NL_NS 2>/dev/null
check "netlink: namespace $NL_NS" ip netns add $NL_NS

nl_status=
while IFS= read -r line; do
	case $line in
	"PASS "*) ktap_ok "netlink: ${line#PASS }" ;;
	"FAIL "*) ktap_not_ok "netlink: ${line#FAIL }" ;;
	"# "*) echo "$line" ;;
	"nltest-exit "*) nl_status=${line#nltest-exit } ;;
	*) ktap_diag "nltest: $line" ;;
	esac
done < <(ip netns exec $NL_NS python3 "$TOP/tests/selftests/nltest.py" \
		${SIPK_NL_RACE_SECONDS:+--race-seconds "$SIPK_NL_RACE_SECONDS"} 2>&1
	 echo "nltest-exit $?")
check "netlink: nltest.py ran to the end (exit $nl_status)" \
	test "$nl_status" = 0 -o "$nl_status" = 1
ip netns del $NL_NS
# the namespace goes with its tables; the module must let go of it all
check "netlink: rmmod after the namespace is gone" \
	sh -c 'for i in $(seq 50); do rmmod sipk 2>/dev/null && exit 0; sleep 0.1; done; exit 1'
check "netlink: no oops or warning" kernel_clean
