#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The demo (make demo): boot Debian's kernel in a VM, load sipk.ko, push
# a location entry with sipkctl, run SIPp calls through the kernel fast
# path and show the module's counters.
set -eu
cd "$(dirname "$0")/.."
exec tests/vm/vm-run --timeout 900 -- bash tests/demo_vm.sh
