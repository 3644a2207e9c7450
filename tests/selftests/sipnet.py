#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Raw UDP helpers for the kernel selftests.

  sipnet.py listen ADDR PORT DIR [SECONDS]
      bind ADDR:PORT, write every datagram to DIR/NNNN (+ DIR/NNNN.from),
      until SECONDS pass (default 30) or the process is killed; creates
      DIR/ready once bound.
  sipnet.py send SRC SPORT DST DPORT FILE...
      send each FILE as one datagram from SRC:SPORT to DST:DPORT
  sipnet.py answer FILE CODE OUT
      turn a request (as received by the UAS) into a response CODE: the
      status line replaces the request line, the headers are kept
      (RFC 3261 8.2.6.2: Via, From, To, Call-ID, CSeq copied)
"""
import os
import socket
import sys
import time


def family(addr):
    return socket.AF_INET6 if ':' in addr else socket.AF_INET


def listen(addr, port, out, seconds=30.0):
    os.makedirs(out, exist_ok=True)
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    open(os.path.join(out, 'ready'), 'w').close()
    end = time.time() + float(seconds)
    n = 0
    while time.time() < end:
        s.settimeout(max(0.01, end - time.time()))
        try:
            data, peer = s.recvfrom(70000)
        except socket.timeout:
            break
        path = os.path.join(out, '%04d' % n)
        with open(path + '.tmp', 'wb') as f:
            f.write(data)
        with open(path + '.from', 'w') as f:
            f.write('%s %d\n' % (peer[0], peer[1]))
        os.rename(path + '.tmp', path)
        n += 1


def send(src, sport, dst, dport, files):
    s = socket.socket(family(dst), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, int(sport)))
    for f in files:
        with open(f, 'rb') as fh:
            s.sendto(fh.read(), (dst, int(dport)))
        if len(files) > 1:
            time.sleep(0.02)


def answer(path, code, out):
    data = open(path, 'rb').read()
    head, sep, body = data.partition(b'\r\n\r\n')
    lines = head.split(b'\r\n')
    reason = {b'100': b'Trying', b'180': b'Ringing', b'200': b'OK',
              b'486': b'Busy Here'}.get(code.encode(), b'Whatever')
    lines[0] = b'SIP/2.0 ' + code.encode() + b' ' + reason
    keep = [lines[0]] + [l for l in lines[1:] if l.split(b':')[0].strip().lower()
                         in (b'via', b'v', b'from', b'f', b'to', b't',
                             b'call-id', b'i', b'cseq')]
    keep.append(b'Content-Length: 0')
    open(out, 'wb').write(b'\r\n'.join(keep) + b'\r\n\r\n')


def main(argv):
    if argv[1] == 'listen':
        listen(*argv[2:6])
    elif argv[1] == 'send':
        send(argv[2], argv[3], argv[4], argv[5], argv[6:])
    elif argv[1] == 'answer':
        answer(argv[2], argv[3], argv[4])
    else:
        sys.exit('usage: see the docstring')


if __name__ == '__main__':
    main(sys.argv)
