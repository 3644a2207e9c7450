# SPDX-License-Identifier: GPL-2.0
# bench plug-in: Kamailio (the Debian package) as a stateless proxy in the
# proxy namespace: lookup("location") then forward(), configuration in
# bench/kamailio/kamailio.cfg.  The location table is filled with
# REGISTERs before measuring.  Runs with its own runtime directory under
# $WORK: it neither needs nor disturbs a kamailio.service of the machine.
SYS_NAME=kamailio
SYS_DESC="Kamailio $(kamailio -v 2>/dev/null | sed -n 's/^version: kamailio \([^ ]*\).*/\1/p') stateless (lookup + forward)"
SYS_SCALE=0
KAM_CFG=$TOP/bench/kamailio/kamailio.cfg
KAM_DIR=$WORK/kamailio
# UDP worker processes per listening socket: 4 did best on one CPU (1 and
# 2 saturate lower); more than one may reorder a 180 behind its 200, which
# SIPp is told to tolerate (bench/lib/vm_main.sh)
KAM_CHILDREN=${BENCH_KAMAILIO_CHILDREN:-4}

kam_register() {
	uac "$SIPLOAD" register --src "$UAC4:5090" --dst "$PX4:5060" \
		--aor-host "$PX4" --contact-host "$UAS4:5060" "$@"
}

# kam_start [-A DEFINE]...: Kamailio in the proxy namespace
kam_start() {
	mod_unload
	rm -rf "$KAM_DIR"
	mkdir -p "$KAM_DIR"
	# all of Kamailio on the proxy's CPU, where its receive softirq runs too
	proxy taskset -c "$CPU_PROXY" kamailio -f "$KAM_CFG" -DD -E -m 256 -M 16 \
		-Y "$KAM_DIR" -P "$KAM_DIR/kamailio.pid" -w "$KAM_DIR" \
		-A "PX=$PX4" -A "PXB=$PXB4" -A "CHILDREN=$KAM_CHILDREN" "$@" \
		>"$KAM_DIR/log" 2>&1 &
	KAM_PID=$!
}

sys_setup() {
	kam_start
	# up when it answers a REGISTER (register retransmits meanwhile)
	kam_register --user probe >/dev/null || {
		tail -n 20 "$KAM_DIR/log" >&2
		return 1
	}
	[ "$1" -gt 0 ] || return 0
	kam_register --count "$1" >/dev/null
}

sys_add_aor() { kam_register --user "$1" >/dev/null; }
sys_target() { echo "$PX4:5060"; }
sys_sink_expect() {
	echo "--hops 2 --max-forwards 69 --via-host $PXB4" \
		"--expect-src $PXB4:5060 --ruri-host $UAS4"
}
# replies leave by the socket they came in on (uas side): no mhomed lookups
sys_resp_src() { echo "$PXB4:5060"; }
sys_stats() { :; }
sys_teardown() {
	[ -n "${KAM_PID:-}" ] || return 0
	kill "$KAM_PID" 2>/dev/null
	wait "$KAM_PID" 2>/dev/null
	KAM_PID=
	# the workers follow their parent; make sure none survives
	ip netns pids sipk-proxy | xargs -r kill 2>/dev/null
	return 0
}

# registration bench (bench/lib/vm_main.sh): registrar + usrloc in memory
# (db_mode 0); with AUTH=1 digest auth (auth module, MD5, qop=auth) with
# the users' HA1s in an htable loaded from a db_text table at start
REG_PASSWORD=${REG_PASSWORD:-bench-secret}
sys_reg_setup() {
	local cred=$WORK/kamailio-cred
	if [ "$1" = 1 ]; then
		rm -rf "$cred"
		mkdir -p "$cred"
		"$SIPLOAD" creds --count "$2" --realm "$PX4" \
			--password "$REG_PASSWORD" --format kamailio >"$cred/cred" || return 1
		printf 'table_name(string) table_version(int)\ncred:2\n' >"$cred/version"
		kam_start -A AUTH -A "CREDURL=\"text://$cred\""
	else
		kam_start
	fi
	# up when it listens on both addresses
	for _ in $(seq 200); do
		[ "$(proxy ss -Hlun 2>/dev/null | grep -c ":5060 ")" -ge 2 ] && return 0
		kill -0 "$KAM_PID" 2>/dev/null || break
		sleep 0.05
	done
	tail -n 20 "$KAM_DIR/log" >&2
	return 1
}
sys_reg_password() { echo "$REG_PASSWORD"; }
