# SPDX-License-Identifier: GPL-2.0
# sipk.ko loads, its load-time self-tests pass, it unloads cleanly.
mod_unload
dmesg -C
check "module: insmod sipk.ko" mod_load
check "module: load-time self-tests passed" \
	sh -c "dmesg | grep -E 'sipk: self-tests: [0-9]+ passed'"
check "module: genl family registered" sh -c "grep -q sipk /proc/modules"
check "module: rmmod" rmmod sipk
check "module: load again after unload" mod_load
check "module: no oops or warning" kernel_clean
