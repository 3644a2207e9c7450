#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/deps.sh - install everything sipk needs to build, test and benchmark
# on Debian 12 (bookworm). Idempotent: when every package is already installed
# and the kernel source is extracted, it touches neither apt nor the network.
#
# Usage: scripts/deps.sh        (as root, or as a user allowed to sudo)

set -euo pipefail

PKGS=(
	# kernel to boot in the test VM, kbuild tree, source (kselftest harness, debug kernel)
	linux-image-amd64 linux-headers-amd64 linux-source-6.1
	# the test VM (tests/vm/vm-run)
	qemu-system-x86 busybox-static kmod iproute2
	# compilers, sanitizers, static checkers
	clang llvm libclang-rt-14-dev sparse make gcc libc6-dev
	bc flex bison libelf-dev libssl-dev pkg-config
	# userspace: generic netlink client library
	libnl-3-dev libnl-genl-3-dev libnl-route-3-dev
	# sipkd: event loop, database (its digests use libssl-dev above)
	libevent-dev libsqlite3-dev
	# sipkd: RFC 3263 server location (NAPTR, SRV, A, AAAA)
	libc-ares-dev
	# tests and benchmarks
	sip-tester python3 netcat-openbsd tcpdump procps gnuplot-nox kamailio
	# a DNS server inside the test VM (sipkd's RFC 3263 tests)
	dnsmasq-base
)

KSRC=/usr/src/linux-source-6.1
KSRC_TARBALL=/usr/src/linux-source-6.1.tar.xz
KSRC_PROBE=tools/testing/selftests/kselftest_harness.h

say() { echo "deps: $*"; }
die() { echo "deps: error: $*" >&2; exit 1; }

if [ ! -r /etc/debian_version ] || ! command -v dpkg-query >/dev/null 2>&1; then
	die "this script supports Debian 12 (bookworm) only: no /etc/debian_version or dpkg-query"
fi

SUDO=()
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null 2>&1 ||
		die "not root and sudo is not installed; run as root"
	SUDO=(sudo)
fi

missing=()
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
	say "all ${#PKGS[@]} packages already installed"
else
	say "missing ${#missing[@]} package(s): ${missing[*]}"
	log=$(mktemp -t sipk-deps.XXXXXX)
	trap 'rm -f "$log"' EXIT
	say "running apt-get update (output in $log)"
	if ! "${SUDO[@]}" apt-get update >"$log" 2>&1; then
		# An unreachable third-party source makes apt-get update fail
		# although the Debian archive itself was refreshed; the install
		# below tells whether that matters.
		grep -E '^(E|W|Err):' "$log" | tail -n 5 | sed 's/^/deps:   /' || true
		say "warning: apt-get update reported errors; trying the install anyway"
	fi
	say "installing: ${missing[*]}"
	if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
		tail -n 25 "$log" | sed 's/^/deps:   /' >&2
		die "apt-get install failed for: ${missing[*]} (see the apt output above)"
	fi
	still=()
	for p in "${missing[@]}"; do
		st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
		[ "$st" = installed ] || still+=("$p")
	done
	((${#still[@]} == 0)) || die "still not installed after apt-get: ${still[*]}"
	say "installed ${#missing[@]} package(s)"
fi

if [ -f "$KSRC/$KSRC_PROBE" ]; then
	say "kernel source already extracted in $KSRC"
else
	[ -f "$KSRC_TARBALL" ] ||
		die "$KSRC_TARBALL not found (is linux-source-6.1 installed?)"
	say "extracting $KSRC_TARBALL into /usr/src (takes a minute)"
	"${SUDO[@]}" tar -C /usr/src -xf "$KSRC_TARBALL" ||
		die "extracting $KSRC_TARBALL failed"
	[ -f "$KSRC/$KSRC_PROBE" ] ||
		die "$KSRC/$KSRC_PROBE missing after extracting $KSRC_TARBALL"
	say "extracted kernel source to $KSRC"
fi

# Kamailio is only a peer and a benchmark subject inside the test VM; the
# package enables a host service on port 5060, which sipk's tests never want.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1 &&
	systemctl is-enabled --quiet kamailio 2>/dev/null; then
	say "disabling the host's kamailio.service (tests start their own in the VM)"
	"${SUDO[@]}" systemctl disable --now kamailio >/dev/null 2>&1 || true
fi

# The VM harness needs a kernel image with its modules and a static busybox.
shopt -s nullglob
kernels=()
for k in /boot/vmlinuz-*-amd64; do
	v=${k#/boot/vmlinuz-}
	[ -f "/lib/modules/$v/modules.dep" ] && kernels+=("$v")
done
((${#kernels[@]})) ||
	die "no /boot/vmlinuz-*-amd64 with modules in /lib/modules/<version> (linux-image-amd64 broken?)"
say "VM kernel(s) available: ${kernels[*]}"
say "done"
