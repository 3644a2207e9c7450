# SPDX-License-Identifier: GPL-2.0
# bench plug-in: the kernel's plain IP forwarding, the limit.  The same
# datagrams (same Request-URI, same size) are sent straight to the uas's
# address and routed through the proxy namespace with ip_forward on; no
# SIP processing anywhere, they arrive unchanged.
SYS_NAME=ipfwd
SYS_DESC="plain kernel IP forwarding (the limit)"
SYS_SCALE=0

sys_setup() {
	mod_unload
	proxy sysctl -qw net.ipv4.ip_forward=1 || return 1
	uac ip route replace 198.18.2.0/24 via "$PX4" || return 1
	uas ip route replace 198.18.1.0/24 via "$PXB4" || return 1
}
sys_add_aor() { :; }
sys_target() { echo "$UAS4:5060"; }
sys_sink_expect() {
	echo "--hops 1 --max-forwards 70 --via-host $UAC4 --expect-src $UAC4" \
		"--ruri-host $PX4"
}
sys_resp_src() { echo "$UAS4:5060"; }
sys_stats() { :; }
sys_teardown() {
	uac ip route del 198.18.2.0/24 2>/dev/null
	uas ip route del 198.18.1.0/24 2>/dev/null
	proxy sysctl -qw net.ipv4.ip_forward=0
	return 0
}
