# SPDX-License-Identifier: GPL-2.0
# bench plug-in: sipkd alone, the module not loaded: the daemon is the
# registrar and forwards statelessly from its own location table (RFC 3261
# 16.11, the same rewriter as the kernel, branches z9hG4bKsd), in the proxy
# namespace on the proxy's CPU.  The location table is filled with
# REGISTERs before measuring, as for Kamailio.  Its database (SQLite, WAL,
# synchronous = FULL: written before every 200) is under $WORK, which is
# tmpfs in the VM.
SYS_NAME=sipkd
SYS_DESC="sipkd alone (no module): registrar + stateless forwarding"
SYS_SCALE=0
SD_DIR=$WORK/sipkd
SIPKD=${SIPKD:-$TOP/build/sipkd}
# registration bench: the users' password, and the realm (the domain)
REG_PASSWORD=${REG_PASSWORD:-bench-secret}

sd_register() {
	uac "$SIPLOAD" register --src "$UAC4:5090" --dst "$PX4:5060" \
		--aor-host "$PX4" --contact-host "$UAS4:5060" "$@"
}

# sd_start AUTH USERS: sipkd for the domain PX4, digest auth (MD5) when
# AUTH is 1 with credentials for USERS users u0000000..
sd_start() {
	mod_unload
	rm -rf "$SD_DIR"
	mkdir -p "$SD_DIR"
	{
		echo "listen = $PX4:5060"
		echo "listen = $PXB4:5060"
		echo "tcp = no"
		echo "kernel = off"
		echo "log-level = warning"
		echo "database = $SD_DIR/sipkd.db"
		# Kamailio's receive buffer (its maxbuffer default): the same
		# queue in front of both when the sender outruns them
		echo "udp-rcvbuf = 262144"
		if [ "$1" = 1 ]; then
			"$SIPLOAD" creds --count "$2" --realm "$PX4" \
				--password "$REG_PASSWORD" --format sipkd >"$SD_DIR/credentials" || return 1
			echo "credentials = $SD_DIR/credentials"
		fi
		echo "[domain $PX4]"
		if [ "$1" = 1 ]; then
			echo "auth = yes"
			echo "auth-algorithms = MD5"
		fi
	} >"$SD_DIR/sipkd.conf"
	proxy taskset -c "$CPU_PROXY" "$SIPKD" -f -c "$SD_DIR/sipkd.conf" \
		-p "$SD_DIR/pid" >"$SD_DIR/log" 2>&1 &
	SD_PID=$!	# the subshell running proxy(); sipkd's own is in $SD_DIR/pid
	# up when it listens on both addresses
	for _ in $(seq 200); do
		[ "$(proxy ss -Hlun 2>/dev/null | grep -c ":5060 ")" -ge 2 ] && return 0
		kill -0 "$SD_PID" 2>/dev/null || break
		sleep 0.05
	done
	tail -n 20 "$SD_DIR/log" >&2
	return 1
}

# sys_setup N: sipkd without auth, N contacts uI@PX4 -> uI@UAS4:5060
sys_setup() {
	sd_start 0 0 || return 1
	[ "$1" -gt 0 ] || return 0
	sd_register --count "$1" >/dev/null
}

sys_add_aor() { sd_register --user "$1" >/dev/null; }
sys_target() { echo "$PX4:5060"; }
sys_sink_expect() {
	echo "--hops 2 --max-forwards 69 --via-host $PXB4 --branch-prefix z9hG4bKsd" \
		"--expect-src $PXB4:5060 --ruri-host $UAS4"
}
# responses to the uac leave from the uac side (the route to it)
sys_resp_src() { echo "$PX4:5060"; }
sys_stats() { :; }
sys_teardown() {
	[ -n "${SD_PID:-}" ] || return 0
	[ -s "$SD_DIR/pid" ] && kill "$(cat "$SD_DIR/pid")" 2>/dev/null
	wait "$SD_PID" 2>/dev/null
	SD_PID=
	return 0
}

# registration bench (bench/lib/vm_main.sh): the registrar alone, with
# (1) or without (0) digest auth, credentials for USERS users
sys_reg_setup() { sd_start "$1" "$2"; }
sys_reg_password() { echo "$REG_PASSWORD"; }
