# SPDX-License-Identifier: GPL-2.0
# bench plug-in: sipk.ko's fast path, no daemon anywhere.  The module
# forwards in the proxy namespace's PRE_ROUTING hook, in softirq; nothing
# listens on the proxy's port 5060, and the namespace does not route IP,
# so whatever reaches the uas went through the module.
SYS_NAME=sipk
SYS_DESC="sipk.ko fast path (no daemon)"
SYS_SCALE=1

# sys_setup N: load the module and N contacts u0000000..: sip:uI@PX4 -> sip:uI@UAS4:5060
sys_setup() {
	mod_unload
	mod_load || return 1
	# The module hooks every namespace; the endpoints stand for other
	# machines, where no sipk runs: move their SIP port out of the way.
	ip netns exec sipk-uac "$SIPKCTL" config set port 9 &&
		ip netns exec sipk-uas "$SIPKCTL" config set port 9 || return 1
	pctl config set max-entries 4000000 || return 1
	pctl stats reset
	[ "$1" -gt 0 ] || return 0
	sys_batch 0 "$1" "$WORK/sipk-setup.batch" &&
		sys_bulk_load "$WORK/sipk-setup.batch"
}

# sys_batch FIRST COUNT FILE: what sys_bulk_load reads (not timed)
sys_batch() {
	"$SIPLOAD" batch --first "$1" --count "$2" --aor-host "$PX4" \
		--contact-host "$UAS4:5060" >"$3"
}

# sys_bulk_load FILE: the timed part of a bulk load
sys_bulk_load() { pctl -b "$1"; }

# sys_entries: how many contacts the system holds
sys_entries() {
	pctl -j config show | grep -o '"entries": *[0-9]*' | grep -o '[0-9]*$'
}

sys_add_aor() { pctl loc add "sip:$1@$PX4" contact "sip:$1@$UAS4:5060"; }
sys_target() { echo "$PX4:5060"; }
sys_sink_expect() {
	echo "--hops 2 --max-forwards 69 --via-host $PXB4 --branch-prefix z9hG4bKsk" \
		"--expect-src $PXB4:5060 --ruri-host $UAS4"
}
sys_resp_src() { echo "$PX4:5060"; }
sys_stats() { pctl -j stats; }
sys_teardown() { mod_unload; }
