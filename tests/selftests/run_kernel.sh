#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel selftests: every tests/selftests/k_*.sh, in order, in this
# one kernel (the test VM, or a host that can load modules), as root.
# Each file is sourced and reports through the KTAP helpers of lib.sh.
# Usage: run_kernel.sh [PATTERN]   (only the files whose name matches)
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/selftests/lib.sh

ktap_header
ktap_diag "kernel $(uname -r), $(nproc) cpus"
for t in tests/selftests/k_*.sh; do
	case $t in *"${1:-}"*) ;; *) continue ;; esac
	ktap_diag "---- $(basename "$t")"
	. "$t"
done
topo_down
mod_unload
ktap_plan_end
rm -rf "$WORK"
[ "$KTAP_FAILED" -eq 0 ]
