#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks over SIPp message logs (-trace_msg -message_file LOG).

  sipplog.py branch LOG CALLS METHOD...
      every call (Call-ID) of the log received each METHOD, and all of
      them carry one and the same top-Via branch, which is ours
      (z9hG4bKsk...): RFC 3261 16.11, CANCEL and the ACK of a non-2xx
      response get the INVITE's branch.  At least CALLS calls.
  sipplog.py retrans LOG CALLS
      every call received the INVITE at least twice (the original and the
      UAC's retransmission), both with the same top Via (same branch).
  sipplog.py rr LOG CALLS
      every INVITE received carries our Record-Route (";lr;sk="): one, or
      two with the same sk when the proxy's two sides differ (RFC 5658).
  sipplog.py routed LOG CALLS METHOD...
      every METHOD sent carries our Route(s) (";lr;sk=", one or two with
      the same sk) and no other: the route set learnt from our
      Record-Route.
  sipplog.py popped LOG CALLS METHOD...
      every METHOD received has our Via on top and no Route header: it
      came through the proxy, which removed its own Route.
Exit status 0 when the check holds; a summary on stdout, problems on
stderr.
"""
import re
import sys

OUR_BRANCH = re.compile(r'branch=(z9hG4bKsk[0-9a-f]{32})(;|$)')
COMPACT = {'v': 'via', 'i': 'call-id', 'm': 'contact', 'l': 'content-length',
           'f': 'from', 't': 'to'}


def messages(path):
    """(direction, start line, [(name, value)]) of each logged message."""
    text = open(path, 'rb').read().decode('utf-8', 'replace')
    out = []
    for chunk in re.split(r'^-{10,} .*$', text, flags=re.M):
        m = re.match(r'\s*(?:UDP|TCP) message (received|sent)[^\n]*\n\n', chunk)
        if not m:
            continue
        sip = chunk[m.end():]
        head = sip.split('\r\n\r\n', 1)[0]
        lines = head.split('\r\n')
        hdrs = []
        for line in lines[1:]:
            if line[:1] in (' ', '\t') and hdrs:
                hdrs[-1] = (hdrs[-1][0], hdrs[-1][1] + ' ' + line.strip())
                continue
            name, _, value = line.partition(':')
            name = name.strip().lower()
            hdrs.append((COMPACT.get(name, name), value.strip()))
        out.append((m.group(1), lines[0], hdrs))
    return out


def hdr(hdrs, name):
    return [v for n, v in hdrs if n == name]


def top_via(hdrs):
    v = hdr(hdrs, 'via')
    return v[0].split(',')[0].strip() if v else ''


def method(start):
    return '' if start.startswith('SIP/2.0') else start.split(' ')[0]


def by_call(msgs, direction):
    calls = {}
    for d, start, hdrs in msgs:
        if d != direction:
            continue
        cid = (hdr(hdrs, 'call-id') or [''])[0]
        calls.setdefault(cid, []).append((start, hdrs))
    return calls


def fail(problems, summary):
    print(summary)
    for p in problems[:10]:
        print(p, file=sys.stderr)
    return 1 if problems else 0


def cmd_branch(log, calls, *methods):
    problems = []
    got = by_call(messages(log), 'received')
    n = 0
    for cid, msgs in got.items():
        seen = {}
        for start, hdrs in msgs:
            if method(start) in methods:
                seen.setdefault(method(start), set()).add(top_via(hdrs))
        if set(seen) != set(methods):
            problems.append('%s: received only %s' % (cid, sorted(seen)))
            continue
        vias = set().union(*seen.values())
        branches = set()
        for v in vias:
            b = OUR_BRANCH.search(v)
            branches.add(b.group(1) if b else 'not ours: ' + v)
        if len(branches) != 1 or any(b.startswith('not') for b in branches):
            problems.append('%s: top-Via branches %s' % (cid, sorted(branches)))
            continue
        n += 1
    if n < int(calls):
        problems.append('only %d calls checked, want %s' % (n, calls))
    return fail(problems, '%d calls: %s with one branch each' %
                (n, '/'.join(methods)))


def cmd_retrans(log, calls):
    problems = []
    n = 0
    for cid, msgs in by_call(messages(log), 'received').items():
        vias = [top_via(h) for s, h in msgs if method(s) == 'INVITE']
        if len(vias) < 2:
            problems.append('%s: %d INVITE received' % (cid, len(vias)))
            continue
        b = [OUR_BRANCH.search(v) for v in vias]
        if not all(b) or len(set(x.group(1) for x in b)) != 1:
            problems.append('%s: INVITE top Vias differ: %s' % (cid, vias))
            continue
        n += 1
    if n < int(calls):
        problems.append('only %d calls checked, want %s' % (n, calls))
    return fail(problems, '%d calls: INVITE and its retransmission, one branch'
                % n)


def split_entries(values):
    """The comma-separated entries of header values (URIs in <>)."""
    out = []
    for v in values:
        out += [e.strip() for e in re.split(r',(?![^<]*>)', v) if e.strip()]
    return out


def ours(values):
    """One or two of our entries, the same sk: nothing else."""
    ents = split_entries(values)
    sks = set()
    for e in ents:
        m = re.search(r';lr;sk=([0-9a-f]{16})', e)
        if not m:
            return False
        sks.add(m.group(1))
    return len(ents) in (1, 2) and len(sks) == 1


def cmd_rr(log, calls):
    problems = []
    n = 0
    for cid, msgs in by_call(messages(log), 'received').items():
        rrs = [hdr(h, 'record-route') for s, h in msgs if method(s) == 'INVITE']
        if rrs and all(ours(rr) for rr in rrs):
            n += 1
        else:
            problems.append('%s: INVITE Record-Route %s' % (cid, rrs))
    if n < int(calls):
        problems.append('only %d calls checked, want %s' % (n, calls))
    return fail(problems, '%d calls: INVITE with our Record-Route' % n)


def cmd_routed(log, calls, *methods):
    problems = []
    n = 0
    for cid, msgs in by_call(messages(log), 'sent').items():
        seen = set()
        for start, hdrs in msgs:
            meth = method(start)
            if meth not in methods:
                continue
            routes = hdr(hdrs, 'route')
            if not ours(routes):
                problems.append('%s: %s sent with Route %s' %
                                (cid, meth, routes))
                continue
            seen.add(meth)
        if seen == set(methods):
            n += 1
    if n < int(calls):
        problems.append('only %d calls checked, want %s' % (n, calls))
    return fail(problems, '%d calls: %s sent with our Route' %
                (n, '/'.join(methods)))


def cmd_popped(log, calls, *methods):
    problems = []
    n = 0
    for cid, msgs in by_call(messages(log), 'received').items():
        seen = set()
        for start, hdrs in msgs:
            meth = method(start)
            if meth not in methods:
                continue
            if hdr(hdrs, 'route'):
                problems.append('%s: %s still has Route %s' %
                                (cid, meth, hdr(hdrs, 'route')))
                continue
            if not OUR_BRANCH.search(top_via(hdrs)):
                problems.append('%s: %s top Via not ours: %s' %
                                (cid, meth, top_via(hdrs)))
                continue
            seen.add(meth)
        if seen == set(methods):
            n += 1
    if n < int(calls):
        problems.append('only %d calls checked, want %s' % (n, calls))
    return fail(problems, '%d calls: %s received through us, Route popped' %
                (n, '/'.join(methods)))


def main(argv):
    cmds = {'branch': cmd_branch, 'retrans': cmd_retrans, 'rr': cmd_rr,
            'routed': cmd_routed, 'popped': cmd_popped}
    if len(argv) < 4 or argv[1] not in cmds:
        sys.exit(__doc__)
    sys.exit(cmds[argv[1]](*argv[2:]))


if __name__ == '__main__':
    main(sys.argv)
