# SPDX-License-Identifier: GPL-2.0
# sipkd, the daemon, in the proxy namespace behind the kernel hook:
# registrar (RFC 3261 10.3) with SIPp scenarios, digest authentication
# (MD5, SHA-256, replay), its own answers (404, 483, 420, 400, 405, 416,
# OPTIONS 200), SIP over TCP, the redirect server (302, retransmitted
# until the ACK),
# bindings pushed to the kernel (owner daemon) so that calls to a
# registered user take the fast path without sipkd, persistence and the
# kernel resync across a crash, the RFC 4475 torture messages, and the
# same calls forwarded by sipkd alone when the module is not loaded, and
# a restart in the middle of a SIPp load.
SIPKD=${SIPKD:-$TOP/build/sipkd}
N60=${SIPK_TEST_SIPKD_CALLS:-20}
T60=${SIPK_TESTDATA:-$TOP/../shared/testdata}/rfc4475
SD=$WORK/sipkd
DOM=sipk.test
rm -rf "$SD"
mkdir -p "$SD"

# ---- helpers ----

# ua CHECK ARGS...: the UA below; its "ok - "/"FAIL - " lines as results
ua() {
	local ns=$1
	shift
	ip netns exec "$ns" python3 "$SD/sipkd_ua.py" "$@" >"$SD/ua.out" 2>&1 ||
		echo "FAIL - the UA ran to its end (python3 sipkd_ua.py $1)" >>"$SD/ua.out"
	while IFS= read -r line; do
		case $line in
		"ok - "*) ktap_ok "sipkd: ${line#ok - }" ;;
		"FAIL - "*) ktap_not_ok "sipkd: ${line#FAIL - }" ;;
		*) echo "$line" ;;
		esac
	done <"$SD/ua.out"
}

# reg NAME SCENARIO SIPP-ARGS...: a one-call SIPp REGISTER scenario from
# the uac namespace to the proxy
reg() {
	local name=$1 sc=$2
	shift 2
	sipp_uac "$name" -sf "$SCEN/$sc" "$PX4:5060" -i $UAC4 -p 5070 -m 1 "$@"
	sipp_ok "$name" 1
}

# kloc PATTERN: the kernel's location table (sipkctl loc show) has a line
# matching PATTERN (extended regexp)
kloc() {
	pctl loc show >"$SD/loc.out" 2>&1
	grep -Eq "$1" "$SD/loc.out" || { cat "$SD/loc.out"; return 1; }
}

# no_kloc PATTERN: ... and not
no_kloc() {
	pctl loc show >"$SD/loc.out" 2>&1
	! grep -Eq "$1" "$SD/loc.out" || { cat "$SD/loc.out"; return 1; }
}

# wait_for SECONDS CMD...: CMD succeeds within SECONDS
wait_for() {
	local n=$(($1 * 10)) i
	shift
	for i in $(seq "$n"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	"$@"
}

# calls NAME [SIPP-ARGS...]: N60 calls uac -> proxy -> uas to sip:uas@$DOM
# (the uas has registered its address), SIPp's own uas scenario answering
calls() {
	local name=$1
	shift
	# the uas runs until the uac is done: were it to stop after N60
	# calls, a retransmitted INVITE counted as another call (TCG is
	# slow) would end it before the last BYEs
	sipp_uas "$name-uas" $UAS4 100000 -sn uas $UAS_TOLERANT
	sipp_uac "$name-uac" -sf "$SCEN/uac_call.xml" "$PX4:5060" \
		-key ruri "sip:uas@$DOM" -i $UAC4 -p 5060 -m "$N60" -r 20 -l "$N60" "$@"
	sipp_uas_wait 0
	sipp_ok "$name-uac" "$N60" && return 0
	# keep SIPp's logs for a look after the VM is gone
	[ -n "${SIPK_VM_SCRATCH:-}" ] &&
		cp "$WORK/$name"-ua[cs].* "$SIPK_VM_SCRATCH/" 2>/dev/null
	return 1
}

# ---- the configuration, the credentials, the UA ----
"$SIPKD" --ha1 alice md5.$DOM secret >"$SD/credentials"
"$SIPKD" --ha1 alice auth.$DOM secret >>"$SD/credentials"
"$SIPKD" --ha1 --algorithm MD5 dora $DOM pw >>"$SD/credentials"
cat >"$SD/sipkd.conf" <<EOF
# sipkd's selftest: every address, port 5060
database = $SD/sipkd.db
credentials = $SD/credentials
min-expires = 30
max-expires = 86400
kernel-retry = 1

[domain $DOM]

[domain md5.$DOM]
auth = yes
auth-algorithms = MD5

[domain auth.$DOM]
auth = yes
auth-algorithms = SHA-256 MD5

[domain red.$DOM]
mode = redirect
EOF
cat >"$SD/sipkd_ua.py" <<'PYEOF'
#!/usr/bin/env python3
"""A tiny SIP UA for sipkd's selftests.

  sipkd_ua.py CHECK LOCAL_ADDR LOCAL_PORT PROXY_ADDR PROXY_PORT [ARGS...]

CHECK is one of: answers, registrar, auth, redirect, rfc4475 DIR, options.
Each prints "ok - ..." / "FAIL - ..." lines and exits 1 if any failed.
"""
import hashlib
import os
import random
import re
import socket
import sys
import time

FAILED = 0


def result(ok, what, detail=''):
    global FAILED
    if ok:
        print('ok - ' + what)
    else:
        FAILED += 1
        print('FAIL - ' + what + (': ' + str(detail) if detail != '' else ''))
    return ok


def fam(a):
    return socket.AF_INET6 if ':' in a else socket.AF_INET


def hostport(a, p):
    return ('[%s]' % a if ':' in a else a) + ':%d' % p


class UA:
    def __init__(self, addr, port, proxy, pport):
        self.s = socket.socket(fam(addr), socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.s.bind((addr, port))
        self.addr, self.port, self.proxy = addr, port, (proxy, pport)
        self.me = hostport(addr, port)
        self.tag = 't%d' % random.randrange(1 << 30)

    def request(self, method, ruri, to=None, callid=None, cseq=1,
                extra=(), mf=70, branch=None, via=None, contact=True):
        to = to or ruri
        callid = callid or '%x@ua' % random.randrange(1 << 48)
        branch = branch or 'z9hG4bK%x' % random.randrange(1 << 48)
        lines = ['%s %s SIP/2.0' % (method, ruri),
                 via or 'Via: SIP/2.0/UDP %s;branch=%s;rport' % (self.me, branch),
                 'Max-Forwards: %d' % mf,
                 'From: <sip:ua@%s>;tag=%s' % (self.me, self.tag),
                 'To: <%s>' % to,
                 'Call-ID: %s' % callid,
                 'CSeq: %d %s' % (cseq, method)]
        if contact is True:
            lines.append('Contact: <sip:ua@%s>' % self.me)
        lines += list(extra)
        lines += ['Content-Length: 0', '', '']
        return '\r\n'.join(lines).encode()

    def send(self, data):
        self.s.sendto(data, self.proxy)

    def recv(self, timeout):
        self.s.settimeout(max(timeout, 0.001))
        try:
            data, _ = self.s.recvfrom(70000)
            return data.decode('utf-8', 'replace')
        except socket.timeout:
            return None

    def drain(self):
        while self.recv(0.01):
            pass

    def transact(self, data, timeout=3.0):
        """send, return the final response (or None)"""
        self.drain()
        self.send(data)
        end = time.time() + timeout
        while time.time() < end:
            r = self.recv(end - time.time())
            if r and status(r) >= 200:
                return r
        return None

    def collect(self, seconds):
        out, end = [], time.time() + seconds
        while time.time() < end:
            r = self.recv(end - time.time())
            if r:
                out.append(r)
        return out


def status(r):
    try:
        return int(r.split(' ', 2)[1])
    except (IndexError, ValueError, AttributeError):
        return 0


COMPACT = {'v': 'via', 'f': 'from', 't': 'to', 'i': 'call-id', 'm': 'contact',
           'l': 'content-length'}


def headers(r, name):
    out = []
    for line in r.split('\r\n\r\n')[0].split('\r\n')[1:]:
        n, _, v = line.partition(':')
        n = n.strip().lower()
        n = COMPACT.get(n, n)
        if n == name.lower():
            out.append(v.strip())
    return out


def contacts(r):
    """[(uri, {params})] of every Contact value"""
    out = []
    for v in headers(r, 'contact'):
        for m in re.finditer(r'<([^>]*)>([^,]*)', v):
            params = {}
            for p in m.group(2).split(';')[1:]:
                k, _, val = p.partition('=')
                params[k.strip().lower()] = val.strip()
            out.append((m.group(1), params))
    return out


def ack_for(inv, resp):
    """the ACK of a non-2xx final response: same branch, To with its tag"""
    ack = inv.replace(b'INVITE sip', b'ACK sip', 1).replace(b' INVITE\r\n', b' ACK\r\n')
    if resp and headers(resp, 'to'):
        ack = re.sub(rb'\r\nTo: [^\r]*', ('\r\nTo: ' + headers(resp, 'to')[0]).encode(), ack)
    return ack


def invite(ua, ruri, **kw):
    """INVITE, its final response, and the ACK for it"""
    inv = ua.request('INVITE', ruri, **kw)
    r = ua.transact(inv)
    if r and status(r) >= 300:
        ua.send(ack_for(inv, r))
    return r


def st(r):
    return status(r) if r else 'no answer'


# ---- checks ----

def check_answers(ua, dom, pxaddr):
    r = invite(ua, 'sip:nobody@%s' % dom)
    result(st(r) == 404, '404 for an unknown user of our domain', st(r))
    result(ua.recv(0.7) is None, 'the ACK of the 404 stops its retransmission')
    ua.send(ua.request('ACK', 'sip:nobody@%s' % dom))
    result(ua.recv(0.3) is None, 'an ACK is never answered')
    r = ua.transact(ua.request('CANCEL', 'sip:nobody@%s' % dom))
    result(st(r) == 481, '481 for a CANCEL that matches nothing', st(r))
    r = invite(ua, 'sip:x@not-ours.example')
    result(st(r) == 404, '404 for a domain not ours (no relaying)', st(r))
    r = ua.transact(ua.request('OPTIONS', 'sip:nobody@%s' % dom, mf=0))
    result(st(r) == 483, '483 when Max-Forwards is 0', st(r))
    r = ua.transact(ua.request('OPTIONS', 'sip:nobody@%s' % dom,
                               extra=['Proxy-Require: foo, bar']))
    ok = st(r) == 420 and 'foo' in ''.join(headers(r, 'unsupported'))
    result(ok, '420 with Unsupported for a Proxy-Require', st(r))
    bad = ua.request('OPTIONS', 'sip:nobody@%s' % dom).replace(
        b'CSeq: 1 OPTIONS', b'CSeq: x OPTIONS')
    r = ua.transact(bad)
    result(st(r) == 400, '400 for a malformed request (bad CSeq)', st(r))
    r = ua.transact(ua.request('OPTIONS', 'sip:%s' % dom))
    result(st(r) == 200 and headers(r, 'allow'),
           '200 with Allow to OPTIONS for the domain itself', st(r))
    r = ua.transact(ua.request('OPTIONS', 'sip:%s' % pxaddr))
    result(st(r) == 200, '200 to OPTIONS for the proxy\'s address', st(r))
    r = ua.transact(ua.request('OPTIONS', 'sip:%s' % dom, mf=0))
    result(st(r) == 200, 'OPTIONS to the proxy with Max-Forwards 0: 200', st(r))
    r = ua.transact(ua.request('OPTIONS', 'tel:+15551234'))
    result(st(r) == 416, '416 for a tel: Request-URI', st(r))
    r = invite(ua, 'sip:%s' % dom)
    result(st(r) == 405, '405 for an INVITE to the proxy itself', st(r))
    req = ua.request('INVITE', 'sip:nobody2@%s' % dom)
    r1 = ua.transact(req)
    r2 = ua.transact(req)
    result(r1 and r2 and headers(r1, 'to') == headers(r2, 'to'),
           'a retransmitted request gets the same answer (same To tag)')
    ua.send(ack_for(req, r1))
    r = invite(ua, 'sip:x@%s' % dom, extra=['Route: <sip:192.0.2.66;lr>'])
    result(st(r) == 403, '403 for a foreign Route (no relaying)', st(r))


def register(ua, dom, user, contact_list, expires=None, callid=None, cseq=1,
             extra=()):
    ex = list(extra)
    if expires is not None:
        ex.append('Expires: %d' % expires)
    ex += ['Contact: %s' % c for c in contact_list]
    return ua.transact(ua.request('REGISTER', 'sip:%s' % dom,
                                  to='sip:%s@%s' % (user, dom), callid=callid,
                                  cseq=cseq, extra=ex, contact=False))


def check_registrar(ua, dom):
    cid = 'reg-%x@ua' % random.randrange(1 << 40)
    a = '<sip:bob@192.0.2.10:5060>;q=0.5'
    b = '<sip:bob@192.0.2.11:5062>;q=0.9;expires=120'
    r = register(ua, dom, 'bob', [a, b], expires=600, callid=cid, cseq=1)
    c = dict((u, p) for u, p in contacts(r)) if r else {}
    ok = (st(r) == 200 and len(c) == 2 and
          590 <= int(c.get('sip:bob@192.0.2.10:5060', {}).get('expires', 0)) <= 600 and
          110 <= int(c.get('sip:bob@192.0.2.11:5062', {}).get('expires', 0)) <= 120 and
          c['sip:bob@192.0.2.10:5060'].get('q') == '0.5')
    result(ok, 'two contacts with q and expires param: 200 lists both with their expiry',
           r and '; '.join(headers(r, 'contact')) or st(r))
    r = register(ua, dom, 'bob', [a], expires=600, callid=cid, cseq=1)
    result(st(r) == 400, 'same Call-ID, CSeq not higher: refused (out of order)', st(r))
    r = register(ua, dom, 'bob', [], callid='q-%x' % random.randrange(1 << 30))
    result(st(r) == 200 and len(contacts(r)) == 2, 'a query (no Contact) lists the bindings', st(r))
    r = register(ua, dom, 'bob', ['<sip:bob@192.0.2.10:5060>'], expires=0,
                 callid=cid, cseq=2)
    c = contacts(r) if r else []
    result(st(r) == 200 and len(c) == 1 and c[0][0] == 'sip:bob@192.0.2.11:5062',
           'Expires: 0 removes one binding, the 200 lists the other', st(r))
    r = register(ua, dom, 'bob', ['<sip:bob@192.0.2.12>'], expires=10 ** 7,
                 callid=cid, cseq=3)
    c = dict(contacts(r)) if r else {}
    e = int(c.get('sip:bob@192.0.2.12', {}).get('expires', -1))
    result(st(r) == 200 and 0 < e <= 86400, 'an expiry above max-expires is shortened', e)
    r = register(ua, dom, 'bob', ['<sip:bob@192.0.2.13>'], callid=cid, cseq=4)
    c = dict(contacts(r)) if r else {}
    e = int(c.get('sip:bob@192.0.2.13', {}).get('expires', -1))
    result(st(r) == 200 and 3590 <= e <= 3600, 'no expiry given: 3600 s by default', e)
    r = register(ua, dom, 'bob', ['*'], expires=3600, callid=cid, cseq=5)
    result(st(r) == 400, 'Contact: * with Expires other than 0: 400', st(r))
    r = register(ua, dom, 'bob', ['*', '<sip:bob@192.0.2.14>'], expires=0, callid=cid, cseq=6)
    result(st(r) == 400, 'Contact: * with another contact: 400', st(r))
    r = register(ua, dom, 'bob', ['<sip:bob@192.0.2.15>'], expires=5, callid=cid, cseq=7)
    result(st(r) == 423 and headers(r, 'min-expires'), '423 with Min-Expires for 5 s', st(r))
    r = register(ua, dom, 'bob', ['*'], expires=0, callid=cid, cseq=8)
    result(st(r) == 200 and not contacts(r), 'Contact: * with Expires: 0 removes all', st(r))
    r = register(ua, 'not-ours.example', 'bob', ['<sip:bob@192.0.2.16>'])
    result(st(r) == 404, 'REGISTER for a domain not ours: 404', st(r))
    r = register(ua, dom, 'bob', ['<sip:bob@192.0.2.17>'], extra=['Require: gruu'])
    result(st(r) == 420 and 'gruu' in ''.join(headers(r, 'unsupported')),
           'REGISTER with Require: 420', st(r))
    r = register(ua, dom, 'bob', ['bob <mailto:bob@192.0.2.17>'])
    result(st(r) == 400, 'a Contact that is not a sip: URI: 400', st(r))


def parse_chal(v):
    out = {}
    for m in re.finditer(r'(\w+)=("([^"]*)"|[^,\s]+)', v):
        out[m.group(1).lower()] = m.group(3) if m.group(3) is not None else m.group(2)
    return out


def digest(alg, user, realm, pw, method, uri, nonce, nc, cnonce):
    h = hashlib.sha256 if alg.startswith('SHA-256') else hashlib.md5
    H = lambda s: h(s.encode()).hexdigest()
    ha1 = H('%s:%s:%s' % (user, realm, pw))
    ha2 = H('%s:%s' % (method, uri))
    resp = H('%s:%s:%08x:%s:auth:%s' % (ha1, nonce, nc, cnonce, ha2))
    return ('Authorization: Digest username="%s", realm="%s", nonce="%s", '
            'uri="%s", response="%s", algorithm=%s, cnonce="%s", qop=auth, '
            'nc=%08x' % (user, realm, nonce, uri, resp, alg, cnonce, nc))


def check_auth(ua, dom, user, pw):
    ruri = 'sip:%s' % dom
    cid = 'auth-%x@ua' % random.randrange(1 << 40)
    con = ['<sip:%s@%s>' % (user, ua.me)]
    r = register(ua, dom, user, con, callid=cid, cseq=1)
    ch = [parse_chal(v) for v in headers(r, 'www-authenticate')] if r else []
    algs = [c.get('algorithm') for c in ch]
    result(st(r) == 401 and algs == ['SHA-256', 'MD5'] and
           all(c.get('qop') == 'auth' for c in ch),
           '401 with SHA-256 then MD5 challenges, qop=auth', '%s %s' % (st(r), algs))
    if not ch:
        return
    nonce, realm = ch[0]['nonce'], ch[0]['realm']
    a = digest('SHA-256', user, realm, pw, 'REGISTER', ruri, nonce, 1, 'c1')
    r = register(ua, dom, user, con, expires=300, callid=cid, cseq=2, extra=[a])
    result(st(r) == 200 and contacts(r), 'SHA-256 digest accepted: 200', st(r))
    r = register(ua, dom, user, con, expires=300, callid=cid, cseq=3, extra=[a])
    ch2 = [parse_chal(v) for v in headers(r, 'www-authenticate')] if r else []
    result(st(r) == 401, 'the same nonce and nc again (replay): refused with 401', st(r))
    a = digest('SHA-256', user, realm, pw, 'REGISTER', ruri, nonce, 2, 'c2')
    r = register(ua, dom, user, con, expires=300, callid=cid, cseq=4, extra=[a])
    result(st(r) == 200, 'the same nonce with nc=2: 200', st(r))
    a = digest('MD5', user, realm, pw, 'REGISTER', ruri, nonce, 3, 'c3')
    r = register(ua, dom, user, con, expires=300, callid=cid, cseq=5, extra=[a])
    result(st(r) == 200, 'MD5 digest accepted: 200', st(r))
    a = digest('MD5', user, realm, 'wrong' + pw, 'REGISTER', ruri, nonce, 4, 'c4')
    r = register(ua, dom, user, con, expires=300, callid=cid, cseq=6, extra=[a])
    result(st(r) == 403, 'wrong password: 403', st(r))
    fake = '%064x' % random.randrange(1 << 250)
    a = digest('MD5', user, realm, pw, 'REGISTER', ruri, fake, 1, 'c5')
    r = register(ua, dom, user, con, expires=300, callid=cid, cseq=7, extra=[a])
    ch = [parse_chal(v) for v in headers(r, 'www-authenticate')] if r else []
    result(st(r) == 401 and ch and ch[0].get('stale', '').lower() == 'true',
           'right password, nonce not ours: 401 stale=true', st(r))
    a = digest('MD5', user, realm, pw, 'REGISTER', 'sip:elsewhere.example', nonce, 5, 'c6')
    r = register(ua, dom, user, con, expires=300, callid=cid, cseq=8, extra=[a])
    result(st(r) == 400, 'digest uri not the Request-URI: 400', st(r))
    a = digest('MD5', user, realm, pw, 'REGISTER', ruri, nonce, 6, 'c7')
    r = register(ua, dom, 'someoneelse', con, expires=300, callid=cid, cseq=9, extra=[a])
    result(st(r) == 403, 'authenticated, but another user\'s AOR: 403', st(r))
    r = register(ua, dom, user, ['*'], expires=0, callid=cid, cseq=10)
    result(st(r) == 401, 'no credentials, no change: 401', st(r))


def check_redirect(ua, dom, user):
    cid = 'red-%x@ua' % random.randrange(1 << 40)
    r = register(ua, dom, user, ['<sip:%s@192.0.2.20:5070>;q=0.7' % user,
                                 '<sip:%s@192.0.2.21>;q=0.2' % user],
                 expires=300, callid=cid)
    result(st(r) == 200, 'redirect user registers two contacts', st(r))
    inv = ua.request('INVITE', 'sip:%s@%s' % (user, dom), callid='inv-' + cid)
    ua.drain()
    ua.send(inv)
    got = ua.collect(2.2)
    codes = [status(x) for x in got]
    c = dict(contacts(got[0])) if got else {}
    result(codes and codes[0] == 302 and
           c.get('sip:%s@192.0.2.20:5070' % user, {}).get('q') == '0.7' and
           c.get('sip:%s@192.0.2.21' % user, {}).get('q') == '0.2',
           '302 with every contact, q kept', codes and got[0].split('\r\n')[0])
    result(len(codes) >= 3 and set(codes) == {302},
           '302 retransmitted until the ACK (RFC 3261 17.2.1): %d in 2.2 s' % len(codes))
    ua.send(ack_for(inv, got[0] if got else None))
    ua.recv(0.05)
    late = ua.collect(2.5)
    result(not late, 'after the ACK: no more 302 (ACK absorbed)', len(late))
    ua.send(inv)
    late = ua.collect(0.3)
    result(len(late) <= 1 and all(status(x) == 302 for x in late),
           'INVITE retransmission after the ACK: nothing new started')
    can = inv.replace(b'INVITE sip', b'CANCEL sip', 1).replace(b' INVITE\r\n', b' CANCEL\r\n')
    r = ua.transact(can)
    result(st(r) == 200, 'CANCEL of the redirected INVITE: 200, nothing to cancel', st(r))
    r = ua.transact(ua.request('MESSAGE', 'sip:%s@%s' % (user, dom)))
    result(st(r) == 302, 'other methods are redirected too', st(r))
    register(ua, dom, user, ['*'], expires=0, callid=cid, cseq=2)


def check_tcp(ua, dom):
    """SIP over TCP: framing by Content-Length, keep-alive, answers on the connection"""
    t = socket.socket(fam(ua.proxy[0]), socket.SOCK_STREAM)
    t.settimeout(3)
    t.connect(ua.proxy)
    me = hostport(*t.getsockname()[:2])
    ua.me = me

    def req(method, ruri, body=b'', extra=()):
        r = ua.request(method, ruri, extra=list(extra) +
                       ['Content-Type: text/plain'] if body else list(extra))
        r = r.replace(b'SIP/2.0/UDP', b'SIP/2.0/TCP')
        if body:
            r = r.replace(b'Content-Length: 0', b'Content-Length: %d' % len(body)) + body
        return r

    buf = [b'']

    def read_msgs(n, timeout=3.0):
        out, end = [], time.time() + timeout
        while len(out) < n and time.time() < end:
            while b'\r\n\r\n' in buf[0]:
                head, _, rest = buf[0].partition(b'\r\n\r\n')
                m = re.search(rb'\r\nContent-Length: *(\d+)', head, re.I)
                cl = int(m.group(1)) if m else 0
                if len(rest) < cl:
                    break
                out.append((head + b'\r\n\r\n' + rest[:cl]).decode('utf-8', 'replace'))
                buf[0] = rest[cl:]
                if len(out) >= n:
                    return out
            try:
                t.settimeout(max(0.01, end - time.time()))
                d = t.recv(65536)
            except socket.timeout:
                break
            if not d:
                break
            buf[0] += d
        return out

    t.sendall(req('OPTIONS', 'sip:%s' % dom))
    r = read_msgs(1)
    result(r and status(r[0]) == 200, 'TCP: OPTIONS answered on the connection', r and status(r[0]))
    t.sendall(b'\r\n\r\n')
    t.settimeout(2)
    try:
        pong = t.recv(2)
    except socket.timeout:
        pong = b''
    result(pong == b'\r\n', 'TCP: CRLF CRLF keep-alive answered with CRLF', pong)
    t.sendall(req('OPTIONS', 'sip:%s' % dom) + req('INVITE', 'sip:nobody@%s' % dom, body=b'v=0\r\n'))
    r = read_msgs(2)
    result([status(x) for x in r] == [200, 404], 'TCP: two messages in one segment, one with a body: 200, 404',
           [status(x) for x in r])
    m = req('OPTIONS', 'sip:%s' % dom, body=b'hello world')
    for i in range(0, len(m), 40):
        t.sendall(m[i:i + 40])
        time.sleep(0.02)
    r = read_msgs(1)
    result(r and status(r[0]) == 200, 'TCP: a message in 40-octet pieces', r and status(r[0]))
    t.sendall(req('OPTIONS', 'sip:%s' % dom).replace(b'Content-Length: 0', b'Content-Length: 99999'))
    t.settimeout(3)
    try:
        closed = t.recv(100) == b''
    except (socket.timeout, ConnectionResetError):
        closed = False
    result(closed, 'TCP: a Content-Length above 65535 closes the connection')
    t.close()


RFC_INVALID = {'badinv01', 'clerr', 'scalar02', 'ltgtruri', 'lwsruri',
               'lwsstart', 'trws', 'escruri', 'baddate', 'regbadct',
               'badaspec', 'baddn', 'quotbal', 'mismatch01', 'mismatch02',
               'ncl', 'insuf', 'multi01', 'mcl01'}
RFC_RESPONSES = {'bcast', 'bigcode', 'scalarlg', 'unreason', 'noreason'}
RFC_EXPECT = {'zeromf': 483, 'bext01': 420, 'badvers': 505, 'unkscm': 416,
              'novelsc': 416}


def check_rfc4475(ua, d):
    names = sorted(f[:-4] for f in os.listdir(d) if f.endswith('.dat'))
    result(len(names) == 49, '49 torture messages found', len(names))
    bad = []
    for n in names:
        data = open(os.path.join(d, n + '.dat'), 'rb').read()
        # answers to this message only (earlier INVITEs' 4xx are retransmitted)
        m = re.search(rb'\r\n(?:Call-ID|i)[ \t]*:[ \t]*([^\r]*)', data, re.I)
        cid = m.group(1).decode('utf-8', 'replace').strip() if m else None
        ua.drain()
        ua.send(data)
        got, end = [], time.time() + (0.3 if n in RFC_RESPONSES else 1.5)
        while time.time() < end and not got:
            x = ua.recv(end - time.time())
            if x and (cid is None or headers(x, 'call-id')[:1] == [cid]):
                got.append(x)
        codes = [status(x) for x in got]
        if n in RFC_RESPONSES:
            ok = not codes
        elif n in RFC_EXPECT:
            ok = codes[:1] == [RFC_EXPECT[n]]
        elif n in RFC_INVALID:
            ok = codes[:1] == [400]
        else:
            ok = True   # valid: whatever sipkd says (usually 404: example.com is not ours)
        if not ok:
            bad.append('%s:%s' % (n, codes))
        print('#   %-10s -> %s' % (n, ' '.join(map(str, codes)) or '-'))
    result(not bad, 'invalid requests 400 (badvers 505), zeromf 483, bext01 420, '
           'unknown schemes 416, responses dropped', ' '.join(bad))


def main(argv):
    check, la, lp, pa, pp = argv[1], argv[2], int(argv[3]), argv[4], int(argv[5])
    ua = UA(la, lp, pa, pp)
    args = argv[6:]
    if check == 'answers':
        check_answers(ua, args[0], args[1])
    elif check == 'registrar':
        check_registrar(ua, args[0])
    elif check == 'auth':
        check_auth(ua, args[0], args[1], args[2])
    elif check == 'redirect':
        check_redirect(ua, args[0], args[1])
    elif check == 'tcp':
        check_tcp(ua, args[0])
    elif check == 'rfc4475':
        check_rfc4475(ua, args[0])
    elif check == 'options':
        r = ua.transact(ua.request('OPTIONS', 'sip:%s' % args[0]))
        result(st(r) == 200, 'OPTIONS to the proxy: 200', st(r))
    else:
        print('unknown check ' + check)
        return 2
    return 1 if FAILED else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
PYEOF

# ---- command line and configuration ----
check "sipkd: --ha1 prints MD5 and SHA-256 credential lines" \
	sh -c "'$SIPKD' --ha1 u r p | grep -Eq '^u:r:MD5:[0-9a-f]{32}\$' &&
	       '$SIPKD' --ha1 u r p | grep -Eq '^u:r:SHA-256:[0-9a-f]{64}\$'"
check "sipkd: -t checks the configuration" "$SIPKD" -t -c "$SD/sipkd.conf"
check "sipkd: the documented example configuration is valid" \
	"$SIPKD" -t -c "$TOP/Documentation/sipkd.conf.example"
bad_conf() { # TEXT STATUS MESSAGE: a bad configuration is refused, named
	local out rc
	printf '%s\n' "$1" >"$SD/bad.conf"
	out=$("$SIPKD" -t -c "$SD/bad.conf" 2>&1)
	rc=$?
	echo "exit $rc: $out"
	[ "$rc" = "$2" ] && echo "$out" | grep -qF "$3"
}
check "sipkd: a bad listen address: exit 3, file and line named" \
	bad_conf 'listen = 198.18.1.1:99999' 3 "bad.conf:1: invalid listen address \"198.18.1.1:99999\""
check "sipkd: an unknown setting: exit 3, named" \
	bad_conf $'[domain x.test]\nauth = yes\nfoo = 1' 3 'bad.conf:3: unknown setting "foo" in [domain x.test]'
check "sipkd: auth without a credentials file: exit 3" \
	bad_conf $'[domain x.test]\nauth = yes' 3 'no credentials file'
check "sipkd: an unknown option: exit 2" \
	sh -c "'$SIPKD' --bogus >/dev/null 2>&1; [ \$? = 2 ]"
check "sipkd: a missing configuration file: exit 3, named" \
	sh -c "'$SIPKD' -t -c '$SD/none.conf' 2>&1 | grep -q 'none.conf'; '$SIPKD' -t -c '$SD/none.conf' 2>/dev/null; [ \$? = 3 ]"

mod_load
topo_up
check "sipkd: starts in the proxy namespace (0.0.0.0:5060, [::]:5060)" sipkd_start
check "sipkd: finds the module: fast path on" grep -q 'fast path on' "$SD/cur.log"
second_sipkd() { # exit 1, the port named, the kernel not touched
	local out rc
	out=$(ip netns exec sipk-proxy "$SIPKD" -c "$SD/sipkd.conf" -f -q \
		--db "$SD/other.db" 2>&1)
	rc=$?
	echo "exit $rc: $out"
	[ "$rc" = 1 ] && echo "$out" | grep -q 'cannot listen on udp:0.0.0.0:5060'
}
check "sipkd: a second sipkd cannot take the port: exit 1, named" second_sipkd

# ---- registrar: SIPp scenarios ----
check "sipkd: SIPp register (3600 s), refresh (1800 s), unregister" \
	reg reg1 sipkd_register.xml -key user bob -key domain $DOM
check "sipkd: after the unregister the kernel has no entry for bob" \
	no_kloc "bob@$DOM"
check "sipkd: SIPp two contacts with q, then Contact: * with Expires: 0" \
	reg reg2 sipkd_wildcard.xml -key user bob -key domain $DOM
check "sipkd: SIPp expiry below min-expires: 423 with Min-Expires" \
	reg reg3 sipkd_423.xml -key user bob -key domain $DOM
check "sipkd: SIPp digest (MD5): 401, then 200 with the password" \
	reg auth1 sipkd_auth.xml -key user alice -key domain md5.$DOM \
	-au alice -ap secret -auth_uri md5.$DOM
check "sipkd: the authenticated binding is in the kernel, owner daemon" \
	kloc "sip:alice@md5.$DOM contact sip:alice@$UAC4:5070 addr $UAC4 port 5070 .*owner daemon"
check "sipkd: SIPp digest with a wrong password: 403" \
	reg auth2 sipkd_auth_wrong.xml -key user alice -key domain md5.$DOM \
	-au alice -ap wrong -auth_uri md5.$DOM

# ---- registrar, auth, answers, redirect: the UA ----
ua sipk-uac registrar $UAC4 5071 $PX4 5060 $DOM
ua sipk-uac auth $UAC4 5072 $PX4 5060 auth.$DOM alice secret
ua sipk-uac answers $UAC4 5073 $PX4 5060 $DOM $PX4
ua sipk-uac options "$UAC6" 5074 "$PX6" 5060 "[$PX6]"
ua sipk-uac tcp $UAC4 5077 $PX4 5060 $DOM
ua sipk-uac redirect $UAC4 5075 $PX4 5060 red.$DOM carol
check "sipkd: SIPp registers a user of the redirect domain" \
	reg red1 sipkd_uas_register.xml -key user dave -key domain red.$DOM
check "sipkd: its binding reaches the kernel with the redirect flag" \
	kloc "sip:dave@red.$DOM .*owner daemon redirect"
pctl stats reset
check "sipkd: SIPp INVITE to it: 302 with its contact, ACK" \
	reg red2 sipkd_redirect.xml -key ruri "sip:dave@red.$DOM" -key contact "sip:dave@$UAC4:5070"
check "sipkd: the kernel handed it up (punt_redirect)" counters "punt_redirect>=1"
pctl loc add "sip:static@$DOM" contact "sip:static@198.18.2.9:5062" q 0.3 redirect
check "sipkd: an operator's location entry with the redirect flag: 302 with it" \
	reg red3 sipkd_redirect.xml -key ruri "sip:static@$DOM" -key contact "sip:static@198.18.2.9:5062>;q=0.3"

# ---- register, then call: the kernel forwards, sipkd is not in the path ----
check "sipkd: the uas registers sip:uas@$DOM -> $UAS4:5060" \
	sh -c "ip netns exec sipk-uas sipp -sf '$SCEN/sipkd_uas_register.xml' $PXB4:5060 \
	       -key user uas -key domain $DOM -i $UAS4 -p 5060 -m 1 -nostdin -timeout 20s >/dev/null 2>&1"
check "sipkd: pushed to the kernel at once, owner daemon, about 3600 s" \
	kloc "sip:uas@$DOM contact sip:uas@$UAS4:5060 addr $UAS4 port 5060 q 1(\\.0+)? expires 3(5[0-9][0-9]|600) owner daemon"
pctl stats reset
INV0=$(sipkd_stat rx_invite) BYE0=$(sipkd_stat rx_bye)
check "sipkd: $N60 calls to the registered user, 0 failed" calls k1
check "sipkd: the kernel forwarded every INVITE, ACK and BYE" \
	counters "fwd_invite>=$N60" "fwd_ack>=$N60" "fwd_bye>=$N60" "punt_no_route==0"
check "sipkd: sipkd saw none of them" \
	sh -c "[ $(sipkd_stat rx_invite) = $INV0 ] && [ $(sipkd_stat rx_bye) = $BYE0 ]"

INV0=$(sipkd_stat fwd_invite)
check "sipkd: $N60 calls with the uac on TCP (sipkd forwards: the kernel does UDP), 0 failed" \
	calls t1 -t t1
check "sipkd: ... sipkd forwarded them" \
	sh -c "[ \$(( $(sipkd_stat fwd_invite) - $INV0 )) -ge $N60 ]"

# ---- the RFC 4475 torture messages, at sipkd behind the hook ----
if [ -d "$T60" ]; then
	ua sipk-uac rfc4475 $UAC4 5060 $PX4 5060 "$T60"
else
	ktap_skip "sipkd: RFC 4475 corpus" "not found at $T60"
fi
check "sipkd: still running after all of that" kill -0 "$SIPKD_PID"
ua sipk-uac options $UAC4 5076 $PX4 5060 $PX4

# ---- a crash, and a restart: no registration lost, the kernel resynced ----
check_fail "sipkd: killed (SIGKILL: a crash)" sipkd_stop KILL
pctl loc del "sip:uas@$DOM"
check "sipkd: restarted" sipkd_start
check "sipkd: the bindings came back from the database" \
	grep -Eq 'database .*: [1-9][0-9]* bindings? loaded' "$SD/cur.log"
check "sipkd: resync: the daemon's entries flushed and pushed again" \
	grep -q 'kernel: resynchronised' "$SD/cur.log"
check "sipkd: sipkctl loc show has the uas again, owner daemon" \
	kloc "sip:uas@$DOM contact sip:uas@$UAS4:5060 .*owner daemon"
check "sipkd: the operator's static entry is untouched" \
	kloc "sip:static@$DOM contact sip:static@198.18.2.9:5062 .*owner static redirect"
pctl stats reset
check "sipkd: $N60 calls after the restart, kernel fast path, 0 failed" calls k2
check "sipkd: ... forwarded by the kernel" counters "fwd_invite>=$N60"

# ---- restarted while calls flow: the kernel keeps forwarding them ----
NR=$((N60 * 10))
sipp_uas rs-uas $UAS4 100000 -sn uas $UAS_TOLERANT
sipp_uac rs-uac -sf "$SCEN/uac_call.xml" "$PX4:5060" \
	-key ruri "sip:uas@$DOM" -i $UAC4 -p 5060 -m "$NR" -r 20 -l "$NR" &
RS_PID=$!
sleep 3
check "sipkd: stopped in the middle of $NR calls (SIGTERM: exit 0)" sipkd_stop
sleep 1
check "sipkd: started again while the calls go on" sipkd_start
check "sipkd: ... the calls were still running across it" kill -0 "$RS_PID"
wait "$RS_PID"
sipp_uas_wait 0
rs_ok() {
	sipp_ok rs-uac "$NR" && return 0
	pctl stats | grep -Ev ' 0$'
	[ -n "${SIPK_VM_SCRATCH:-}" ] &&
		cp "$WORK"/rs-ua[cs].* "$SIPK_VM_SCRATCH/" 2>/dev/null
	return 1
}
check "sipkd: all $NR calls across the restart completed, 0 failed" rs_ok
check "sipkd: the binding survived the restart" \
	kloc "sip:uas@$DOM contact sip:uas@$UAS4:5060 .*owner daemon"

# ---- without the module: sipkd alone forwards ----
check "sipkd: stopped cleanly (SIGTERM: exit 0)" sipkd_stop
check "sipkd: rmmod sipk" mod_unload
check "sipkd: started without the module" sipkd_start
check "sipkd: says so once: userspace-only" \
	sh -c "[ \$(grep -c 'userspace-only' '$SD/cur.log') = 1 ]"
INV0=$(sipkd_stat fwd_invite)
check "sipkd: $N60 calls through sipkd alone (bindings from the database), 0 failed" calls u1
check "sipkd: sipkd forwarded every INVITE" \
	sh -c "[ \$(( $(sipkd_stat fwd_invite) - $INV0 )) -ge $N60 ]"
check "sipkd: ... and the responses (its own Via, verified)" \
	sh -c "[ $(sipkd_stat fwd_response) -ge $((3 * N60)) ]"
check "sipkd: without the module: SIPp register, refresh, unregister" \
	reg reg1u sipkd_register.xml -key user bob -key domain $DOM
check "sipkd: without the module: SIPp wildcard unregister" \
	reg reg2u sipkd_wildcard.xml -key user bob -key domain $DOM
check "sipkd: without the module: SIPp 423 with Min-Expires" \
	reg reg3u sipkd_423.xml -key user bob -key domain $DOM
check "sipkd: without the module: SIPp digest (MD5): 401, then 200" \
	reg auth1u sipkd_auth.xml -key user alice -key domain md5.$DOM \
	-au alice -ap secret -auth_uri md5.$DOM
check "sipkd: without the module: SIPp digest, wrong password: 403" \
	reg auth2u sipkd_auth_wrong.xml -key user alice -key domain md5.$DOM \
	-au alice -ap wrong -auth_uri md5.$DOM
check "sipkd: the module is loaded again" mod_load
check "sipkd: notices within seconds and resyncs the kernel" \
	wait_for 8 kloc "sip:uas@$DOM contact sip:uas@$UAS4:5060 .*owner daemon"
check "sipkd: stopped cleanly at the end (exit 0)" sipkd_stop
check "sipkd: no error in its log" sh -c "! grep -E ' (error): ' '$SD/all.log'"
check "sipkd: no oops or warning" kernel_clean
# for a look after the VM is gone
[ -n "${SIPK_VM_SCRATCH:-}" ] && cp "$SD/all.log" "$SIPK_VM_SCRATCH/sipkd.log" 2>/dev/null
true
