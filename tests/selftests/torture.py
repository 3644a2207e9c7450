#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Where each RFC 4475 torture message went, for k_50_torture.sh.

  torture.py check CORPUS UAS-DIR PROXY-DIR VIA-HOST
      CORPUS: the *.dat files, each sent once to the proxy's SIP port.
      UAS-DIR, PROXY-DIR: what sipnet.py listen received at the uas
      (forwarded by the kernel) and on the proxy's own socket (handed up).
      VIA-HOST: host:port of our Via on forwarded requests.

Prints one result line per message, "ok NAME" or "not ok NAME", then the
checks over all of them, with "# ..." diagnostics; the caller turns them
into KTAP results.  Datagrams are matched to files by their exact bytes,
else by Call-ID.
"""
import os
import re
import sys

# RFC 4475 section of each message and what the kernel must do with it
INVALID = ('badinv01 clerr scalar02 scalarlg quotbal ltgtruri lwsruri '
           'lwsstart trws escruri baddate regbadct badaspec baddn badvers '
           'mismatch01 mismatch02 bigcode ncl').split()
INVALID_33 = 'insuf multi01 mcl01'.split()      # 3.3: a 400 from sipkd
VALID = ('wsinv intmeth esc01 escnull esc02 lwsdisp longreq dblreq semiuri '
         'transports mpart01 unreason noreason').split()
# 3.3 messages only sipkd can answer: 483, 420
MUST_HAND_UP = {'zeromf': 'Max-Forwards 0 (483 by sipkd)',
                'bext01': 'unknown Proxy-Require (420 by sipkd)'}


def section(name):
    if name in VALID:
        return '3.1.1 valid'
    if name in INVALID:
        return '3.1.2 invalid'
    if name in INVALID_33:
        return '3.3 invalid'
    if name == 'badbranch':
        return '3.2'
    if name == 'inv2543':
        return '3.4'
    return '3.3'


def head_of(data):
    head = data.split(b'\r\n\r\n', 1)[0]
    return head.split(b'\r\n')


def header(data, *names):
    """The values of the header NAMES (any case) in the header block."""
    out = []
    for line in head_of(data)[1:]:
        if line[:1] in (b' ', b'\t'):
            continue
        name, sep, value = line.partition(b':')
        if sep and name.strip().lower() in names:
            out.append(value.strip())
    return out


def call_id(data):
    v = header(data, b'call-id', b'i')
    return v[0] if v else None


def is_response(data):
    return data.startswith(b'SIP/2.0 ')


def read_dir(d):
    out = []
    if not os.path.isdir(d):
        return out
    for f in sorted(os.listdir(d)):
        if re.fullmatch(r'\d{4}', f):
            with open(os.path.join(d, f), 'rb') as fh:
                data = fh.read()
            src = open(os.path.join(d, f + '.from')).read().split()
            out.append((f, data, src))
    return out


def forwarded_ok(orig, data, src, via_host):
    """Problems with a forwarded datagram, [] when it is sound SIP."""
    p = []
    lines = head_of(data)
    if not re.fullmatch(rb'[!-~]+ [!-~]+ SIP/2\.0', lines[0]):
        p.append('request line %r' % lines[0][:80])
    elif lines[0].split(b' ')[0] != orig.split(b' ', 1)[0]:
        p.append('method changed: %r' % lines[0][:40])
    want = (b'Via: SIP/2.0/UDP ' + via_host.encode() +
            rb';branch=z9hG4bKsk[0-9a-f]{32}')
    if len(lines) < 2 or not re.fullmatch(want, lines[1]):
        p.append('top Via not ours: %r' % (lines[1][:90] if len(lines) > 1
                                           else None))
    if b'\r\n\r\n' not in data:
        p.append('no end of headers')
    body = data.split(b'\r\n\r\n', 1)[1] if b'\r\n\r\n' in data else b''
    cl = header(data, b'content-length', b'l')
    if len(cl) > 1:
        p.append('Content-Length %d times' % len(cl))
    elif cl and (not cl[0].isdigit() or int(cl[0]) != len(body)):
        p.append('Content-Length %r, body %d octets' % (cl[0], len(body)))
    mf_in = header(orig, b'max-forwards')
    mf_out = header(data, b'max-forwards')
    want_mf = int(mf_in[0]) - 1 if mf_in else 70
    if len(mf_out) != 1 or not mf_out[0].isdigit() or \
            int(mf_out[0]) != want_mf:
        p.append('Max-Forwards %r, want %d' % (mf_out, want_mf))
    if call_id(data) != call_id(orig):
        p.append('Call-ID changed')
    if src[1] != via_host.rsplit(':', 1)[1]:
        p.append('sent from port %s' % src[1])
    return p


def main(corpus, uas_dir, px_dir, via_host):
    files = {}
    for f in sorted(os.listdir(corpus)):
        if f.endswith('.dat'):
            files[f[:-4]] = open(os.path.join(corpus, f), 'rb').read()
    by_bytes = {v: k for k, v in files.items()}
    by_cid = {}
    for k, v in files.items():
        if call_id(v) is not None:
            by_cid.setdefault(call_id(v), k)

    arrived = {k: [] for k in files}    # name -> [(where, data, src)]
    stray = []
    for where, d in (('uas', uas_dir), ('proxy', px_dir)):
        for f, data, src in read_dir(d):
            name = by_bytes.get(data) or by_cid.get(call_id(data))
            if name is None:
                stray.append('%s/%s %r' % (where, f, data[:60]))
            else:
                arrived[name].append((where, data, src))

    n_ok = 0
    for name, orig in files.items():
        sec = section(name)
        got = arrived[name]
        problems = []
        outcome = ' + '.join(w for w, _, _ in got) or 'nothing'
        if len(got) != 1:
            problems.append('arrived %d times (%s)' % (len(got), outcome))
        for where, data, src in got:
            if where == 'proxy':
                if data != orig:
                    problems.append('handed up changed (%d octets, sent %d)'
                                    % (len(data), len(orig)))
            else:
                if name in INVALID or name in INVALID_33:
                    problems.append('invalid message forwarded')
                if name in MUST_HAND_UP:
                    problems.append('forwarded despite ' + MUST_HAND_UP[name])
                if is_response(orig):
                    problems.append('response with a foreign top Via forwarded')
                if orig.startswith(b'REGISTER '):
                    problems.append('REGISTER forwarded')
                problems += forwarded_ok(orig, data, src, via_host)
        if name in INVALID or name in INVALID_33:
            what = 'handed up unchanged, never forwarded'
        elif name in MUST_HAND_UP:
            what = 'handed up unchanged: ' + MUST_HAND_UP[name]
        elif is_response(orig):
            what = 'response, top Via not ours: handed up unchanged'
        elif orig.startswith(b'REGISTER '):
            what = 'REGISTER (sipkd is the registrar): handed up unchanged'
        else:
            what = 'forwarded as sound SIP or handed up unchanged, once'
        res = 'ok' if not problems else 'not ok'
        print('# %-10s -> %s' % (name, outcome))
        for p in problems:
            print('#   ' + p)
        print('%s torture: %s (RFC 4475 %s): %s' % (res, name, sec, what))
        n_ok += not problems

    fwd = [n for n, g in arrived.items() if any(w == 'uas' for w, _, _ in g)]
    print('# forwarded by the kernel: %s' % ' '.join(sorted(fwd)))
    for s in stray:
        print('#   stray datagram: ' + s)
    print('%s torture: every datagram received belongs to one message of the '
          'corpus' % ('not ok' if stray else 'ok'))
    # the test must not be vacuous: the location entries route the
    # well-formed requests for user@example.com
    need = {'lwsdisp', 'invut', 'sdp01'}
    print('%s torture: plain valid requests for a known AOR are forwarded '
          '(%s)' % ('ok' if need <= set(fwd) else 'not ok',
                    ', '.join(sorted(need))))
    print('# %d files, %d as expected, %d datagrams at the uas' %
          (len(files), n_ok, len(fwd)))


if __name__ == '__main__':
    if len(sys.argv) != 6 or sys.argv[1] != 'check':
        sys.exit(__doc__)
    main(*sys.argv[2:])
