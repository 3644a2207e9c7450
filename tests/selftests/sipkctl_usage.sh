#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sipkctl_usage.sh - sipkctl's command line, without the module.
#
# Every command is parsed and checked before sipkctl looks for the "sipk"
# generic netlink family, so:
#   - bad input exits 2 and names the bad word, module or not;
#   - good input exits 3 with exactly one line,
#     "sipkctl: the sipk module is not loaded (modprobe sipk)",
#     when the module is not loaded.
# Where the module IS loaded, the cases that would send a request are
# skipped: this test never changes a kernel table.
#
# KTAP output; exit 0 when every case passed, 1 otherwise, 4 (skip) when
# sipkctl is not built.

set -u
TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SIPKCTL=${SIPKCTL:-$TOP/build/sipkctl}
NOMOD_MSG='sipkctl: the sipk module is not loaded (modprobe sipk)'

if [ ! -x "$SIPKCTL" ]; then
	echo "TAP version 13"
	echo "1..0 # SKIP $SIPKCTL is not built (make -C userspace)"
	exit 4
fi

WORK=$(mktemp -d /tmp/sipkctl-usage.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# Is the module there?  "stats" parses fine, so without it the answer is 3.
"$SIPKCTL" stats >/dev/null 2>&1
NOMOD=$([ $? -eq 3 ] && echo 1 || echo 0)

N=0
FAILED=0
RESULTS=()

pass() { N=$((N + 1)); RESULTS+=("ok $N - $1"); }
skip() { N=$((N + 1)); RESULTS+=("ok $N - $1 # SKIP $2"); }
fail() {
	N=$((N + 1)); FAILED=$((FAILED + 1))
	RESULTS+=("not ok $N - $1")
	shift
	local l
	for l in "$@"; do
		RESULTS+=("#   $l")
	done
}

# check DESC RC [err=EXACT] [errhas=TEXT] [outhas=TEXT] [noout] [in=FILE] -- ARGS...
#   RC      the exit status wanted
#   err=    stderr must be exactly this (one line)
#   errhas= stderr must contain this text
#   outhas= stdout must contain this text
#   noout   stdout must be empty
#   in=     stdin comes from FILE
check() {
	local desc=$1 want=$2 rc why=() in=/dev/null
	local conds=()
	shift 2
	while [ "$1" != "--" ]; do
		case $1 in
		in=*) in=${1#in=} ;;
		*) conds+=("$1") ;;
		esac
		shift
	done
	shift
	"$SIPKCTL" "$@" <"$in" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	[ "$rc" -eq "$want" ] || why+=("exit $rc, wanted $want")
	local c
	for c in "${conds[@]+"${conds[@]}"}"; do
		case $c in
		err=*)
			[ "$(cat "$WORK/err")" = "${c#err=}" ] ||
				why+=("stderr is not exactly: ${c#err=}") ;;
		errhas=*)
			grep -qF -- "${c#errhas=}" "$WORK/err" ||
				why+=("stderr lacks: ${c#errhas=}") ;;
		outhas=*)
			grep -qF -- "${c#outhas=}" "$WORK/out" ||
				why+=("stdout lacks: ${c#outhas=}") ;;
		noout)
			[ ! -s "$WORK/out" ] || why+=("stdout is not empty") ;;
		esac
	done
	if [ ${#why[@]} -eq 0 ]; then
		pass "$desc"
	else
		local out err
		out=$(head -c 300 "$WORK/out" | tr '\n' '|')
		err=$(head -c 300 "$WORK/err" | tr '\n' '|')
		fail "$desc" "sipkctl $*" "${why[@]}" "stdout: $out" "stderr: $err"
	fi
}

# parsed DESC ARGS...: good input; exit 3 and the one line without the module
parsed() {
	local desc=$1
	shift
	if [ "$NOMOD" = 1 ]; then
		check "$desc" 3 "err=$NOMOD_MSG" noout -- "$@"
	else
		skip "$desc" "the sipk module is loaded"
	fi
}

# ---- usage and help ----
check "no arguments: usage on stderr, exit 2" 2 \
	"errhas=Usage: sipkctl [-j] [-b FILE] OBJECT COMMAND" noout --
check "help: usage with a Where: section" 0 \
	"outhas=Usage: sipkctl [-j] [-b FILE] OBJECT COMMAND" "outhas=Where:" -- help
check "-h is help" 0 "outhas=sipkctl loc add AOR contact URI" -- -h
check "--help is help" 0 "outhas=sipkctl route add DOMAIN via" -- --help
check "help lists every object" 0 "outhas=sipkctl config set" \
	"outhas=sipkctl stats reset" "outhas=sipkctl monitor" \
	"outhas=sipkctl alias add AOR target AOR" -- help
check "loc help" 0 "outhas=Usage: sipkctl loc add AOR contact URI" -- loc help
check "alias help" 0 "outhas=Usage: sipkctl alias add" -- alias help
check "route help" 0 "outhas=Usage: sipkctl route add" -- route help
check "config help" 0 "outhas=Usage: sipkctl config show" -- config help
check "stats help" 0 "outhas=Usage: sipkctl stats" -- stats help
check "monitor help" 0 "outhas=Usage: sipkctl monitor" -- monitor help
check "help OBJECT" 0 "outhas=Usage: sipkctl route add" -- help route
check "abbreviated help: lo he" 0 "outhas=Usage: sipkctl loc add" -- lo he

# ---- unknown words ----
check "unknown command" 2 \
	'err=Command "foo" is unknown, try "sipkctl help".' noout -- foo
check "unknown loc command" 2 \
	'err=Command "frob" is unknown, try "sipkctl loc help".' -- loc frob
check "unknown config command" 2 \
	'err=Command "x" is unknown, try "sipkctl config help".' -- config x
check "unknown option" 2 \
	'err=Option "-x" is unknown, try "sipkctl help".' -- -x
check "ambiguous abbreviation: config s" 2 \
	'err=sipkctl: "s" is ambiguous: show, set' -- config s
check "unknown keyword in loc add" 2 \
	'err=sipkctl: unknown argument "bogus", try "sipkctl loc help".' -- \
	loc add uas@198.18.1.1 contact sip:uas@198.18.2.2 bogus

# ---- loc: bad input ----
check "q out of range" 2 'err=sipkctl: invalid q "1.5"' -- \
	loc add sip:uas@198.18.1.1 contact sip:uas@198.18.2.2:5060 q 1.5
check "q with four decimals" 2 'err=sipkctl: invalid q "0.1234"' -- \
	loc add uas@198.18.1.1 contact sip:uas@198.18.2.2 q 0.1234
check "q negative" 2 'err=sipkctl: invalid q "-0.5"' -- \
	loc add uas@198.18.1.1 contact sip:uas@198.18.2.2 q -0.5
check "q not a number" 2 'err=sipkctl: invalid q "high"' -- \
	loc add uas@198.18.1.1 contact sip:uas@198.18.2.2 q high
check "q without a value" 2 'errhas="q" needs a value' -- \
	loc add uas@198.18.1.1 contact sip:uas@198.18.2.2 q
check "q given twice" 2 'err=sipkctl: "q" given twice' -- \
	loc add uas@198.18.1.1 contact sip:uas@198.18.2.2 q 1 q 0.5
check "expires negative" 2 'err=sipkctl: invalid expires "-1"' -- \
	loc add uas@198.18.1.1 contact sip:uas@198.18.2.2 expires -1
check "expires beyond u32" 2 'err=sipkctl: invalid expires "4294967296"' -- \
	loc add uas@198.18.1.1 contact sip:uas@198.18.2.2 expires 4294967296
check "contact not sip: (tel:)" 2 'errhas="tel:123"' 'errhas=not a sip: URI' -- \
	loc add uas@198.18.1.1 contact tel:123
check "contact not sip: (sips:)" 2 'errhas="sips:uas@198.18.2.2"' -- \
	loc add uas@198.18.1.1 contact sips:uas@198.18.2.2
check "contact malformed" 2 'err=sipkctl: invalid contact URI "<sip:uas@198.18.2.2>"' -- \
	loc add uas@198.18.1.1 contact '<sip:uas@198.18.2.2>'
check "contact with port 0" 2 'err=sipkctl: invalid contact URI "sip:uas@198.18.2.2:0"' -- \
	loc add uas@198.18.1.1 contact sip:uas@198.18.2.2:0
check "contact with headers" 2 'errhas="sip:uas@198.18.2.2?Subject=x"' -- \
	loc add uas@198.18.1.1 contact 'sip:uas@198.18.2.2?Subject=x'
check "contact host that does not resolve" 2 \
	'errhas=cannot resolve "no-such-host.invalid"' -- \
	loc add uas@198.18.1.1 contact sip:uas@no-such-host.invalid
check "contact missing" 2 'errhas="contact URI" is missing' -- \
	loc add uas@198.18.1.1
check "AOR missing" 2 'err=sipkctl: AOR is missing, try "sipkctl loc help".' -- \
	loc add contact sip:uas@198.18.2.2
check "AOR not sip:" 2 'err=sipkctl: invalid AOR "tel:+15551234": not a sip: URI' -- \
	loc add tel:+15551234 contact sip:uas@198.18.2.2
check "AOR malformed" 2 'err=sipkctl: invalid AOR "uas@"' -- \
	loc add uas@ contact sip:uas@198.18.2.2
check "AOR with a password" 2 'errhas=an AOR has no password' -- \
	loc add sip:uas:secret@198.18.1.1 contact sip:uas@198.18.2.2
check "AOR too long" 2 'errhas=longer than 254 characters' -- \
	loc add "$(printf 'u%.0s' {1..300})@198.18.1.1" contact sip:uas@198.18.2.2
check "loc del: contact without URI" 2 'errhas="contact" needs a value' -- \
	loc del uas@198.18.1.1 contact
check "loc del: extra word" 2 'errhas=unknown argument "now"' -- \
	loc del uas@198.18.1.1 contact sip:uas@198.18.2.2 now
check "loc show: two AORs" 2 'errhas=unknown argument "b@198.18.1.1"' -- \
	loc show a@198.18.1.1 b@198.18.1.1
check "loc flush: extra word" 2 'errhas=unknown argument "all"' -- loc flush all

# ---- alias, route: bad input ----
check "alias of itself" 2 'errhas=an alias of itself' -- \
	alias add sip:jerry@acme.com target jerry@ACME.com:5060
check "alias without target" 2 'errhas="target AOR" is missing' -- \
	alias add jerry@acme.com
check "route: port out of range" 2 'err=sipkctl: invalid port "99999"' -- \
	route add example.org via 198.18.3.1:99999
check "route: a name is not an address" 2 \
	'err=sipkctl: invalid address "proxy.example.org"' -- \
	route add example.org via proxy.example.org
check "route: bad IPv6 reference" 2 'err=sipkctl: invalid address "[2001:db8::1"' -- \
	route add example.org via '[2001:db8::1'
check "route: bad domain" 2 'err=sipkctl: invalid domain "exa_mple.org"' -- \
	route add exa_mple.org via 198.18.3.1
check "route: via missing" 2 'errhas="via ADDR" is missing' -- route add example.org
check "route: a domain is a name, not an IPv6 reference" 2 \
	'err=sipkctl: invalid domain "[2001:db8::1]"' -- route del '[2001:db8::1]'
check "route: label longer than 63" 2 'errhas=longer than 63 characters' -- \
	route del "$(printf 'a%.0s' {1..64}).example.org"

# ---- config, stats, monitor: bad input ----
check "config set: nothing" 2 'errhas=nothing to set' -- config set
check "config set: nine ports" 2 'errhas=at most 8 ports' -- config set \
	port 1 port 2 port 3 port 4 port 5 port 6 port 7 port 8 port 9
check "config set: port 0" 2 'err=sipkctl: invalid port "0"' -- config set port 0
check "config set: record-route maybe" 2 \
	'err=sipkctl: invalid record-route "maybe"' -- config set record-route maybe
check "config set: record-route o is ambiguous" 2 'errhas="o" is ambiguous' -- \
	config set record-route o
check "config set: fork-policy" 2 'err=sipkctl: invalid fork-policy "random"' -- \
	config set fork-policy random
check "config set: max-entries 0" 2 'err=sipkctl: invalid max-entries "0"' -- \
	config set max-entries 0
check "config set: max-entries too big" 2 \
	'err=sipkctl: invalid max-entries "16777217"' -- config set max-entries 16777217
check "stats reset: extra word" 2 'errhas=unknown argument "now"' -- stats reset now
check "stats: unknown command" 2 \
	'err=Command "clear" is unknown, try "sipkctl stats help".' -- stats clear
check "monitor: extra word" 2 'errhas=unknown argument "all"' -- monitor all

# ---- good input: exit 3 without the module ----
parsed "loc add (sip: URIs)" \
	loc add sip:uas@198.18.1.1 contact sip:uas@198.18.2.2:5060
parsed "loc add (bare AOR, every option)" \
	loc add uas@198.18.1.1:5080 contact 'sip:uas@198.18.2.2;transport=udp' \
	q 0.5 expires 3600 redirect
parsed "loc add (abbreviated: loc a ... c ... q e r)" \
	loc a uas@198.18.1.1 c 'sip:uas@[2001:db8::2]:5070' q .25 e 60 r
parsed "loc add (IPv6 AOR)" \
	loc add 'sip:uas@[2001:db8:1::1]' contact 'sip:uas@[2001:db8:2::2]:5060'
parsed "loc add (contact host name resolved)" \
	loc add uas@198.18.1.1 contact sip:uas@localhost
parsed "loc del AOR" loc del sip:uas@198.18.1.1
parsed "loc del AOR contact URI" loc del uas@198.18.1.1 contact sip:uas@198.18.2.2
parsed "loc show" loc show
parsed "loc sh (abbreviated)" loc sh
parsed "loc (show by default)" loc
parsed "loc show AOR" loc show sip:uas@198.18.1.1
parsed "loc flush" loc flush
parsed "alias add" alias add sip:jerry@acme.com target sip:js@nyc.acme.com
parsed "alias del" alias del jerry@acme.com
parsed "alias show" alias show
parsed "route add IPv4:port" route add example.org via 198.18.3.1:5060
parsed "route add [IPv6]:port" route add example.org via '[2001:db8::1]:5060'
parsed "route add bare IPv6" route add Example.ORG via 2001:db8::1
parsed "route del" route del example.org
parsed "route show" route show
parsed "config show" config show
parsed "config set (everything)" config set port 5060 port 5080 \
	record-route on fork-policy best-q max-entries 100000
parsed "config set (abbreviated)" config se p 5060 r off f h m 1
parsed "stats" stats
parsed "st (abbreviated)" st
parsed "stats reset" stats reset
parsed "-j loc show" -j loc show
parsed "monitor" monitor

# ---- batch ----
cat >"$WORK/good" <<'EOF'
# a comment, then a blank line

loc add sip:uas@198.18.1.1 contact sip:uas@198.18.2.2:5060
  loc add "sip:uas@[2001:db8:1::1]" contact 'sip:uas@[2001:db8:2::2]'   # trailing comment
route add example.org via 198.18.3.1
stats
EOF
cat >"$WORK/bad" <<'EOF'
# line 1
loc add sip:uas@198.18.1.1 contact sip:uas@198.18.2.2:5060
loc add sip:uas@198.18.1.1 contact sip:uas@198.18.2.2:5060 q 1.5
frobnicate
route add example.org via 198.18.3.1
monitor
loc add "unterminated
EOF
cat >"$WORK/onlybad" <<'EOF'
loc add a@198.18.1.1 contact tel:1
config set port 0
EOF
printf '# nothing but comments\n\n   # and blanks\n' >"$WORK/empty"

if [ "$NOMOD" = 1 ]; then
	check "-b FILE: good lines, one message, exit 3" 3 "err=$NOMOD_MSG" -- \
		-b "$WORK/good"
	check "-b -: stdin" 3 "err=$NOMOD_MSG" in="$WORK/good" -- -b -
	check "-b: bad lines reported, exit 2" 2 \
		'errhas=sipkctl: line 3: invalid q "1.5"' \
		'errhas=sipkctl: line 4: Command "frobnicate" is unknown' \
		'errhas=sipkctl: line 6: "monitor" does not run in batch mode' \
		'errhas=sipkctl: line 7: unterminated quote' -- -b "$WORK/bad"
else
	skip "-b FILE: good lines, one message, exit 3" "the sipk module is loaded"
	skip "-b -: stdin" "the sipk module is loaded"
	skip "-b: bad lines reported, exit 2" "the sipk module is loaded"
fi
check "-b: only bad lines, all reported, exit 2" 2 \
	'errhas=sipkctl: line 1: invalid contact URI "tel:1"' \
	'errhas=sipkctl: line 2: invalid port "0"' -- -b "$WORK/onlybad"
check "-b: comments only, nothing to do" 0 noout -- -b "$WORK/empty"
check "-b: no such file" 2 'errhas=cannot open' -- -b "$WORK/nonexistent"
check "-b: no FILE" 2 'errhas=needs a FILE' -- -b
check "-b with a command as well" 2 'errhas=-b takes its commands from the file' -- \
	-b "$WORK/good" loc show

if [ "$NOMOD" = 1 ]; then
	for i in $(seq 0 99999); do
		echo "loc add sip:u$i@198.18.1.1 contact sip:u$i@198.18.$((i / 256 % 256)).$((i % 256)):5060 q 0.5"
	done >"$WORK/bulk"
	start=$(date +%s%N)
	check "-b: 100000 lines parsed" 3 "err=$NOMOD_MSG" -- -b "$WORK/bulk"
	ms=$((($(date +%s%N) - start) / 1000000))
	RESULTS+=("# 100000 batch lines checked in $ms ms")
else
	skip "-b: 100000 lines parsed" "the sipk module is loaded"
fi

echo "TAP version 13"
echo "1..$N"
printf '%s\n' "${RESULTS[@]}"
echo "# $((N - FAILED)) passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
