#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/fuzz/run.sh [SECONDS] - fuzz the SIP core with libFuzzer.
#
# Runs build/tests/fuzz_core (make -C tests fuzz) for SECONDS, or until
# Ctrl-C when none is given, over a corpus in build/tests/fuzz/corpus
# seeded from the RFC 4475 messages (copied there, never into the repo).
# Prints libFuzzer's output as KTAP comments, then one result line:
#   ok 1 fuzz_core (N execs, X exec/s, cov C)
# and exits non-zero on any finding (crash, sanitizer report, trap,
# timeout, leak); the reproducer is kept in build/tests/fuzz/artifacts.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=${TOP:-$(cd "$HERE/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
TESTDATA=${SIPK_TESTDATA:-$TOP/../shared/testdata}
SECS=${1:-}
BIN=$BUILD/tests/fuzz_core
WORK=$BUILD/tests/fuzz
CORPUS=$WORK/corpus
ART=$WORK/artifacts
LOG=$WORK/fuzz.log

echo "TAP version 13"
echo "1..1"
if [ -n "$SECS" ] && ! [[ "$SECS" =~ ^[0-9]+$ ]]; then
	echo "not ok 1 fuzz_core # bad duration '$SECS' (seconds)"
	exit 2
fi
if [ ! -x "$BIN" ]; then
	echo "not ok 1 fuzz_core # $BIN not built: make -C tests fuzz"
	exit 1
fi
mkdir -p "$CORPUS" "$ART"
seeds=0
for f in "$TESTDATA"/rfc4475/*.dat; do
	[ -f "$f" ] || continue
	cp -n "$f" "$CORPUS/rfc4475-$(basename "$f")"
	seeds=$((seeds + 1))
done
if [ "$seeds" -eq 0 ]; then
	echo "not ok 1 fuzz_core # no seeds in $TESTDATA/rfc4475"
	exit 1
fi

# a finding is a new file in the artifacts directory
stamp=$WORK/.start
: > "$stamp"

args=(-max_len=65535 -timeout=25 -print_final_stats=1
      -artifact_prefix="$ART/" -dict="$HERE/sip.dict")
if [ -n "$SECS" ]; then
	args+=(-max_total_time="$SECS")
	echo "# fuzz_core: ${SECS}s over $CORPUS, log in $LOG"
else
	echo "# fuzz_core: until Ctrl-C, over $CORPUS, log in $LOG"
fi

interrupted=0
trap 'interrupted=1' INT
# the filter ignores SIGINT so that libFuzzer's final stats get through
"$BIN" "${args[@]}" "$CORPUS" 2>&1 |
	(trap '' INT; tee "$LOG" | sed -u 's/^/# /')
rc=${PIPESTATUS[0]}
trap - INT

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$LOG" | tail -n 1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$LOG" | tail -n 1)
last=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$LOG" | tail -n 1)
cov=$(echo "$last" | awk '{print $2}')
ft=$(echo "$last" | awk '{print $4}')
corp=$(echo "$last" | awk '{print $6}')
findings=$(find "$ART" -type f -newer "$stamp" | sort)

summary="${execs:-0} execs, ${rate:-0} exec/s, cov ${cov:-0}"
echo "# fuzz_core: execs ${execs:-0}, exec/s ${rate:-0}," \
     "cov ${cov:-0}, ft ${ft:-0}, corpus ${corp:-0}"
# 72: libFuzzer's exit after an interrupt
if [ -z "$findings" ] && { [ "$rc" -eq 0 ] ||
	{ [ "$interrupted" -eq 1 ] && [ "$rc" -eq 72 ]; }; } &&
	! grep -qE '^==[0-9]+==ERROR|^SUMMARY: |deadly signal' "$LOG"; then
	echo "ok 1 fuzz_core ($summary)"
	exit 0
fi
for f in $findings; do
	echo "# finding: $f"
done
echo "not ok 1 fuzz_core ($summary) # exit $rc, see $LOG"
exit 1
