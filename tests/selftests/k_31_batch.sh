# SPDX-License-Identifier: GPL-2.0
# sipkctl -b against the real module: requests are pipelined (many to a
# sendmsg(), only the last of each asking for an ack), so a refusal in
# the middle of a batch must still be reported with its own line number,
# every other line must still be applied, and the exit status must say
# what happened (sipkctl(8), BATCH MODE).  Runs in a namespace of its own.
B_NS=sipk-batch
bctl() { ip netns exec $B_NS "$SIPKCTL" "$@"; }
check "batch: insmod sipk.ko" mod_load
ip netns del $B_NS 2>/dev/null
check "batch: namespace $B_NS" ip netns add $B_NS
BD=$WORK/batch31
mkdir -p "$BD"

# entries: the "entries" count of the namespace's location table
entries() { bctl -j config show | grep -o '"entries": *[0-9]*' | grep -o '[0-9]*$'; }

# 5000 adds; refusals (deleting AORs that do not exist) at lines 1, 777,
# 2500 and 5006 (the last line), a second one right after another at
# 2501, and a "loc show" of a line added before it at line 3000.
N=5000
ERRS="1 777 2500 2501 5006"
awk -v n=$N -v errs="$ERRS" 'BEGIN {
	split(errs, e, " ")
	for (i in e) bad[e[i]] = 1
	line = 0; k = 0
	while (line < n + 6) {
		line++
		if (line in bad) { printf "loc del sip:nobody%d@198.18.1.1\n", line; continue }
		if (line == 3000) { print "loc show sip:b2000@198.18.1.1"; continue }
		{ printf "loc add sip:b%d@198.18.1.1 contact sip:b%d@198.18.2.2:5060\n", k, k; k++ }
	}
}' >"$BD/mid.batch"
bctl -b "$BD/mid.batch" >"$BD/mid.out" 2>"$BD/mid.err"
rc=$?
check "batch: refusals in the middle of $N pipelined adds exit 1 (got $rc)" test $rc = 1
got=$(grep -o '^sipkctl: line [0-9]*:' "$BD/mid.err" | grep -o '[0-9]*' | tr '\n' ' ')
check "batch: each refusal is reported with its line number ($ERRS; got $got)" \
	test "$got" = "$ERRS "
check "batch: the refusals say why (No such file or directory)" \
	test "$(grep -c 'No such file or directory' "$BD/mid.err")" = 5
check "batch: nothing else is reported" test "$(wc -l <"$BD/mid.err")" = 5
check "batch: every other line was applied ($N entries, got $(entries))" \
	test "$(entries)" = $N
check "batch: a show in the middle runs in order, after the adds before it" \
	grep -q "^sip:b2000@198.18.1.1 contact sip:b2000@198.18.2.2:5060" "$BD/mid.out"
check "batch: the first and the last add are there" \
	sh -c "ip netns exec $B_NS $SIPKCTL loc show sip:b0@198.18.1.1 | grep -q b0@ &&
	       ip netns exec $B_NS $SIPKCTL loc show sip:b$((N - 1))@198.18.1.1 | grep -q b$((N - 1))@"

# the same file again: every add now replaces its contact (no error),
# the refusals are the same
bctl -b "$BD/mid.batch" >/dev/null 2>"$BD/again.err"
rc=$?
got=$(grep -o '^sipkctl: line [0-9]*:' "$BD/again.err" | grep -o '[0-9]*' | tr '\n' ' ')
check "batch: a second run refuses the same lines ($got), exit 1 (got $rc)" \
	test "$got" = "$ERRS " -a $rc = 1
check "batch: and leaves $N entries" test "$(entries)" = $N

# a bad line (exit 2) among kernel refusals: both reported, the good
# lines around them applied
cat >"$BD/mixed.batch" <<-EOF
	loc add sip:m1@198.18.1.1 contact sip:m1@198.18.2.2:5060
	loc del sip:nobody@198.18.1.1
	loc add sip:m2@198.18.1.1 contact sip:m2@198.18.2.2:0
	loc add sip:m3@198.18.1.1 contact sip:m3@198.18.2.2:5060
EOF
bctl -b "$BD/mixed.batch" >/dev/null 2>"$BD/mixed.err"
rc=$?
check "batch: a bad line and a refusal: exit 2 (got $rc)" test $rc = 2
check "batch: line 2 refused by the kernel, line 3 bad" \
	sh -c "grep -q '^sipkctl: line 2: No such file or directory' '$BD/mixed.err' &&
	       grep -q '^sipkctl: line 3: invalid contact URI' '$BD/mixed.err'"
check "batch: lines 1 and 4 applied" \
	sh -c "ip netns exec $B_NS $SIPKCTL loc show sip:m1@198.18.1.1 | grep -q m1@ &&
	       ip netns exec $B_NS $SIPKCTL loc show sip:m3@198.18.1.1 | grep -q m3@"

# the last line refused: the batch's final request carries the ack and
# the error; nothing is lost at the end
printf 'loc add sip:e1@198.18.1.1 contact sip:e1@198.18.2.2:5060\nloc del sip:nobody@198.18.1.1\n' \
	>"$BD/end.batch"
bctl -b "$BD/end.batch" >/dev/null 2>"$BD/end.err"
rc=$?
check "batch: a refusal on the last line is reported (exit $rc)" \
	sh -c "test $rc = 1 && grep -q '^sipkctl: line 2: ' '$BD/end.err'"

# a clean batch exits 0 and prints nothing
printf 'loc flush\nloc add sip:c1@198.18.1.1 contact sip:c1@198.18.2.2:5060\n' >"$BD/ok.batch"
bctl -b "$BD/ok.batch" >"$BD/ok.out" 2>&1
rc=$?
check "batch: a clean batch exits 0 silently (exit $rc)" \
	sh -c "test $rc = 0 -a ! -s '$BD/ok.out'"
check "batch: loc flush then one add leaves 1 entry" test "$(entries)" = 1

ip netns del $B_NS
check "batch: rmmod after the namespace is gone" \
	sh -c 'for i in $(seq 50); do rmmod sipk 2>/dev/null && exit 0; sleep 0.1; done; exit 1'
check "batch: no oops or warning" kernel_clean
