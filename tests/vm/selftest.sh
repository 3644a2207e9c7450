#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/vm/selftest.sh - selftest of the QEMU harness (tests/vm/vm-run).
# Boots the guest a dozen times (a few seconds each under TCG) and prints TAP.
# Exit status 0 when every test passed, 1 otherwise.

# shellcheck disable=SC2016,SC2317  # guest-side scripts in single quotes; tests called indirectly
set -u -o pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd -- "$here/../.." && pwd -P)
vmrun=$here/vm-run

export SIPK_VM_SCRATCH=${SIPK_VM_SCRATCH:-$repo/build/vm-scratch}
mkdir -p -- "$SIPK_VM_SCRATCH" || { echo "cannot create $SIPK_VM_SCRATCH" >&2; exit 1; }
SIPK_VM_SCRATCH=$(cd -- "$SIPK_VM_SCRATCH" && pwd -P)
unset SIPK_VM_DMESG SIPK_VM_VERBOSE SIPK_VM_ALLOW_WARN SIPK_VM_TIMEOUT

tmp=$(mktemp -d -t vm-selftest.XXXXXX)
trap 'rm -rf -- "$tmp"' EXIT
out=$tmp/out
err=$tmp/err

n=0
failed=0
TESTS=(
	exit_status stdout_stderr kernel_version env_cwd rootfs_ro_tmp_rw
	scratch_visible netns modprobe dmesg_saved crash_is_125 timeout_is_124
	module_warn_is_125
)

echo "TAP version 13"
echo "1..${#TESTS[@]}"

# vm run ARGS...: run vm-run, stdout to $out, stderr to $err, status in $rc
vm() {
	"$vmrun" "$@" >"$out" 2>"$err"
	rc=$?
}

diag() {
	sed 's/^/# /' "$@"
}

result() { # result OK NAME [why]
	n=$((n + 1))
	if (($1)); then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		failed=$((failed + 1))
		[ -n "${3:-}" ] && echo "# $3"
		echo "# exit status: $rc; stdout:"
		diag "$out"
		echo "# stderr:"
		diag "$err"
	fi
}

skip() { # skip NAME why
	n=$((n + 1))
	echo "ok $n $1 # SKIP $2"
}

test_exit_status() {
	vm -- sh -c 'exit 7'
	result $((rc == 7)) "exit status of the command propagates (exit 7)"
}

test_stdout_stderr() {
	vm -- sh -c 'echo out; echo err >&2'
	[ "$(cat "$out")" = out ] && ! grep -q $'\r' "$out" && grep -qx err "$err"
	result $((rc == 0 && $? == 0)) "stdout and stderr arrive separately, without CR"
}

test_kernel_version() {
	local want=
	if [ -n "${SIPK_VM_KERNEL:-}" ]; then
		want=$(basename -- "$SIPK_VM_KERNEL")
		want=${want#vmlinuz-}
	else
		local k
		while IFS= read -r k; do
			[ -d "/lib/modules/${k#/boot/vmlinuz-}" ] && want=${k#/boot/vmlinuz-}
		done < <(printf '%s\n' /boot/vmlinuz-*-amd64 | sort -V)
	fi
	vm -- uname -r
	local got
	got=$(cat "$out")
	[ -n "$want" ] && [ "$got" = "$want" ]
	result $((rc == 0 && $? == 0)) "uname -r in the guest is the booted kernel ($want)" "got '$got'"
}

test_env_cwd() {
	local dir=$repo/tests
	(cd "$dir" && SIPK_SELFTEST_VAR="a b'c" "$vmrun" --env OTHER=1 -- \
		sh -c 'printf "%s|%s|%s|%s|%s\n" "$SIPK_SELFTEST_VAR" "$OTHER" "$PWD" "$SIPK_IN_VM" "$(id -u)"') \
		>"$out" 2>"$err"
	rc=$?
	[ "$(cat "$out")" = "a b'c|1|$dir|1|0" ]
	result $((rc == 0 && $? == 0)) "SIPK_* and --env variables, cwd and uid 0 reach the command"
}

test_rootfs_ro_tmp_rw() {
	vm -- sh -c '! touch /etc/sipk-vm-test 2>/dev/null && echo x >/tmp/t && echo x >/run/t &&
		echo x >/var/tmp/t && echo x >/var/log/t && test -w "$HOME" && echo fine'
	result $((rc == 0)) "host root read-only, /tmp /run /var/tmp /var/log and HOME writable"
}

test_scratch_visible() {
	local token=selftest-$$-$RANDOM f=$SIPK_VM_SCRATCH/selftest-token
	rm -f -- "$f"
	vm -- sh -c "echo $token > \"\$SIPK_VM_SCRATCH/selftest-token\""
	[ "$(cat "$f" 2>/dev/null)" = "$token" ]
	result $((rc == 0 && $? == 0)) "a file written to the scratch dir is visible on the host"
	rm -f -- "$f"
}

test_netns() {
	vm -- sh -c 'ip netns add x && ip netns list | grep -qx x &&
		ip netns exec x ip link set lo up && ip netns exec x ip -o link show lo | grep -q UP &&
		ip -o link show lo | grep -q UP && ip -o addr show lo | grep -q 127.0.0.1'
	result $((rc == 0)) "ip netns add works in the guest, loopback up"
}

test_modprobe() {
	vm -- sh -c 'modprobe veth && modprobe dummy &&
		ip link add name va type veth peer name vb && ip link add dm0 type dummy &&
		grep -q "^veth " /proc/modules'
	result $((rc == 0)) "modprobe veth and dummy work in the guest"
}

test_dmesg_saved() {
	rm -f -- "$SIPK_VM_SCRATCH/dmesg.log"
	vm -- sh -c 'echo sipk-selftest-marker >/dev/kmsg'
	grep -q 'Linux version' "$SIPK_VM_SCRATCH/dmesg.log" 2>/dev/null &&
		grep -q 'sipk-selftest-marker' "$SIPK_VM_SCRATCH/dmesg.log"
	result $((rc == 0 && $? == 0)) "guest kernel log saved to SCRATCH/dmesg.log"
}

test_crash_is_125() {
	vm -- sh -c 'echo c >/proc/sysrq-trigger; sleep 5'
	grep -q 'Kernel panic' "$err"
	result $((rc == 125 && $? == 0)) "a guest kernel crash exits 125 with the kernel log"
}

test_timeout_is_124() {
	vm --timeout 10 -- sleep 120
	result $((rc == 124)) "--timeout kills a hung command and exits 124"
}

test_module_warn_is_125() {
	local kver kb d=$SIPK_VM_SCRATCH/selftest-mod
	kver=$(cd / && "$vmrun" -- uname -r 2>/dev/null)
	kb=/lib/modules/$kver/build
	if [ -z "$kver" ] || [ ! -f "$kb/Makefile" ]; then
		skip "an out-of-tree module's WARN exits 125" "no kbuild tree for '$kver'"
		return
	fi
	rm -rf -- "$d" && mkdir -p -- "$d"
	cat >"$d/vmst.c" <<-'EOF'
		#include <linux/module.h>
		#include <linux/bug.h>
		static bool warn;
		module_param(warn, bool, 0444);
		static int __init vmst_init(void)
		{
			WARN(warn, "vmst: deliberate warning\n");
			return 0;
		}
		static void __exit vmst_exit(void) {}
		module_init(vmst_init);
		module_exit(vmst_exit);
		MODULE_LICENSE("GPL");
	EOF
	echo 'obj-m := vmst.o' >"$d/Kbuild"
	if ! make -s -C "$kb" M="$d" modules >"$out" 2>"$err"; then
		rc=-1
		result 0 "an out-of-tree module's WARN exits 125" "module build failed"
		return
	fi
	local ok=1
	vm -- sh -c "cd '$d' && insmod ./vmst.ko && rmmod vmst"
	((rc == 0)) || ok=0
	if ((ok)); then
		vm -- insmod "$d/vmst.ko" warn=1
		((rc == 125)) && grep -q 'WARNING:.*vmst' "$err" || ok=0
	fi
	result "$ok" "an out-of-tree module loads; its WARN exits 125"
	rm -rf -- "$d"
}

for t in "${TESTS[@]}"; do
	"test_$t"
done

if ((failed)); then
	echo "# $failed of ${#TESTS[@]} failed"
	exit 1
fi
echo "# all ${#TESTS[@]} passed"
exit 0
