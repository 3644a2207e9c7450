# SPDX-License-Identifier: GPL-2.0
# The reference path of the bench, not a system under test: the sender's
# datagrams go one hop, straight to a sink in the proxy namespace, with
# nothing forwarding them.  Its latency is what a proxy hop adds to.
SYS_NAME=baseline
SYS_DESC="no proxy: one hop to a sink in the proxy namespace"
SYS_SCALE=0
SYS_SINK_NS=sipk-proxy
SYS_SINK_ADDR=$PX4:5060

sys_setup() { mod_unload; }
sys_add_aor() { :; }
sys_target() { echo "$PX4:5060"; }
sys_sink_expect() { echo "--hops 1 --max-forwards 70 --via-host $UAC4 --expect-src $UAC4"; }
sys_resp_src() { echo "$PX4:5060"; }
sys_stats() { :; }
sys_teardown() { :; }
