#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
nltest.py - the "sipk" generic netlink family, from raw netlink messages.

Python 3 standard library only.  Builds every request by hand (headers,
attributes, nests, wrong lengths, missing flags), sends it on an
AF_NETLINK socket with NETLINK_EXT_ACK and NETLINK_CAP_ACK set, and checks
the kernel's answer: the errno, the extended ACK's message text
(NLMSGERR_ATTR_MSG) and, where it says so, the offset of the offending
attribute (NLMSGERR_ATTR_OFFS) or the missing attribute
(NLMSGERR_ATTR_MISS_TYPE).

Covers, for every command of the family: missing attributes, attribute
lengths, unknown and unsupported attribute types, nests without
NLA_F_NESTED, values out of range, duplicates, unknown flag bits, a
caller without CAP_NET_ADMIN, round trips, and dumps racing changes.

Runs as root in a network namespace of its own, sipk.ko loaded (see
k_30_netlink.sh).  Output, one line each:

    PASS description
    FAIL description: what was wrong
    # diagnostic

Exit status: 0 all passed, 1 some failed, 2 could not start, 3 the script
itself broke (traceback as diagnostics).
"""

import ctypes
import errno
import os
import re
import select
import socket
import struct
import sys
import time

# ---- netlink ----
NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11

NLM_F_REQUEST = 0x01
NLM_F_MULTI = 0x02
NLM_F_ACK = 0x04
NLM_F_ECHO = 0x08
NLM_F_DUMP_INTR = 0x10
NLM_F_ROOT = 0x100
NLM_F_MATCH = 0x200
NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH
NLM_F_REPLACE = 0x100
NLM_F_EXCL = 0x200
NLM_F_CREATE = 0x400
NLM_F_APPEND = 0x800
NLM_F_CAPPED = 0x100		# in an ACK
NLM_F_ACK_TLVS = 0x200		# in an ACK

NLMSG_ERROR = 2
NLMSG_DONE = 3

NLMSGERR_ATTR_MSG = 1
NLMSGERR_ATTR_OFFS = 2
NLMSGERR_ATTR_MISS_TYPE = 5
NLMSGERR_ATTR_MISS_NEST = 6

NLA_F_NESTED = 0x8000
NLA_TYPE_MASK = 0x3fff

GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
CTRL_ATTR_VERSION = 3
CTRL_ATTR_OPS = 6
CTRL_ATTR_MCAST_GROUPS = 7
CTRL_ATTR_OP_ID = 1
CTRL_ATTR_OP_FLAGS = 2
CTRL_ATTR_MCAST_GRP_NAME = 1
CTRL_ATTR_MCAST_GRP_ID = 2
GENL_ADMIN_PERM = 0x01
GENL_CMD_CAP_DO = 0x02
GENL_CMD_CAP_DUMP = 0x04

CAP_NET_ADMIN = 12
PR_CAPBSET_DROP = 24
CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000

# ---- include/uapi/linux/sipk.h (numbers are ABI: hard-coded on purpose) ----
SIPK_GENL_NAME = "sipk"
SIPK_GENL_VERSION = 1
SIPK_AOR_MAX = 255
SIPK_URI_MAX = 255
SIPK_DOMAIN_MAX = 253
SIPK_PORTS_MAX = 8
SIPK_Q_MAX = 1000
SIPK_CONTACTS_MAX = 8
MAX_ENTRIES_LIMIT = 16777216
DEFAULT_MAX_ENTRIES = 1048576

LOC_ADD, LOC_DEL, LOC_GET, LOC_FLUSH = 1, 2, 3, 4
ALIAS_ADD, ALIAS_DEL, ALIAS_GET = 5, 6, 7
ROUTE_ADD, ROUTE_DEL, ROUTE_GET = 8, 9, 10
CONFIG_GET, CONFIG_SET, STATS_GET, STATS_RESET = 11, 12, 13, 14
EV_ADDED, EV_REMOVED, EV_EXPIRED = 15, 16, 17
CMD_MAX = 17
CMD_NAME = {
    LOC_ADD: "LOC_ADD", LOC_DEL: "LOC_DEL", LOC_GET: "LOC_GET",
    LOC_FLUSH: "LOC_FLUSH", ALIAS_ADD: "ALIAS_ADD", ALIAS_DEL: "ALIAS_DEL",
    ALIAS_GET: "ALIAS_GET", ROUTE_ADD: "ROUTE_ADD", ROUTE_DEL: "ROUTE_DEL",
    ROUTE_GET: "ROUTE_GET", CONFIG_GET: "CONFIG_GET",
    CONFIG_SET: "CONFIG_SET", STATS_GET: "STATS_GET",
    STATS_RESET: "STATS_RESET",
}
CHANGING = (LOC_ADD, LOC_DEL, LOC_FLUSH, ALIAS_ADD, ALIAS_DEL, ROUTE_ADD,
            ROUTE_DEL, CONFIG_SET, STATS_RESET)
DUMPABLE = (LOC_GET, ALIAS_GET, ROUTE_GET)

A_AOR, A_CONTACT, A_TARGET, A_DOMAIN, A_NEXTHOP = 1, 2, 3, 4, 5
A_CONFIG, A_STATS, A_OWNER, A_PAD = 6, 7, 8, 9
A_MAX = 9
C_URI, C_IPV4, C_IPV6, C_PORT, C_Q, C_EXPIRES, C_FLAGS, C_OWNER = range(1, 9)
C_MAX = 8
CF_PORTS, CF_RECORD_ROUTE, CF_FORK_POLICY, CF_MAX_ENTRIES, CF_ENTRIES = \
    range(1, 6)
CF_MAX = 5
N_COUNTERS = 24
CNT_EXPIRED = 23
OWNER_STATIC, OWNER_DAEMON = 0, 1
F_REDIRECT = 1

EINVAL, ERANGE, ENOENT, EEXIST, EPERM = (errno.EINVAL, errno.ERANGE,
                                         errno.ENOENT, errno.EEXIST,
                                         errno.EPERM)

# the messages of lib/nlattr.c and genetlink (6.1)
M_POLICY = "Attribute failed policy validation"
M_LEN = "invalid attribute length"
M_BINLEN = "binary attribute size out of range"
M_RANGE = "integer out of range"
M_UNKNOWN = "Unknown attribute type"
M_UNSUPP = "Unsupported attribute"
M_NOT_NESTED = "NLA_F_NESTED is missing"
M_NESTED = "NLA_F_NESTED not expected"
M_LEFTOVER = "bytes leftover after parsing attributes"
M_RESERVED = "genlmsghdr.reserved field is not 0"
M_FLAGS = "ambiguous or reserved bits set in nlmsg_flags"
M_MASK = "reserved bit set"

RECV_SIZE = 65536


def ename(e):
    return errno.errorcode.get(e, str(e)) if e else "0"


# ---- results ----

class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def report(self, ok, desc, detail=""):
        desc = desc.replace("#", "no.").replace("\n", " ")
        if ok:
            self.passed += 1
            print("PASS " + desc, flush=True)
        else:
            self.failed += 1
            print("FAIL %s: %s" % (desc, detail or "failed"), flush=True)
        return ok


R = Results()


def diag(text):
    for line in str(text).splitlines():
        print("# " + line, flush=True)


# ---- attributes ----

def attr(t, payload=b""):
    n = 4 + len(payload)
    return struct.pack("=HH", n, t) + payload + b"\0" * (-n % 4)


def nest(t, *parts):
    return attr(t | NLA_F_NESTED, b"".join(parts))


def flat(t, *parts):
    """a nest without NLA_F_NESTED"""
    return attr(t, b"".join(parts))


def strz(t, s):
    if isinstance(s, str):
        s = s.encode()
    return attr(t, s + b"\0")


def u8(t, v):
    return attr(t, struct.pack("=B", v))


def u16(t, v):
    return attr(t, struct.pack("=H", v))


def u32(t, v):
    return attr(t, struct.pack("=I", v))


def ip4(t, a):
    return attr(t, socket.inet_pton(socket.AF_INET, a))


def ip6(t, a):
    return attr(t, socket.inet_pton(socket.AF_INET6, a))


class Malformed(Exception):
    pass


def parse_attrs(b, strict=True):
    """[(type, payload, nested_flag)], checking lengths and padding"""
    out = []
    off = 0
    while off < len(b):
        if len(b) - off < 4:
            raise Malformed("%d stray octets after the attributes" %
                            (len(b) - off))
        n, t = struct.unpack_from("=HH", b, off)
        if n < 4 or off + n > len(b):
            raise Malformed("attribute type %d: nla_len %d, %d octets left"
                            % (t & NLA_TYPE_MASK, n, len(b) - off))
        out.append((t & NLA_TYPE_MASK, b[off + 4:off + n],
                    bool(t & NLA_F_NESTED)))
        off += (n + 3) & ~3
    if strict and off != len(b) and off - len(b) >= 4:
        raise Malformed("padding overruns the message")
    return out


def amap(b):
    d = {}
    for t, v, _ in parse_attrs(b):
        d.setdefault(t, []).append(v)
    return d


def get_u(v, size):
    if len(v) != size:
        raise Malformed("integer of %d octets, want %d" % (len(v), size))
    return int.from_bytes(v, sys.byteorder)


def get_str(v):
    if not v.endswith(b"\0") or b"\0" in v[:-1]:
        raise Malformed("string %r not NUL-terminated once" % v)
    return v[:-1].decode("latin-1")


# ---- the socket ----

class NlError(Exception):
    pass


class Msg:
    def __init__(self, flags, body):
        if len(body) < 4:
            raise Malformed("genetlink message of %d octets" % len(body))
        self.flags = flags
        self.cmd, self.version, self.reserved = struct.unpack_from("=BBH",
                                                                   body)
        self.raw = body[4:]
        self.attrs = amap(self.raw)

    def one(self, t):
        v = self.attrs.get(t, [])
        if len(v) != 1:
            raise Malformed("attribute %d present %d times" % (t, len(v)))
        return v[0]


class Reply:
    def __init__(self):
        self.errno = 0
        self.msg = None
        self.offs = None
        self.miss_type = None
        self.miss_nest = None
        self.msgs = []
        self.intr = False
        self.done = False

    def why(self):
        s = ename(self.errno)
        if self.msg is not None:
            s += " %r" % self.msg
        if self.offs is not None:
            s += " offs=%d" % self.offs
        if self.miss_type is not None:
            s += " miss_type=%d" % self.miss_type
        return s


class NL:
    def __init__(self, resolve=True):
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                               NETLINK_GENERIC)
        self.s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.s.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.s.bind((0, 0))
        self.s.settimeout(20)
        self.portid = self.s.getsockname()[0]
        self.seq = int(time.time()) & 0xffff
        self.fam = None
        self.groups = {}
        self.ops = {}
        self.version = None
        if resolve:
            self.resolve()

    def close(self):
        self.s.close()

    def resolve(self):
        r = self.request(CTRL_CMD_GETFAMILY,
                         strz(CTRL_ATTR_FAMILY_NAME, SIPK_GENL_NAME),
                         family=GENL_ID_CTRL)
        if r.errno or not r.msgs:
            raise NlError("family %s not found: %s" % (SIPK_GENL_NAME,
                                                        r.why()))
        m = r.msgs[0]
        self.fam = get_u(m.one(CTRL_ATTR_FAMILY_ID), 2)
        self.version = get_u(m.one(CTRL_ATTR_VERSION), 4)
        for _, g, _ in parse_attrs(m.attrs.get(CTRL_ATTR_MCAST_GROUPS,
                                               [b""])[0]):
            gd = amap(g)
            self.groups[get_str(gd[CTRL_ATTR_MCAST_GRP_NAME][0])] = \
                get_u(gd[CTRL_ATTR_MCAST_GRP_ID][0], 4)
        for _, o, _ in parse_attrs(m.attrs.get(CTRL_ATTR_OPS, [b""])[0]):
            od = amap(o)
            self.ops[get_u(od[CTRL_ATTR_OP_ID][0], 4)] = \
                get_u(od[CTRL_ATTR_OP_FLAGS][0], 4)

    def build(self, cmd, payload=b"", flags=NLM_F_ACK, reserved=0,
              family=None, version=SIPK_GENL_VERSION):
        self.seq = (self.seq + 1) & 0xffffffff
        body = struct.pack("=BBH", cmd, version, reserved) + payload
        fam = self.fam if family is None else family
        return struct.pack("=IHHII", 16 + len(body), fam,
                           NLM_F_REQUEST | flags, self.seq, 0) + body

    def send(self, data):
        self.s.send(data)

    def request(self, cmd, payload=b"", flags=NLM_F_ACK, reserved=0,
                family=None, version=SIPK_GENL_VERSION, dump=False):
        if dump:
            flags = (flags & ~NLM_F_ACK) | NLM_F_DUMP
        data = self.build(cmd, payload, flags, reserved, family, version)
        self.send(data)
        return self.collect(self.seq, family)

    def request_raw(self, data):
        """data: a whole message whose nlmsg_seq is self.seq + 1"""
        self.seq = (self.seq + 1) & 0xffffffff
        self.send(data)
        return self.collect(self.seq)

    def collect(self, seq, family=None):
        fam = self.fam if family is None else family
        r = Reply()
        while True:
            data, _, mflags, _ = self.s.recvmsg(RECV_SIZE)
            if mflags & socket.MSG_TRUNC:
                raise Malformed("reply larger than %d octets" % RECV_SIZE)
            off = 0
            while off < len(data):
                if len(data) - off < 16:
                    raise Malformed("short nlmsghdr")
                n, typ, fl, sq, _ = struct.unpack_from("=IHHII", data, off)
                if n < 16 or off + n > len(data):
                    raise Malformed("nlmsg_len %d at %d of %d" %
                                    (n, off, len(data)))
                body = data[off + 16:off + n]
                off += (n + 3) & ~3
                if sq != seq:
                    diag("stale message seq %d (want %d) type %d" %
                         (sq, seq, typ))
                    continue
                if fl & NLM_F_DUMP_INTR:
                    r.intr = True
                if typ == NLMSG_ERROR:
                    r.errno = -struct.unpack_from("=i", body)[0]
                    if fl & NLM_F_CAPPED:
                        tlv = 4 + 16
                    else:
                        tlv = 4 + ((struct.unpack_from("=I", body, 4)[0] +
                                    3) & ~3)
                    if fl & NLM_F_ACK_TLVS:
                        self.ext(r, body[tlv:])
                    return r
                if typ == NLMSG_DONE:
                    r.done = True
                    if len(body) >= 4:
                        r.errno = -struct.unpack_from("=i", body)[0]
                    if fl & NLM_F_ACK_TLVS:
                        self.ext(r, body[4:])
                    return r
                if typ != fam:
                    raise Malformed("message of type %d" % typ)
                r.msgs.append(Msg(fl, body))

    @staticmethod
    def ext(r, tlvs):
        d = amap(tlvs)
        if NLMSGERR_ATTR_MSG in d:
            r.msg = get_str(d[NLMSGERR_ATTR_MSG][0])
        if NLMSGERR_ATTR_OFFS in d:
            r.offs = get_u(d[NLMSGERR_ATTR_OFFS][0], 4)
        if NLMSGERR_ATTR_MISS_TYPE in d:
            r.miss_type = get_u(d[NLMSGERR_ATTR_MISS_TYPE][0], 4)
        if NLMSGERR_ATTR_MISS_NEST in d:
            r.miss_nest = get_u(d[NLMSGERR_ATTR_MISS_NEST][0], 4)


NLS = None		# the main socket


# ---- cases ----

HDRS = 16 + 4		# nlmsghdr + genlmsghdr: attribute offsets start here


def expect(desc, cmd, payload=b"", err=0, msg=None, anymsg=True, bad=None,
           miss=None, missnest=None, flags=NLM_F_ACK, reserved=0, dump=False,
           nl=None):
    """
    One request, one result line.  @err: the errno wanted (0: success);
    @msg: a substring of the extack message; @anymsg: the refusal must
    carry a message; @bad: the offending attribute's bytes, its offset must
    be in NLMSGERR_ATTR_OFFS; @miss: NLMSGERR_ATTR_MISS_TYPE wanted;
    @missnest: the bytes of the nest it is missing from, whose offset must
    be in NLMSGERR_ATTR_MISS_NEST.
    Returns the Reply (None when the request itself failed).
    """
    nl = nl or NLS
    try:
        r = nl.request(cmd, payload, flags=flags, reserved=reserved,
                       dump=dump)
    except (OSError, Malformed, NlError) as e:
        R.report(False, desc, "no answer: %s" % e)
        return None
    bad_ = []
    if r.errno != err:
        bad_.append("errno %s, want %s" % (ename(r.errno), ename(err)))
    if err and anymsg and not r.msg:
        bad_.append("no extack message")
    if err and msg is not None and (r.msg is None or msg not in r.msg):
        bad_.append("message %r, want %r" % (r.msg, msg))
    if bad is not None:
        pos = payload.find(bad)
        if pos < 0 or payload.find(bad, pos + 1) >= 0:
            bad_.append("test bug: the bad attribute is not found once")
        elif r.offs != HDRS + pos:
            bad_.append("offset %s, want %d" % (r.offs, HDRS + pos))
    if miss is not None and r.miss_type != miss:
        bad_.append("missing type %s, want %d" % (r.miss_type, miss))
    if missnest is not None:
        pos = payload.find(missnest)
        if pos < 0 or payload.find(missnest, pos + 1) >= 0:
            bad_.append("test bug: the nest is not found once")
        elif r.miss_nest != HDRS + pos:
            bad_.append("missing-from nest %s, want %d" % (r.miss_nest,
                                                           HDRS + pos))
    R.report(not bad_, desc, "; ".join(bad_) + " [got %s]" % r.why())
    return r


def check(desc, cond, detail=""):
    return R.report(bool(cond), desc, detail)


def guarded(desc, fn, *args):
    """run a multi-step check; an exception is a failure, not a crash"""
    try:
        return fn(*args)
    except (OSError, Malformed, NlError, KeyError, IndexError,
            ValueError, struct.error) as e:
        R.report(False, desc, "%s: %s" % (type(e).__name__, e))
        return None


def ok_(desc, cmd, payload=b"", **kw):
    return expect(desc, cmd, payload, 0, **kw)


# a valid contact, with parts replaced or left out
def contact(uri="sip:a@192.0.2.1", v4="192.0.2.1", v6=None, port=5060,
            q=None, expires=None, flags=None, extra=b"", nested=True):
    parts = []
    if uri is not None:
        parts.append(strz(C_URI, uri) if isinstance(uri, str) else uri)
    if v4 is not None:
        parts.append(ip4(C_IPV4, v4) if isinstance(v4, str) else v4)
    if v6 is not None:
        parts.append(ip6(C_IPV6, v6) if isinstance(v6, str) else v6)
    if port is not None:
        parts.append(u16(C_PORT, port) if isinstance(port, int) else port)
    if q is not None:
        parts.append(u16(C_Q, q) if isinstance(q, int) else q)
    if expires is not None:
        parts.append(u32(C_EXPIRES, expires))
    if flags is not None:
        parts.append(u32(C_FLAGS, flags))
    parts.append(extra)
    return (nest if nested else flat)(A_CONTACT, *parts)


def nexthop(v4="192.0.2.53", v6=None, port=5060, extra=b"", nested=True):
    parts = []
    if v4 is not None:
        parts.append(ip4(C_IPV4, v4) if isinstance(v4, str) else v4)
    if v6 is not None:
        parts.append(ip6(C_IPV6, v6))
    if port is not None:
        parts.append(u16(C_PORT, port) if isinstance(port, int) else port)
    parts.append(extra)
    return (nest if nested else flat)(A_NEXTHOP, *parts)


def config(*parts, nested=True):
    return (nest if nested else flat)(A_CONFIG, *parts)


def aor(s):
    return strz(A_AOR, s)


def domain(s):
    return strz(A_DOMAIN, s)


# a valid request of each command, for the generic cases
def valid_payload(cmd):
    return {
        LOC_ADD: aor("v@valid.test") + contact(),
        LOC_DEL: aor("v@valid.test"),
        LOC_GET: aor("v@valid.test"),
        LOC_FLUSH: u32(A_OWNER, OWNER_DAEMON),
        ALIAS_ADD: aor("v@valid.test") + strz(A_TARGET, "w@valid.test"),
        ALIAS_DEL: aor("v@valid.test"),
        ALIAS_GET: aor("v@valid.test"),
        ROUTE_ADD: domain("valid.test") + nexthop(),
        ROUTE_DEL: domain("valid.test"),
        ROUTE_GET: domain("valid.test"),
        CONFIG_GET: b"",
        CONFIG_SET: config(u32(CF_FORK_POLICY, 0)),
        STATS_GET: b"",
        STATS_RESET: b"",
    }[cmd]


# ---- the family ----

def t_family():
    nl = NLS
    check("family: resolved by name, version %d" % SIPK_GENL_VERSION,
          nl.fam and nl.version == SIPK_GENL_VERSION,
          "id %s version %s" % (nl.fam, nl.version))
    check("family: multicast group events", "events" in nl.groups,
          "groups %s" % nl.groups)
    for cmd, name in sorted(CMD_NAME.items()):
        want = GENL_CMD_CAP_DO
        if cmd in CHANGING:
            want |= GENL_ADMIN_PERM
        if cmd in DUMPABLE:
            want |= GENL_CMD_CAP_DUMP
        got = nl.ops.get(cmd)
        check("family: %s registered, admin=%s dump=%s" %
              (name, cmd in CHANGING, cmd in DUMPABLE),
              got is not None and got & 0x7 == want,
              "flags %s, want %#x" % (None if got is None else
                                      "%#x" % got, want))
    check("family: no command beyond STATS_RESET",
          not [c for c in nl.ops if c not in CMD_NAME], "ops %s" % nl.ops)
    # commands that are not there, or are events
    for cmd in (0, EV_ADDED, EV_REMOVED, EV_EXPIRED, CMD_MAX + 1, 255):
        expect("family: command %d refused" % cmd, cmd, b"", errno.EOPNOTSUPP,
               anymsg=False)
    # a message too short for the genetlink header
    data = struct.pack("=IHHII", 18, nl.fam, NLM_F_REQUEST | NLM_F_ACK,
                       nl.seq + 1, 0) + b"\x01\x01"
    try:
        r = nl.request_raw(data)
        check("family: message shorter than genlmsghdr refused",
              r.errno == EINVAL, r.why())
    except (OSError, Malformed) as e:
        check("family: message shorter than genlmsghdr refused", False, e)


# ---- cases every command gets ----

def t_generic(cmd):
    name = CMD_NAME[cmd]
    good = valid_payload(cmd)
    # attribute types: 0, one past the maximum, the largest
    for t in (0, A_MAX + 1, NLA_TYPE_MASK):
        a = attr(t, b"\0\0\0\0")
        expect("%s: attribute type %d refused" % (name, t), cmd, good + a,
               EINVAL, msg=M_UNKNOWN, bad=a)
    # attributes of the family the command does not take
    takes = {
        LOC_ADD: (A_AOR, A_CONTACT, A_OWNER),
        LOC_DEL: (A_AOR, A_CONTACT, A_OWNER),
        LOC_GET: (A_AOR,), LOC_FLUSH: (A_OWNER,),
        ALIAS_ADD: (A_AOR, A_TARGET), ALIAS_DEL: (A_AOR,),
        ALIAS_GET: (A_AOR,), ROUTE_ADD: (A_DOMAIN, A_NEXTHOP),
        ROUTE_DEL: (A_DOMAIN,), ROUTE_GET: (A_DOMAIN,),
        CONFIG_SET: (A_CONFIG,),
    }.get(cmd, ())
    for t in (A_TARGET, A_STATS, A_PAD):
        if t in takes:
            continue
        a = attr(t, b"x@h\0")
        # ops without a policy refuse all: type 1 fails it, others unknown
        m = M_UNSUPP if takes else M_UNKNOWN
        expect("%s: attribute %d it does not take refused" % (name, t),
               cmd, good + a, EINVAL, msg=m, bad=a)
    if not takes:
        a = strz(A_AOR, "x@h")
        expect("%s: takes no attribute (AOR refused)" % name, cmd, a,
               EINVAL, msg=M_POLICY, bad=a)
    # malformed attribute stream
    expect("%s: truncated attribute header refused" % name, cmd,
           good + b"\x02\x00", EINVAL, msg=M_LEFTOVER)
    expect("%s: nla_len past the message refused" % name, cmd,
           good + struct.pack("=HH", 64, A_AOR) + b"x@h\0", EINVAL,
           msg=M_LEFTOVER)
    # header: reserved field, flags
    expect("%s: genlmsghdr.reserved 1 refused" % name, cmd, good, EINVAL,
           msg=M_RESERVED, reserved=1)
    if cmd == LOC_ADD:
        for f, fn in ((NLM_F_APPEND, "NLM_F_APPEND"),
                      (NLM_F_DUMP_INTR, "NLM_F_DUMP_INTR"),
                      (0x1000, "0x1000")):
            expect("%s: nlmsg_flags %s refused" % (name, fn), cmd, good,
                   EINVAL, msg="only NLM_F_EXCL", flags=NLM_F_ACK | f)
    else:
        for f, fn in ((NLM_F_EXCL, "NLM_F_EXCL"),
                      (NLM_F_CREATE, "NLM_F_CREATE"),
                      (NLM_F_APPEND, "NLM_F_APPEND"),
                      (NLM_F_DUMP_INTR, "NLM_F_DUMP_INTR")):
            expect("%s: nlmsg_flags %s refused" % (name, fn), cmd, good,
                   EINVAL, msg=M_FLAGS, flags=NLM_F_ACK | f)
    if cmd not in DUMPABLE:
        expect("%s: no dump (NLM_F_DUMP refused)" % name, cmd, b"",
               errno.EOPNOTSUPP, anymsg=False, dump=True)


# string attribute lengths: 0, 1 (just the NUL), 3 and 5 without a NUL,
# the longest string accepted elsewhere, one past it
def t_strlen(name, cmd, mk, t, what, maxlen, empty_err, empty_msg):
    a = attr(t, b"")
    expect("%s: %s of length 0 refused" % (name, what), cmd, mk(a),
           EINVAL, msg=M_POLICY, bad=a)
    a = attr(t, b"\0")
    expect("%s: %s of length 1 (empty string) refused" % (name, what),
           cmd, mk(a), empty_err, msg=empty_msg)
    for n in (3, 5):
        a = attr(t, b"abcde"[:n])
        expect("%s: %s of length %d without NUL refused" % (name, what, n),
               cmd, mk(a), EINVAL, msg=M_POLICY, bad=a)
    a = attr(t, b"a" * (maxlen + 1) + b"\0")
    expect("%s: %s of %d characters (max + 1) refused" %
           (name, what, maxlen + 1), cmd, mk(a), EINVAL, msg=M_POLICY,
           bad=a)


# fixed-size attributes: every length but the right one
def t_fixlen(name, cmd, mk, t, what, size, err, msg, lens=(0, 1, 3, 5)):
    for n in lens:
        if n == size:
            continue
        a = attr(t, b"\x01" * n)
        expect("%s: %s of length %d refused" % (name, what, n), cmd, mk(a),
               err, msg=msg, bad=a)


# ---- location ----

def t_loc_add():
    n = "LOC_ADD"
    good_c = contact()
    # missing
    expect("%s: without AOR refused" % n, LOC_ADD, good_c, EINVAL,
           msg="AOR is needed", miss=A_AOR)
    expect("%s: without CONTACT refused" % n, LOC_ADD, aor("a@h"), EINVAL,
           msg="CONTACT is needed", miss=A_CONTACT)
    c = contact(uri=None)
    expect("%s: contact without URI refused" % n, LOC_ADD, aor("a@h") + c,
           EINVAL, msg="contact URI is needed", miss=C_URI, missnest=c)
    expect("%s: contact without address refused" % n, LOC_ADD,
           aor("a@h") + contact(v4=None), EINVAL,
           msg="exactly one of IPV4 and IPV6")
    expect("%s: contact with IPV4 and IPV6 refused" % n, LOC_ADD,
           aor("a@h") + contact(v6="2001:db8::1"), EINVAL,
           msg="exactly one of IPV4 and IPV6")
    c = contact(port=None)
    expect("%s: contact without PORT refused" % n, LOC_ADD, aor("a@h") + c,
           EINVAL, msg="PORT is needed", miss=C_PORT, missnest=c)
    expect("%s: empty CONTACT refused" % n, LOC_ADD,
           aor("a@h") + nest(A_CONTACT), EINVAL, msg="contact URI is needed")
    a = attr(A_CONTACT | NLA_F_NESTED, b"\x01\x00")
    # (a nest shorter than an attribute header: ERANGE, lib/nlattr.c)
    expect("%s: CONTACT of 2 octets refused" % n, LOC_ADD, aor("a@h") + a,
           ERANGE, msg=M_POLICY, bad=a)
    # lengths
    t_strlen(n, LOC_ADD, lambda a: a + good_c, A_AOR, "AOR", SIPK_AOR_MAX,
             EINVAL, "empty AOR")
    t_strlen(n, LOC_ADD, lambda a: aor("a@h") + contact(uri=a), C_URI,
             "contact URI", SIPK_URI_MAX, EINVAL, "empty contact URI")
    t_fixlen(n, LOC_ADD, lambda a: aor("a@h") + contact(v4=a), C_IPV4,
             "IPV4", 4, ERANGE, M_BINLEN)
    t_fixlen(n, LOC_ADD, lambda a: aor("a@h") + contact(v4=None, extra=a),
             C_IPV6, "IPV6", 16, ERANGE, M_BINLEN, (0, 1, 3, 4, 5, 17))
    t_fixlen(n, LOC_ADD, lambda a: aor("a@h") + contact(port=a), C_PORT,
             "PORT", 2, EINVAL, M_LEN)
    t_fixlen(n, LOC_ADD, lambda a: aor("a@h") + contact(q=a), C_Q, "Q", 2,
             EINVAL, M_LEN)
    for t, what in ((C_EXPIRES, "EXPIRES"), (C_FLAGS, "FLAGS")):
        t_fixlen(n, LOC_ADD, lambda a: aor("a@h") + contact(extra=a), t,
                 what, 4, EINVAL, M_LEN)
    t_fixlen(n, LOC_ADD, lambda a: aor("a@h") + good_c + a, A_OWNER,
             "OWNER", 4, EINVAL, M_LEN)
    # the longest AOR and URI are accepted
    long_aor = "u" * (SIPK_AOR_MAX - 7) + "@h.test"
    long_uri = "sip:%s@192.0.2.1:5060" % ("u" * (SIPK_URI_MAX - 19))
    assert len(long_aor) == SIPK_AOR_MAX and len(long_uri) == SIPK_URI_MAX
    ok_("%s: AOR of %d characters accepted" % (n, SIPK_AOR_MAX), LOC_ADD,
        aor(long_aor) + good_c)
    ok_("%s: contact URI of %d characters accepted" % (n, SIPK_URI_MAX),
        LOC_ADD, aor(long_aor) + contact(uri=long_uri))
    r = expect("%s: the longest AOR and URI read back" % n, LOC_GET,
               aor(long_aor))
    if r and r.msgs:
        guarded("LOC_GET: the longest AOR and URI read back intact",
                lambda: check("LOC_GET: the longest AOR and URI intact",
                              get_str(r.msgs[0].one(A_AOR)) == long_aor and
                              long_uri in [get_str(amap(c)[C_URI][0]) for c in
                                           r.msgs[0].attrs[A_CONTACT]]))
    # the largest entry there can be: it must fit a reply and a dump part
    ok_("%s: (setup) drop the short contact of the longest AOR" % n, LOC_DEL,
        aor(long_aor) + nest(A_CONTACT, strz(C_URI, "sip:a@192.0.2.1")))
    for i in range(1, SIPK_CONTACTS_MAX):
        ok_("%s: longest contact URI %d of %d" % (n, i + 1,
                                                  SIPK_CONTACTS_MAX),
            LOC_ADD, aor(long_aor) +
            contact(uri=long_uri.replace("sip:u", "sip:%d" % i)))
    r = expect("LOC_GET: the largest entry", LOC_GET, aor(long_aor))
    if r and r.msgs:
        check("LOC_GET: the largest entry has all %d contacts" %
              SIPK_CONTACTS_MAX,
              len(r.msgs[0].attrs.get(A_CONTACT, [])) == SIPK_CONTACTS_MAX)
    s = NL(resolve=False)		# dump parts of NLMSG_GOODSIZE
    s.fam = NLS.fam
    try:
        r = s.request(LOC_GET, dump=True)
        check("LOC_GET: the largest entry fits a dump part",
              r.errno == 0 and r.done and
              [get_str(m.one(A_AOR)) for m in r.msgs].count(long_aor) == 1,
              r.why())
    except (OSError, Malformed) as e:
        check("LOC_GET: the largest entry fits a dump part", False, e)
    s.close()
    ok_("%s: (cleanup) the longest AOR" % n, LOC_DEL, aor(long_aor))
    # types
    for t in (0, C_MAX + 1):
        a = attr(t, b"\0\0\0\0")
        expect("%s: contact attribute type %d refused" % (n, t), LOC_ADD,
               aor("a@h") + contact(extra=a), EINVAL, msg=M_UNKNOWN, bad=a)
    a = u32(C_OWNER, OWNER_DAEMON)
    expect("%s: contact OWNER is read-only" % n, LOC_ADD,
           aor("a@h") + contact(extra=a), EINVAL,
           msg="contact owner is read-only", bad=a)
    # nests
    expect("%s: CONTACT without NLA_F_NESTED refused" % n, LOC_ADD,
           aor("a@h") + contact(nested=False), EINVAL, msg=M_NOT_NESTED)
    a = attr(A_AOR | NLA_F_NESTED, b"a@h\0")
    expect("%s: AOR with NLA_F_NESTED refused" % n, LOC_ADD, a + good_c,
           EINVAL, msg=M_NESTED, bad=a)
    # values
    a = u16(C_PORT, 0)
    expect("%s: port 0 refused" % n, LOC_ADD, aor("a@h") + contact(port=a),
           ERANGE, msg=M_RANGE, bad=a)
    a = u16(C_Q, SIPK_Q_MAX + 1)
    expect("%s: q 1001 refused" % n, LOC_ADD, aor("a@h") + contact(q=a),
           ERANGE, msg=M_RANGE, bad=a)
    a = u16(C_Q, 0xffff)
    expect("%s: q 65535 refused" % n, LOC_ADD, aor("a@h") + contact(q=a),
           ERANGE, msg=M_RANGE, bad=a)
    for f in (0x2, 0x80, 0x100, 0x80000000):
        a = u32(C_FLAGS, f)
        expect("%s: contact flags %#x refused" % (n, f), LOC_ADD,
               aor("a@h") + contact(extra=a), EINVAL, msg=M_MASK, bad=a)
    a = u32(A_OWNER, 2)
    expect("%s: OWNER 2 refused" % n, LOC_ADD, aor("a@h") + good_c + a,
           ERANGE, msg=M_RANGE, bad=a)
    # AOR text
    for s, m in (("a b@h", "white space"), ("a@b@h", "more than one '@'"),
                 ("sip:a@h", "without the sip: scheme"),
                 ("SIPS:a@h", "without the sip: scheme"),
                 ("a@h;x=y", "parameters or headers"),
                 ("a@h?x=y", "parameters or headers"),
                 ("a@h\tx", "white space"), ("a@h\x7f", "white space"),
                 ("@h", "AOR is not"), ("a@", "AOR is not"),
                 ("a@h:99999", "AOR is not"), ("a@[::1", "AOR is not")):
        a = aor(s)
        expect("%s: AOR %r refused" % (n, s), LOC_ADD, a + good_c, EINVAL,
               msg=m, bad=a)
    a = attr(A_AOR, "é@h".encode("latin-1") + b"\0")
    expect("%s: AOR with a non-ASCII octet refused" % n, LOC_ADD, a + good_c,
           EINVAL, msg="non-ASCII", bad=a)
    # contact URI text
    for s, m in (("tel:+12345", "not a sip: URI"),
                 ("sips:a@192.0.2.1", "sips: contacts"),
                 ("sip:a@192.0.2.1?Route=x", "must not carry headers"),
                 ("sip:", "malformed"), ("sip:a@", "malformed"),
                 ("sip:a@192.0.2.1\r\nX: y", "malformed"),
                 ("sip:a b@192.0.2.1", "malformed"),
                 ("a@192.0.2.1", "malformed")):
        a = strz(C_URI, s)
        expect("%s: contact URI %r refused" % (n, s), LOC_ADD,
               aor("a@h") + contact(uri=a), EINVAL, msg=m, bad=a)
    # addresses
    for v4 in ("0.0.0.0", "224.0.0.1", "239.255.255.255", "255.255.255.255"):
        a = ip4(C_IPV4, v4)
        expect("%s: contact address %s refused" % (n, v4), LOC_ADD,
               aor("a@h") + contact(v4=a), EINVAL, msg="not a unicast",
               bad=a)
    for v6 in ("::", "ff02::1"):
        a = ip6(C_IPV6, v6)
        expect("%s: contact address %s refused" % (n, v6), LOC_ADD,
               aor("a@h") + contact(v4=None, v6=a), EINVAL,
               msg="not a unicast", bad=a)
    # boundaries that are fine
    ok_("%s: q 0 accepted" % n, LOC_ADD,
        aor("q@h") + contact(uri="sip:q0@192.0.2.1", q=0))
    ok_("%s: q 1000 accepted" % n, LOC_ADD,
        aor("q@h") + contact(uri="sip:q1@192.0.2.1", q=SIPK_Q_MAX))
    ok_("%s: port 65535, expires 2^32-1 accepted" % n, LOC_ADD,
        aor("q@h") + contact(uri="sip:q2@192.0.2.1", port=65535,
                             expires=0xffffffff))
    ok_("%s: (cleanup) q@h" % n, LOC_DEL, aor("q@h"))
    # duplicates
    ok_("%s: a contact" % n, LOC_ADD, aor("dup@h") + good_c)
    expect("%s: the same contact again with NLM_F_EXCL refused" % n, LOC_ADD,
           aor("dup@h") + good_c, EEXIST, msg="already registered",
           flags=NLM_F_ACK | NLM_F_EXCL)
    expect("%s: ... also when the AOR is spelt differently" % n, LOC_ADD,
           aor("dup@H:5060") + good_c, EEXIST, msg="already registered",
           flags=NLM_F_ACK | NLM_F_EXCL | NLM_F_CREATE)
    ok_("%s: the same contact without NLM_F_EXCL replaces it" % n, LOC_ADD,
        aor("dup@h") + good_c, flags=NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE)
    r = ok_("%s: still one contact after the replace" % n, LOC_GET,
            aor("dup@h"))
    if r and r.msgs:
        check("%s: replacing did not duplicate the contact" % n,
              len(r.msgs[0].attrs.get(A_CONTACT, [])) == 1)
    c = contact(uri="sip:two@192.0.2.1")
    expect("%s: two CONTACTs in one request refused" % n, LOC_ADD,
           aor("dup@h") + c + contact(uri="sip:three@192.0.2.1"), EINVAL,
           msg="one CONTACT", bad=c)
    # owners
    expect("%s: the daemon may not replace a static contact" % n, LOC_ADD,
           aor("dup@h") + good_c + u32(A_OWNER, OWNER_DAEMON), EPERM,
           msg="static contact")
    # SIPK_CONTACTS_MAX
    for i in range(2, SIPK_CONTACTS_MAX + 1):
        ok_("%s: contact %d of %d" % (n, i, SIPK_CONTACTS_MAX), LOC_ADD,
            aor("dup@h") + contact(uri="sip:a%d@192.0.2.1" % i))
    expect("%s: contact %d refused" % (n, SIPK_CONTACTS_MAX + 1), LOC_ADD,
           aor("dup@h") + contact(uri="sip:a9@192.0.2.1"), errno.E2BIG,
           msg="SIPK_CONTACTS_MAX")
    ok_("%s: replacing one of %d still works" % (n, SIPK_CONTACTS_MAX),
        LOC_ADD, aor("dup@h") + contact(uri="sip:a5@192.0.2.1", q=5))
    r = ok_("LOC_GET: an AOR with %d contacts" % SIPK_CONTACTS_MAX, LOC_GET,
            aor("dup@h"))
    if r and r.msgs:
        check("LOC_GET: all %d contacts in one reply" % SIPK_CONTACTS_MAX,
              len(r.msgs[0].attrs.get(A_CONTACT, [])) == SIPK_CONTACTS_MAX)
    ok_("%s: (cleanup) dup@h" % n, LOC_DEL, aor("dup@h"))


def t_loc_del():
    n = "LOC_DEL"
    ok_("%s: (setup) a static and a daemon contact" % n, LOC_ADD,
        aor("del@h") + contact(uri="sip:st@192.0.2.1"))
    ok_("%s: (setup) the daemon's" % n, LOC_ADD,
        aor("del@h") + contact(uri="sip:dm@192.0.2.2", v4="192.0.2.2") +
        u32(A_OWNER, OWNER_DAEMON))
    expect("%s: without AOR refused" % n, LOC_DEL,
           nest(A_CONTACT, strz(C_URI, "sip:st@192.0.2.1")), EINVAL,
           msg="AOR is needed", miss=A_AOR)
    c = nest(A_CONTACT)
    expect("%s: CONTACT without URI refused" % n, LOC_DEL, aor("del@h") + c,
           EINVAL, msg="names a contact by its URI", miss=C_URI, missnest=c)
    t_strlen(n, LOC_DEL, lambda a: a, A_AOR, "AOR", SIPK_AOR_MAX, EINVAL,
             "empty AOR")
    t_strlen(n, LOC_DEL, lambda a: aor("del@h") + nest(A_CONTACT, a), C_URI,
             "contact URI", SIPK_URI_MAX, ENOENT, "contact not found")
    t_fixlen(n, LOC_DEL, lambda a: aor("del@h") + a, A_OWNER, "OWNER", 4,
             EINVAL, M_LEN)
    a = strz(C_URI, "sip:st@192.0.2.1")
    expect("%s: CONTACT without NLA_F_NESTED refused" % n, LOC_DEL,
           aor("del@h") + flat(A_CONTACT, a), EINVAL, msg=M_NOT_NESTED)
    for t in (C_IPV4, C_PORT, C_OWNER):
        b = attr(t, b"\0\0\0\0")
        expect("%s: CONTACT with attribute %d (only URI) refused" % (n, t),
               LOC_DEL, aor("del@h") + nest(A_CONTACT, a, b), EINVAL,
               msg=M_UNSUPP, bad=b)
    for t in (0, C_MAX + 1):
        b = attr(t, b"\0\0\0\0")
        expect("%s: CONTACT attribute type %d refused" % (n, t), LOC_DEL,
               aor("del@h") + nest(A_CONTACT, a, b), EINVAL, msg=M_UNKNOWN,
               bad=b)
    b = u32(A_OWNER, 2)
    expect("%s: OWNER 2 refused" % n, LOC_DEL, aor("del@h") + b, ERANGE,
           msg=M_RANGE, bad=b)
    c = nest(A_CONTACT, a)
    expect("%s: two CONTACTs in one request refused" % n, LOC_DEL,
           aor("del@h") + c + nest(A_CONTACT,
                                   strz(C_URI, "sip:dm@192.0.2.2")),
           EINVAL, msg="one CONTACT", bad=c)
    expect("%s: unknown AOR" % n, LOC_DEL, aor("nobody@h"), ENOENT,
           msg="AOR not found")
    expect("%s: unknown contact" % n, LOC_DEL,
           aor("del@h") + nest(A_CONTACT, strz(C_URI, "sip:x@192.0.2.9")),
           ENOENT, msg="contact not found")
    expect("%s: the daemon may not delete a static contact" % n, LOC_DEL,
           aor("del@h") + nest(A_CONTACT, a) + u32(A_OWNER, OWNER_DAEMON),
           EPERM, msg="another owner")
    ok_("%s: the daemon deletes its own contacts" % n, LOC_DEL,
        aor("del@h") + u32(A_OWNER, OWNER_DAEMON))
    expect("%s: ... and then has none left" % n, LOC_DEL,
           aor("del@h") + u32(A_OWNER, OWNER_DAEMON), ENOENT,
           msg="no contact of that owner")
    r = ok_("%s: the static contact stayed" % n, LOC_GET, aor("del@h"))
    if r and r.msgs:
        check("%s: exactly the static contact is left" % n,
              [get_str(amap(c)[C_URI][0]) for c in
               r.msgs[0].attrs.get(A_CONTACT, [])] == ["sip:st@192.0.2.1"])
    ok_("%s: one contact by URI" % n, LOC_DEL,
        aor("del@H:5060") + nest(A_CONTACT, a))
    expect("%s: the last contact took the AOR with it" % n, LOC_GET,
           aor("del@h"), ENOENT, msg="AOR not found")


def t_loc_get():
    n = "LOC_GET"
    expect("%s: without AOR refused" % n, LOC_GET, b"", EINVAL,
           msg="AOR is needed", miss=A_AOR)
    t_strlen(n, LOC_GET, lambda a: a, A_AOR, "AOR", SIPK_AOR_MAX, EINVAL,
             "empty AOR")
    expect("%s: unknown AOR" % n, LOC_GET, aor("nobody@h"), ENOENT,
           msg="AOR not found")
    expect("%s: AOR with a scheme refused" % n, LOC_GET, aor("sip:a@h"),
           EINVAL, msg="without the sip: scheme")
    expect("%s: dump with an AOR refused" % n, LOC_GET, aor("a@h"), EINVAL,
           msg="a dump takes no attributes", dump=True)
    a = attr(A_MAX + 1, b"\0\0\0\0")
    expect("%s: dump with attribute type %d refused" % (n, A_MAX + 1),
           LOC_GET, a, EINVAL, msg=M_UNKNOWN, dump=True)
    a = attr(A_TARGET, b"a@h\0")
    expect("%s: dump with TARGET refused" % n, LOC_GET, a, EINVAL,
           msg=M_UNSUPP, dump=True)


def t_loc_flush():
    n = "LOC_FLUSH"
    t_fixlen(n, LOC_FLUSH, lambda a: a, A_OWNER, "OWNER", 4, EINVAL, M_LEN)
    a = u32(A_OWNER, 2)
    expect("%s: OWNER 2 refused" % n, LOC_FLUSH, a, ERANGE, msg=M_RANGE,
           bad=a)
    a = aor("a@h")
    expect("%s: AOR refused (flush takes only OWNER)" % n, LOC_FLUSH, a,
           EINVAL, msg=M_UNSUPP, bad=a)
    # round trip
    ok_("%s: (setup) static fa@h" % n, LOC_ADD,
        aor("fa@h") + contact(uri="sip:fa@192.0.2.1"))
    ok_("%s: (setup) daemon fb@h" % n, LOC_ADD,
        aor("fb@h") + contact(uri="sip:fb@192.0.2.1") +
        u32(A_OWNER, OWNER_DAEMON))
    ok_("%s: (setup) daemon contact on fa@h" % n, LOC_ADD,
        aor("fa@h") + contact(uri="sip:fa2@192.0.2.1") +
        u32(A_OWNER, OWNER_DAEMON))
    ok_("%s: OWNER daemon" % n, LOC_FLUSH, u32(A_OWNER, OWNER_DAEMON))
    expect("%s: the daemon-only AOR is gone" % n, LOC_GET, aor("fb@h"),
           ENOENT, msg="AOR not found")
    r = ok_("%s: the static contact is kept" % n, LOC_GET, aor("fa@h"))
    if r and r.msgs:
        check("%s: only the static contact of fa@h is left" % n,
              len(r.msgs[0].attrs.get(A_CONTACT, [])) == 1)
    ok_("%s: everything" % n, LOC_FLUSH)
    expect("%s: then nothing is left" % n, LOC_GET, aor("fa@h"), ENOENT)
    ok_("%s: an empty table" % n, LOC_FLUSH)
    guarded("%s: entries 0 after the flush" % n,
            lambda: check("%s: entries 0 after the flush" % n,
                          config_get()[CF_ENTRIES] == 0))


def t_loc_roundtrip():
    n = "LOC"
    ok_("%s: add alice@Example.COM" % n, LOC_ADD,
        aor("alice@Example.COM") +
        contact(uri="sip:alice@192.0.2.10:5062", v4="192.0.2.10",
                port=5062))
    r = ok_("%s: get alice@example.com:5060 (normalised name)" % n, LOC_GET,
            aor("alice@example.com:5060"))

    def look1():
        m = r.msgs[0]
        c = amap(m.one(A_CONTACT))
        check("%s: reply is one LOC_GET message with the normalised AOR" % n,
              len(r.msgs) == 1 and m.cmd == LOC_GET and
              get_str(m.one(A_AOR)) == "alice@example.com",
              "cmd %d aor %r" % (m.cmd, m.attrs.get(A_AOR)))
        check("%s: contact read back as written, defaults filled" % n,
              get_str(c[C_URI][0]) == "sip:alice@192.0.2.10:5062" and
              c[C_IPV4][0] == socket.inet_aton("192.0.2.10") and
              get_u(c[C_PORT][0], 2) == 5062 and
              get_u(c[C_Q][0], 2) == SIPK_Q_MAX and
              get_u(c[C_FLAGS][0], 4) == 0 and
              get_u(c[C_OWNER][0], 4) == OWNER_STATIC and
              C_EXPIRES not in c and C_IPV6 not in c, repr(c))
    if r and r.msgs:
        guarded("%s: contact read back" % n, look1)
        guarded("%s: nest flags" % n, lambda: check(
            "LOC_GET: the reply's CONTACT carries NLA_F_NESTED",
            all(f for t, _, f in parse_attrs(r.msgs[0].raw)
                if t == A_CONTACT)))
    ok_("%s: a second contact, IPv6, q 500, expires, redirect, daemon" % n,
        LOC_ADD, aor("alice@example.com") +
        contact(uri="sip:alice@[2001:db8::10]", v4=None, v6="2001:db8::10",
                q=500, expires=3600, flags=F_REDIRECT) +
        u32(A_OWNER, OWNER_DAEMON))
    ok_("%s: replace the first contact's address" % n, LOC_ADD,
        aor("alice@example.com") +
        contact(uri="sip:alice@192.0.2.10:5062", v4="192.0.2.11",
                port=5062))
    r = ok_("%s: get both" % n, LOC_GET, aor("alice@EXAMPLE.com"))

    def look2():
        cs = [amap(c) for c in r.msgs[0].attrs[A_CONTACT]]
        check("%s: two contacts, the replaced one kept its place" % n,
              len(cs) == 2 and
              cs[0][C_IPV4][0] == socket.inet_aton("192.0.2.11"), repr(cs))
        c = cs[1]
        check("%s: second contact read back" % n,
              c[C_IPV6][0] == socket.inet_pton(socket.AF_INET6,
                                               "2001:db8::10") and
              C_IPV4 not in c and get_u(c[C_Q][0], 2) == 500 and
              get_u(c[C_FLAGS][0], 4) == F_REDIRECT and
              get_u(c[C_OWNER][0], 4) == OWNER_DAEMON and
              3590 <= get_u(c[C_EXPIRES][0], 4) <= 3600, repr(c))
    if r and r.msgs:
        guarded("%s: both contacts read back" % n, look2)
    guarded("%s: entries 2" % n,
            lambda: check("%s: CONFIG_GET counts 2 entries" % n,
                          config_get()[CF_ENTRIES] == 2))
    d = dump_names(LOC_GET)
    check("%s: the dump lists alice@example.com once" % n,
          d is not None and d.count("alice@example.com") == 1, repr(d))
    ok_("%s: delete the IPv6 contact" % n, LOC_DEL,
        aor("alice@example.com") +
        nest(A_CONTACT, strz(C_URI, "sip:alice@[2001:db8::10]")))
    r = ok_("%s: get after deleting one" % n, LOC_GET,
            aor("alice@example.com"))
    if r and r.msgs:
        check("%s: one contact left" % n,
              len(r.msgs[0].attrs.get(A_CONTACT, [])) == 1)
    ok_("%s: delete the AOR" % n, LOC_DEL, aor("alice@example.com"))
    expect("%s: get after delete" % n, LOC_GET, aor("alice@example.com"),
           ENOENT, msg="AOR not found")
    expect("%s: delete again" % n, LOC_DEL, aor("alice@example.com"),
           ENOENT, msg="AOR not found")
    d = dump_names(LOC_GET)
    check("%s: the dump no longer lists it" % n,
          d is not None and "alice@example.com" not in d, repr(d))


# ---- aliases ----

def t_alias():
    n = "ALIAS_ADD"
    tg = strz(A_TARGET, "t@h")
    expect("%s: without AOR refused" % n, ALIAS_ADD, tg, EINVAL,
           msg="AOR is needed", miss=A_AOR)
    expect("%s: without TARGET refused" % n, ALIAS_ADD, aor("a@h"), EINVAL,
           msg="TARGET is needed", miss=A_TARGET)
    t_strlen(n, ALIAS_ADD, lambda a: a + tg, A_AOR, "AOR", SIPK_AOR_MAX,
             EINVAL, "empty AOR")
    t_strlen(n, ALIAS_ADD, lambda a: aor("a@h") + a, A_TARGET, "TARGET",
             SIPK_AOR_MAX, EINVAL, "empty AOR")
    a = strz(A_TARGET, "sip:t@h")
    expect("%s: TARGET with a scheme refused" % n, ALIAS_ADD, aor("a@h") + a,
           EINVAL, msg="without the sip: scheme", bad=a)
    a = attr(A_TARGET | NLA_F_NESTED, b"t@h\0")
    expect("%s: TARGET with NLA_F_NESTED refused" % n, ALIAS_ADD,
           aor("a@h") + a, EINVAL, msg=M_NESTED, bad=a)
    a = contact()
    expect("%s: CONTACT refused" % n, ALIAS_ADD, aor("a@h") + tg + a,
           EINVAL, msg=M_UNSUPP, bad=a)
    expect("%s: alias to itself refused" % n, ALIAS_ADD,
           aor("x@h") + strz(A_TARGET, "x@H:5060"), errno.ELOOP,
           msg="points to itself")
    ok_("%s: jerry@Acme.com -> js@NYC.acme.com:5060" % n, ALIAS_ADD,
        aor("jerry@Acme.com") + strz(A_TARGET, "js@NYC.acme.com:5060"))
    ok_("%s: js@nyc.acme.com -> alice@example.com" % n, ALIAS_ADD,
        aor("js@nyc.acme.com") + strz(A_TARGET, "alice@example.com"))
    expect("%s: a loop refused" % n, ALIAS_ADD,
           aor("alice@example.com") + strz(A_TARGET, "jerry@acme.com"),
           errno.ELOOP, msg="would form a loop")
    n = "ALIAS_GET"
    r = ok_("%s: jerry@ACME.com" % n, ALIAS_GET, aor("jerry@ACME.com"))
    if r and r.msgs:
        guarded("%s: read back" % n, lambda: check(
            "%s: AOR and TARGET read back normalised" % n,
            get_str(r.msgs[0].one(A_AOR)) == "jerry@acme.com" and
            get_str(r.msgs[0].one(A_TARGET)) == "js@nyc.acme.com" and
            r.msgs[0].cmd == ALIAS_GET, repr(r.msgs[0].attrs)))
    d = dump_names(ALIAS_GET)
    check("%s: the dump lists both aliases" % n,
          d is not None and sorted(d) == ["jerry@acme.com",
                                          "js@nyc.acme.com"], repr(d))
    ok_("ALIAS_ADD: change the target", ALIAS_ADD,
        aor("jerry@acme.com") + strz(A_TARGET, "bob@example.com"))
    r = ok_("%s: after the change" % n, ALIAS_GET, aor("jerry@acme.com"))
    if r and r.msgs:
        guarded("%s: new target" % n, lambda: check(
            "%s: the new target read back" % n,
            get_str(r.msgs[0].one(A_TARGET)) == "bob@example.com"))
    expect("%s: without AOR refused" % n, ALIAS_GET, b"", EINVAL,
           msg="AOR is needed", miss=A_AOR)
    t_strlen(n, ALIAS_GET, lambda a: a, A_AOR, "AOR", SIPK_AOR_MAX, EINVAL,
             "empty AOR")
    expect("%s: unknown alias" % n, ALIAS_GET, aor("nobody@h"), ENOENT,
           msg="alias not found")
    expect("%s: dump with an AOR refused" % n, ALIAS_GET, aor("a@h"),
           EINVAL, msg="a dump takes no attributes", dump=True)
    n = "ALIAS_DEL"
    expect("%s: without AOR refused" % n, ALIAS_DEL, b"", EINVAL,
           msg="AOR is needed", miss=A_AOR)
    t_strlen(n, ALIAS_DEL, lambda a: a, A_AOR, "AOR", SIPK_AOR_MAX, EINVAL,
             "empty AOR")
    a = tg
    expect("%s: TARGET refused" % n, ALIAS_DEL, aor("jerry@acme.com") + a,
           EINVAL, msg=M_UNSUPP, bad=a)
    ok_("%s: jerry@acme.com" % n, ALIAS_DEL, aor("jerry@ACME.com"))
    expect("%s: get after delete" % n, ALIAS_GET, aor("jerry@acme.com"),
           ENOENT, msg="alias not found")
    expect("%s: delete again" % n, ALIAS_DEL, aor("jerry@acme.com"), ENOENT,
           msg="alias not found")
    ok_("%s: js@nyc.acme.com" % n, ALIAS_DEL, aor("js@nyc.acme.com"))
    d = dump_names(ALIAS_GET)
    check("%s: the dump is empty" % n, d == [], repr(d))


# ---- routes ----

def t_route():
    n = "ROUTE_ADD"
    nh = nexthop()
    expect("%s: without DOMAIN refused" % n, ROUTE_ADD, nh, EINVAL,
           msg="DOMAIN is needed", miss=A_DOMAIN)
    expect("%s: without NEXTHOP refused" % n, ROUTE_ADD, domain("a.test"),
           EINVAL, msg="NEXTHOP is needed", miss=A_NEXTHOP)
    expect("%s: NEXTHOP without address refused" % n, ROUTE_ADD,
           domain("a.test") + nexthop(v4=None), EINVAL,
           msg="exactly one of IPV4 and IPV6")
    c = nexthop(port=None)
    expect("%s: NEXTHOP without PORT refused" % n, ROUTE_ADD,
           domain("a.test") + c, EINVAL, msg="PORT is needed", miss=C_PORT,
           missnest=c)
    expect("%s: NEXTHOP with IPV4 and IPV6 refused" % n, ROUTE_ADD,
           domain("a.test") + nexthop(v6="2001:db8::1"), EINVAL,
           msg="exactly one of IPV4 and IPV6")
    t_strlen(n, ROUTE_ADD, lambda a: a + nh, A_DOMAIN, "DOMAIN",
             SIPK_DOMAIN_MAX, EINVAL, "empty domain")
    t_fixlen(n, ROUTE_ADD, lambda a: domain("a.test") + nexthop(v4=a),
             C_IPV4, "IPV4", 4, ERANGE, M_BINLEN)
    t_fixlen(n, ROUTE_ADD, lambda a: domain("a.test") + nexthop(v4=None,
                                                                extra=a),
             C_IPV6, "IPV6", 16, ERANGE, M_BINLEN, (0, 1, 3, 5, 17))
    t_fixlen(n, ROUTE_ADD, lambda a: domain("a.test") + nexthop(port=a),
             C_PORT, "PORT", 2, EINVAL, M_LEN)
    expect("%s: NEXTHOP without NLA_F_NESTED refused" % n, ROUTE_ADD,
           domain("a.test") + nexthop(nested=False), EINVAL,
           msg=M_NOT_NESTED)
    for t in (C_URI, C_Q, C_FLAGS):
        a = attr(t, b"\0\0\0\0")
        expect("%s: NEXTHOP attribute %d refused" % (n, t), ROUTE_ADD,
               domain("a.test") + nexthop(extra=a), EINVAL, msg=M_UNSUPP,
               bad=a)
    for t in (0, C_MAX + 1):
        a = attr(t, b"\0\0\0\0")
        expect("%s: NEXTHOP attribute type %d refused" % (n, t), ROUTE_ADD,
               domain("a.test") + nexthop(extra=a), EINVAL, msg=M_UNKNOWN,
               bad=a)
    a = u16(C_PORT, 0)
    expect("%s: port 0 refused" % n, ROUTE_ADD,
           domain("a.test") + nexthop(port=a), ERANGE, msg=M_RANGE, bad=a)
    a = ip4(C_IPV4, "224.0.0.1")
    expect("%s: multicast next hop refused" % n, ROUTE_ADD,
           domain("a.test") + nexthop(v4=a), EINVAL, msg="not a unicast",
           bad=a)
    for s, m in (("exa_mple.org", "not allowed in a host name"),
                 ("a..org", "empty label"), (".org", "empty label"),
                 ("org.", "empty label"), ("a b.org", "not allowed"),
                 ("a@b.org", "not allowed"), ("a:5060", "not allowed"),
                 ("[2001:db8::1]", "not allowed"),
                 ("x" * 64 + ".org", "longer than 63")):
        a = domain(s)
        expect("%s: domain %r refused" % (n, s[:20]), ROUTE_ADD, a + nh,
               EINVAL, msg=m, bad=a)
    a = attr(A_DOMAIN, "café.org".encode("latin-1") + b"\0")
    expect("%s: domain with a Latin-1 letter refused" % n, ROUTE_ADD,
           a + nh, EINVAL, msg="not allowed in a host name", bad=a)
    longest = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])
    assert len(longest) == SIPK_DOMAIN_MAX
    ok_("%s: domain of %d characters accepted" % (n, SIPK_DOMAIN_MAX),
        ROUTE_ADD, domain(longest) + nh)
    ok_("%s: (cleanup) the longest domain" % n, ROUTE_DEL, domain(longest))
    # round trip
    ok_("%s: Example.ORG -> [2001:db8::53]:5080" % n, ROUTE_ADD,
        domain("Example.ORG") + nexthop(v4=None, v6="2001:db8::53",
                                        port=5080))
    n = "ROUTE_GET"
    r = ok_("%s: example.org" % n, ROUTE_GET, domain("EXAMPLE.org"))

    def look(want_v4, want_v6, port):
        m = r.msgs[0]
        h = amap(m.one(A_NEXTHOP))
        return (m.cmd == ROUTE_GET and
                get_str(m.one(A_DOMAIN)) == "example.org" and
                (want_v4 is None or
                 h[C_IPV4][0] == socket.inet_aton(want_v4)) and
                (want_v6 is None or
                 h[C_IPV6][0] == socket.inet_pton(socket.AF_INET6,
                                                  want_v6)) and
                get_u(h[C_PORT][0], 2) == port)
    if r and r.msgs:
        guarded("%s: nest flags" % n, lambda: check(
            "%s: the reply's NEXTHOP carries NLA_F_NESTED" % n,
            all(f for t, _, f in parse_attrs(r.msgs[0].raw)
                if t == A_NEXTHOP)))
        guarded("%s: read back" % n, lambda: check(
            "%s: domain and next hop read back" % n,
            look(None, "2001:db8::53", 5080), repr(r.msgs[0].attrs)))
    d = dump_names(ROUTE_GET)
    check("%s: the dump lists example.org" % n, d == ["example.org"],
          repr(d))
    ok_("ROUTE_ADD: change the next hop", ROUTE_ADD,
        domain("example.org") + nexthop(v4="192.0.2.53", port=5090))
    r = ok_("%s: after the change" % n, ROUTE_GET, domain("example.org"))
    if r and r.msgs:
        guarded("%s: new next hop" % n, lambda: check(
            "%s: the new next hop read back" % n,
            look("192.0.2.53", None, 5090), repr(r.msgs[0].attrs)))
    expect("%s: without DOMAIN refused" % n, ROUTE_GET, b"", EINVAL,
           msg="DOMAIN is needed", miss=A_DOMAIN)
    t_strlen(n, ROUTE_GET, lambda a: a, A_DOMAIN, "DOMAIN", SIPK_DOMAIN_MAX,
             EINVAL, "empty domain")
    expect("%s: unknown domain" % n, ROUTE_GET, domain("nowhere.test"),
           ENOENT, msg="route not found")
    expect("%s: parent domains are not searched" % n, ROUTE_GET,
           domain("sub.example.org"), ENOENT, msg="route not found")
    expect("%s: dump with a DOMAIN refused" % n, ROUTE_GET,
           domain("example.org"), EINVAL, msg="a dump takes no attributes",
           dump=True)
    n = "ROUTE_DEL"
    expect("%s: without DOMAIN refused" % n, ROUTE_DEL, b"", EINVAL,
           msg="DOMAIN is needed", miss=A_DOMAIN)
    t_strlen(n, ROUTE_DEL, lambda a: a, A_DOMAIN, "DOMAIN", SIPK_DOMAIN_MAX,
             EINVAL, "empty domain")
    a = nh
    expect("%s: NEXTHOP refused" % n, ROUTE_DEL, domain("example.org") + a,
           EINVAL, msg=M_UNSUPP, bad=a)
    ok_("%s: example.org" % n, ROUTE_DEL, domain("example.ORG"))
    expect("%s: get after delete" % n, ROUTE_GET, domain("example.org"),
           ENOENT, msg="route not found")
    expect("%s: delete again" % n, ROUTE_DEL, domain("example.org"), ENOENT,
           msg="route not found")
    d = dump_names(ROUTE_GET)
    check("%s: the dump is empty" % n, d == [], repr(d))


# ---- configuration ----

def config_get(nl=None):
    r = (nl or NLS).request(CONFIG_GET)
    if r.errno or len(r.msgs) != 1:
        raise NlError("CONFIG_GET: %s" % r.why())
    top = parse_attrs(r.msgs[0].raw)
    c = amap(r.msgs[0].one(A_CONFIG))
    if [f for t, _, f in top] != [True] or \
            not [f for t, _, f in parse_attrs(r.msgs[0].one(A_CONFIG))
                 if t == CF_PORTS] == [True]:
        raise Malformed("CONFIG or PORTS without NLA_F_NESTED")
    out = {
        CF_PORTS: [get_u(v, 2) for t, v, _ in parse_attrs(c[CF_PORTS][0])],
        CF_RECORD_ROUTE: get_u(c[CF_RECORD_ROUTE][0], 1),
        CF_FORK_POLICY: get_u(c[CF_FORK_POLICY][0], 4),
        CF_MAX_ENTRIES: get_u(c[CF_MAX_ENTRIES][0], 4),
        CF_ENTRIES: get_u(c[CF_ENTRIES][0], 4),
    }
    idx = [t for t, v, _ in parse_attrs(c[CF_PORTS][0])]
    if idx != list(range(1, len(idx) + 1)):
        raise Malformed("port indexes %s" % idx)
    return out


def t_config():
    n = "CONFIG_SET"
    try:
        c0 = config_get()
        check("CONFIG_GET: the defaults", c0 == {
            CF_PORTS: [5060], CF_RECORD_ROUTE: 0, CF_FORK_POLICY: 0,
            CF_MAX_ENTRIES: DEFAULT_MAX_ENTRIES, CF_ENTRIES: 0}, repr(c0))
    except (OSError, Malformed, NlError, KeyError) as e:
        check("CONFIG_GET: the defaults", False, e)
    ports = lambda *p: nest(CF_PORTS, *[u16(i + 1, v)
                                        for i, v in enumerate(p)])
    expect("%s: without CONFIG refused" % n, CONFIG_SET, b"", EINVAL,
           msg="CONFIG is needed", miss=A_CONFIG)
    expect("%s: empty CONFIG refused" % n, CONFIG_SET, config(), EINVAL,
           msg="CONFIG is empty")
    a = attr(A_CONFIG | NLA_F_NESTED, b"\x01\x00\x00")
    expect("%s: CONFIG of 3 octets refused" % n, CONFIG_SET, a, ERANGE,
           msg=M_POLICY, bad=a)
    expect("%s: CONFIG without NLA_F_NESTED refused" % n, CONFIG_SET,
           config(u32(CF_FORK_POLICY, 0), nested=False), EINVAL,
           msg=M_NOT_NESTED)
    expect("%s: PORTS without NLA_F_NESTED refused" % n, CONFIG_SET,
           config(flat(CF_PORTS, u16(1, 5060))), EINVAL, msg=M_NOT_NESTED)
    a = attr(CF_FORK_POLICY | NLA_F_NESTED, b"\0\0\0\0")
    expect("%s: FORK_POLICY with NLA_F_NESTED refused" % n, CONFIG_SET,
           config(a), EINVAL, msg=M_NESTED, bad=a)
    expect("%s: empty PORTS refused" % n, CONFIG_SET,
           config(nest(CF_PORTS)), EINVAL, msg="PORTS is empty")
    for t in (0, CF_MAX + 1):
        a = attr(t, b"\0\0\0\0")
        expect("%s: CONFIG attribute type %d refused" % (n, t), CONFIG_SET,
               config(u32(CF_FORK_POLICY, 0), a), EINVAL, msg=M_UNKNOWN,
               bad=a)
    for t in (0, SIPK_PORTS_MAX + 1):
        a = u16(t, 5060)
        expect("%s: port index %d refused" % (n, t), CONFIG_SET,
               config(nest(CF_PORTS, u16(1, 5070), a)), EINVAL,
               msg=M_UNKNOWN, bad=a)
    a = u16(1, 0)
    expect("%s: port 0 refused" % n, CONFIG_SET, config(nest(CF_PORTS, a)),
           ERANGE, msg=M_RANGE, bad=a)
    a = u16(2, 5060)
    expect("%s: the same port twice refused" % n, CONFIG_SET,
           config(nest(CF_PORTS, u16(1, 5060), a)), EINVAL,
           msg="port given twice", bad=a)
    a = u16(1, 5070)
    expect("%s: the same port index twice refused" % n, CONFIG_SET,
           config(nest(CF_PORTS, u16(1, 5060), a)), EINVAL,
           msg="port index given twice", bad=a)
    a = u16(SIPK_PORTS_MAX + 1, 5099)
    expect("%s: %d ports refused" % (n, SIPK_PORTS_MAX + 1), CONFIG_SET,
           config(nest(CF_PORTS, *[u16(i + 1, 5060 + i)
                                   for i in range(SIPK_PORTS_MAX)], a)),
           EINVAL, msg=M_UNKNOWN, bad=a)
    a = u8(CF_RECORD_ROUTE, 2)
    expect("%s: record_route 2 refused" % n, CONFIG_SET, config(a), ERANGE,
           msg=M_RANGE, bad=a)
    a = u32(CF_FORK_POLICY, 2)
    expect("%s: fork policy 2 refused" % n, CONFIG_SET, config(a), ERANGE,
           msg=M_RANGE, bad=a)
    for v in (0, MAX_ENTRIES_LIMIT + 1, 0xffffffff):
        a = u32(CF_MAX_ENTRIES, v)
        expect("%s: max_entries %d refused" % (n, v), CONFIG_SET, config(a),
               ERANGE, msg=M_RANGE, bad=a)
    a = u32(CF_ENTRIES, 5)
    expect("%s: entries is read-only" % n, CONFIG_SET, config(a), EINVAL,
           msg="entries is read-only", bad=a)
    t_fixlen(n, CONFIG_SET, lambda a: config(nest(CF_PORTS, a)), 1, "port",
             2, EINVAL, M_LEN)
    t_fixlen(n, CONFIG_SET, lambda a: config(a), CF_RECORD_ROUTE,
             "RECORD_ROUTE", 1, EINVAL, M_LEN, (0, 2, 3, 5))
    for t, what in ((CF_FORK_POLICY, "FORK_POLICY"),
                    (CF_MAX_ENTRIES, "MAX_ENTRIES")):
        t_fixlen(n, CONFIG_SET, lambda a: config(a), t, what, 4, EINVAL,
                 M_LEN)
    # a refused request changes nothing, not even the valid parts
    expect("%s: valid ports and a bad fork policy refused" % n, CONFIG_SET,
           config(ports(5070), u32(CF_FORK_POLICY, 7)), ERANGE)
    guarded("%s: nothing changed" % n, lambda: check(
        "%s: a refused request changed nothing" % n,
        config_get()[CF_PORTS] == [5060]))
    # round trip
    ok_("%s: ports 5060 5070 5080, record-route, best-q, max 1000" % n,
        CONFIG_SET, config(ports(5060, 5070, 5080), u8(CF_RECORD_ROUTE, 1),
                           u32(CF_FORK_POLICY, 1),
                           u32(CF_MAX_ENTRIES, 1000)))
    guarded("CONFIG_GET: read back", lambda: check(
        "CONFIG_GET: all of it read back", config_get() == {
            CF_PORTS: [5060, 5070, 5080], CF_RECORD_ROUTE: 1,
            CF_FORK_POLICY: 1, CF_MAX_ENTRIES: 1000, CF_ENTRIES: 0},
        repr(config_get())))
    ok_("%s: only the fork policy" % n, CONFIG_SET,
        config(u32(CF_FORK_POLICY, 0)))
    guarded("CONFIG_GET: partial", lambda: check(
        "CONFIG_GET: a partial set keeps the rest", config_get() == {
            CF_PORTS: [5060, 5070, 5080], CF_RECORD_ROUTE: 1,
            CF_FORK_POLICY: 0, CF_MAX_ENTRIES: 1000, CF_ENTRIES: 0}))
    ok_("%s: %d ports" % (n, SIPK_PORTS_MAX), CONFIG_SET,
        config(ports(*range(5060, 5060 + SIPK_PORTS_MAX))))
    guarded("CONFIG_GET: 8 ports", lambda: check(
        "CONFIG_GET: %d ports read back in order" % SIPK_PORTS_MAX,
        config_get()[CF_PORTS] == list(range(5060, 5060 + SIPK_PORTS_MAX))))
    ok_("%s: max_entries %d (the limit) accepted" % (n, MAX_ENTRIES_LIMIT),
        CONFIG_SET, config(u32(CF_MAX_ENTRIES, MAX_ENTRIES_LIMIT)))
    # max_entries against the tables
    ok_("%s: (setup) a contact" % n, LOC_ADD, aor("m@h") + contact())
    ok_("%s: (setup) a second contact" % n, LOC_ADD,
        aor("m@h") + contact(uri="sip:m2@192.0.2.1"))
    ok_("%s: (setup) an alias" % n, ALIAS_ADD,
        aor("ma@h") + strz(A_TARGET, "m@h"))
    ok_("%s: (setup) a route" % n, ROUTE_ADD, domain("m.test") + nexthop())
    a = u32(CF_MAX_ENTRIES, 1)
    expect("%s: max_entries below the contacts there are refused" % n,
           CONFIG_SET, config(a), errno.EBUSY, msg="below the number",
           bad=a)
    ok_("%s: max_entries 2, as many as there are" % n, CONFIG_SET,
        config(u32(CF_MAX_ENTRIES, 2)))
    expect("LOC_ADD: a contact beyond max_entries refused", LOC_ADD,
           aor("m@h") + contact(uri="sip:m3@192.0.2.1"), errno.ENOSPC,
           msg="max_entries")
    expect("LOC_ADD: a new AOR beyond max_entries refused", LOC_ADD,
           aor("m2@h") + contact(), errno.ENOSPC, msg="max_entries")
    ok_("LOC_ADD: replacing a contact at max_entries works", LOC_ADD,
        aor("m@h") + contact(uri="sip:m2@192.0.2.1", q=7))
    ok_("LOC_DEL: (setup) one contact", LOC_DEL,
        aor("m@h") + nest(A_CONTACT, strz(C_URI, "sip:m2@192.0.2.1")))
    ok_("%s: max_entries 1 now fits" % n, CONFIG_SET,
        config(u32(CF_MAX_ENTRIES, 1)))
    expect("ALIAS_ADD: an alias beyond max_entries refused", ALIAS_ADD,
           aor("mb@h") + strz(A_TARGET, "m@h"), errno.ENOSPC,
           msg="max_entries")
    ok_("ALIAS_ADD: changing an alias at max_entries works", ALIAS_ADD,
        aor("ma@h") + strz(A_TARGET, "m2@h"))
    expect("ROUTE_ADD: a route beyond max_entries refused", ROUTE_ADD,
           domain("m2.test") + nexthop(), errno.ENOSPC, msg="max_entries")
    ok_("ROUTE_ADD: changing a route at max_entries works", ROUTE_ADD,
        domain("m.test") + nexthop(port=5070))
    ok_("%s: (cleanup) defaults" % n, CONFIG_SET,
        config(ports(5060), u8(CF_RECORD_ROUTE, 0), u32(CF_FORK_POLICY, 0),
               u32(CF_MAX_ENTRIES, DEFAULT_MAX_ENTRIES)))
    ok_("%s: (cleanup) contact" % n, LOC_FLUSH)
    ok_("%s: (cleanup) alias" % n, ALIAS_DEL, aor("ma@h"))
    ok_("%s: (cleanup) route" % n, ROUTE_DEL, domain("m.test"))


# ---- counters ----

def stats_get(nl=None):
    r = (nl or NLS).request(STATS_GET)
    if r.errno or len(r.msgs) != 1:
        raise NlError("STATS_GET: %s" % r.why())
    if [f for t, _, f in parse_attrs(r.msgs[0].raw)] != [True]:
        raise Malformed("STATS without NLA_F_NESTED")
    out = {}
    for t, v, _ in parse_attrs(r.msgs[0].one(A_STATS)):
        if t == 0:		# padding
            continue
        if t in out:
            raise Malformed("counter %d twice" % t)
        out[t] = get_u(v, 8)
    return out


def t_stats(expiry_started):
    try:
        s = stats_get()
        check("STATS_GET: %d u64 counters, types 1..%d" %
              (N_COUNTERS, N_COUNTERS),
              sorted(s) == list(range(1, N_COUNTERS + 1)), repr(sorted(s)))
    except (OSError, Malformed, NlError) as e:
        check("STATS_GET: %d u64 counters" % N_COUNTERS, False, e)
    # the contact added with EXPIRES 1 at the start has been collected
    got = None
    deadline = expiry_started + 6
    while time.time() < deadline:
        try:
            got = stats_get().get(CNT_EXPIRED + 1)
        except (OSError, Malformed, NlError):
            got = None
        if got:
            break
        time.sleep(0.2)
    check("STATS_GET: the expired contact was counted", got == 1,
          "expired = %s" % got)
    ok_("STATS_RESET: reset", STATS_RESET)
    try:
        s = stats_get()
        check("STATS_GET: all zero after the reset",
              s and not any(s.values()), repr(s))
    except (OSError, Malformed, NlError) as e:
        check("STATS_GET: all zero after the reset", False, e)


# ---- events ----

def event_socket(nl):
    ev = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    ev.bind((0, 0))
    ev.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, nl.groups["events"])
    return ev


def read_events(ev, want, secs):
    out = []
    deadline = time.time() + secs
    while len(out) < want and time.time() < deadline:
        rl, _, _ = select.select([ev], [], [], max(0, deadline - time.time()))
        if not rl:
            break
        data = ev.recv(RECV_SIZE)
        off = 0
        while off + 16 <= len(data):
            n, typ, fl, _, _ = struct.unpack_from("=IHHII", data, off)
            if n < 16:
                break
            m = Msg(fl, data[off + 16:off + n])
            c = amap(m.one(A_CONTACT))
            out.append((m.cmd, get_str(m.one(A_AOR)),
                        get_str(c[C_URI][0])))
            off += (n + 3) & ~3
    return out


def t_events(ev, expiry_started):
    ok_("events: (setup) add ev@h", LOC_ADD,
        aor("ev@h") + contact(uri="sip:ev@192.0.2.1"))
    ok_("events: (setup) delete ev@h", LOC_DEL, aor("ev@h"))
    # the EXPIRES 1 contact added at the start
    got = read_events(ev, 4, max(1, expiry_started + 6 - time.time()))
    want = [(EV_ADDED, "exp@h", "sip:exp@192.0.2.1"),
            (EV_ADDED, "ev@h", "sip:ev@192.0.2.1"),
            (EV_REMOVED, "ev@h", "sip:ev@192.0.2.1"),
            (EV_EXPIRED, "exp@h", "sip:exp@192.0.2.1")]
    check("events: ADDED, REMOVED and EXPIRED with AOR and contact",
          sorted(got) == sorted(want), repr(got))


# ---- dumps ----

def dump_names(cmd, nl=None):
    r = (nl or NLS).request(cmd, dump=True)
    if r.errno or not r.done:
        return None
    key = A_DOMAIN if cmd == ROUTE_GET else A_AOR
    return [get_str(m.one(key)) for m in r.msgs]


def t_dump_intr():
    """a change between two parts of a dump flags the rest"""
    n = "dump"
    for i in range(150):
        NLS.send(NLS.build(LOC_ADD, aor("d%d@dump.test" % i) +
                           contact(uri="sip:d%d@192.0.2.1" % i), flags=0))
        NLS.send(NLS.build(ALIAS_ADD, aor("d%d@alias.test" % i) +
                           strz(A_TARGET, "d%d@dump.test" % i), flags=0))
        NLS.send(NLS.build(ROUTE_ADD, domain("d%d.route.test" % i) +
                           nexthop(), flags=0))
    r = NLS.request(STATS_GET)     # all of the above are done by now
    check("%s: (setup) 150 AORs, aliases and routes" % n, not r.errno)
    for cmd in DUMPABLE:
        name = CMD_NAME[cmd]
        names = dump_names(cmd)
        check("%s: %s lists 150 entries once each" % (n, name),
              names is not None and len(names) == 150 and
              len(set(names)) == 150,
              "%s" % (None if names is None else len(names)))
        # a socket that has not received yet: the first part of its dump
        # is NLMSG_GOODSIZE, a few entries; then the rest, then DONE
        s = NL(resolve=False)
        s.fam = NLS.fam
        try:
            s.send(s.build(cmd, b"", flags=NLM_F_DUMP))
            seq = s.seq
            data = s.s.recv(RECV_SIZE)
            first = [struct.unpack_from("=IHHII", data, 0)[2]]
            change = {LOC_GET: (LOC_ADD, aor("late@dump.test") + contact()),
                      ALIAS_GET: (ALIAS_ADD, aor("late@alias.test") +
                                  strz(A_TARGET, "x@h")),
                      ROUTE_GET: (ROUTE_ADD, domain("late.route.test") +
                                  nexthop())}[cmd]
            r0 = NLS.request(*change)
            r = s.collect(seq)
            intr_first = bool(first[0] & NLM_F_DUMP_INTR)
            check("%s: %s changed midway is flagged NLM_F_DUMP_INTR" %
                  (n, name), not r0.errno and r.intr and not intr_first and
                  r.done and r.errno == 0,
                  "change %s, intr %s, first part intr %s" %
                  (r0.why(), r.intr, intr_first))
        except (OSError, Malformed) as e:
            check("%s: %s changed midway is flagged NLM_F_DUMP_INTR" %
                  (n, name), False, e)
        s.close()
        # a dump abandoned halfway: the socket closes with it running
        s = NL()
        try:
            s.send(s.build(cmd, b"", flags=NLM_F_DUMP))
            s.s.recv(RECV_SIZE)
        except OSError:
            pass
        s.close()
    ok_("%s: (cleanup) flush" % n, LOC_FLUSH)
    for i in ["d%d" % i for i in range(150)] + ["late"]:
        NLS.send(NLS.build(ALIAS_DEL, aor("%s@alias.test" % i), flags=0))
        NLS.send(NLS.build(ROUTE_DEL, domain("%s.route.test" % i), flags=0))
    NLS.request(STATS_GET)
    check("%s: (cleanup) tables empty" % n,
          all(dump_names(c) == [] for c in DUMPABLE))


# The race: a child adds and deletes entries (and grows and shrinks the
# tables, which makes rhashtable walks rewind) while the parent dumps.

STABLE = 200
CHURN = 600
AOR_RE = re.compile(r"^(s|r)(\d+)@(stable|race)\.test$")
URI_RE = re.compile(r"^sip:(s|r)(\d+)(?:-(\d))?@192\.0\.2\.(\d+)$")
DOM_RE = re.compile(r"^(s|r)(\d+)\.(stable|race)\.test$")


def churner(secs):
    """child: add and delete in batches until @secs are up, then clean"""
    nl = NL()
    nl.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    end = time.time() + secs
    k = 0

    def batch(msgs):
        nl.send(b"".join(msgs))
        # drain refusals, never block (a socket timeout polls first)
        while select.select([nl.s], [], [], 0)[0]:
            try:
                nl.s.recv(RECV_SIZE)
            except OSError as e:
                if e.errno != errno.ENOBUFS:
                    raise

    while time.time() < end:
        k += 1
        for lo in range(0, CHURN, 50):
            batch([nl.build(LOC_ADD, aor("r%d@race.test" % i) +
                            contact(uri="sip:r%d-%d@192.0.2.%d" %
                                    (i, k % 3, 1 + k % 200),
                                    v4="192.0.2.%d" % (1 + k % 200)) +
                            u32(A_OWNER, OWNER_DAEMON),
                            flags=0) for i in range(lo, lo + 50)] +
                  [nl.build(ALIAS_ADD, aor("r%d@race.test" % i) +
                            strz(A_TARGET, "s%d@stable.test" % i), flags=0)
                   for i in range(lo // 3, lo // 3 + 16)] +
                  [nl.build(ROUTE_ADD, domain("r%d.race.test" % i) +
                            nexthop(port=1 + k), flags=0)
                   for i in range(lo // 3, lo // 3 + 16)])
        for lo in range(0, CHURN, 50):
            batch([nl.build(LOC_DEL, aor("r%d@race.test" % i), flags=0)
                   for i in range(lo, lo + 50)] +
                  [nl.build(ALIAS_DEL, aor("r%d@race.test" % i), flags=0)
                   for i in range(lo // 3, lo // 3 + 16)] +
                  [nl.build(ROUTE_DEL, domain("r%d.race.test" % i),
                            flags=0)
                   for i in range(lo // 3, lo // 3 + 16)])
    # leave only the stable entries behind
    nl.request(LOC_FLUSH, u32(A_OWNER, OWNER_DAEMON))
    batch([nl.build(ALIAS_DEL, aor("r%d@race.test" % i), flags=0)
           for i in range(CHURN)])
    batch([nl.build(ROUTE_DEL, domain("r%d.race.test" % i), flags=0)
           for i in range(CHURN)])
    nl.request(STATS_GET)
    return k


def check_entry(cmd, m):
    """raise Malformed unless @m is a well-formed entry of the race"""
    if m.cmd != cmd or m.version != SIPK_GENL_VERSION or m.reserved:
        raise Malformed("header cmd %d version %d" % (m.cmd, m.version))
    if not m.flags & NLM_F_MULTI:
        raise Malformed("dump message without NLM_F_MULTI")
    if cmd == ROUTE_GET:
        name = get_str(m.one(A_DOMAIN))
        if not DOM_RE.match(name) or set(m.attrs) != {A_DOMAIN, A_NEXTHOP}:
            raise Malformed("route %r %s" % (name, sorted(m.attrs)))
        h = amap(m.one(A_NEXTHOP))
        if sorted(h) != [C_IPV4, C_PORT] or len(h[C_IPV4][0]) != 4 or \
                not get_u(h[C_PORT][0], 2):
            raise Malformed("next hop %r" % h)
        return name
    name = get_str(m.one(A_AOR))
    am = AOR_RE.match(name)
    if not am:
        raise Malformed("AOR %r" % name)
    if cmd == ALIAS_GET:
        tg = get_str(m.one(A_TARGET))
        if set(m.attrs) != {A_AOR, A_TARGET} or \
                tg != "s%s@stable.test" % am.group(2):
            raise Malformed("alias %r -> %r" % (name, tg))
        return name
    if set(m.attrs) != {A_AOR, A_CONTACT}:
        raise Malformed("AOR %r attributes %s" % (name, sorted(m.attrs)))
    cs = m.attrs[A_CONTACT]
    if not 1 <= len(cs) <= SIPK_CONTACTS_MAX:
        raise Malformed("AOR %r with %d contacts" % (name, len(cs)))
    for raw in cs:
        c = amap(raw)
        if sorted(c) != [C_URI, C_IPV4, C_PORT, C_Q, C_FLAGS, C_OWNER]:
            raise Malformed("contact attributes %s" % sorted(c))
        um = URI_RE.match(get_str(c[C_URI][0]))
        if not um or um.group(1) != am.group(1) or \
                um.group(2) != am.group(2) or \
                c[C_IPV4][0] != socket.inet_aton("192.0.2." + um.group(4)):
            raise Malformed("AOR %r contact %r" % (name, c))
        if get_u(c[C_PORT][0], 2) != 5060 or \
                get_u(c[C_Q][0], 2) != SIPK_Q_MAX or \
                get_u(c[C_FLAGS][0], 4) or get_u(c[C_OWNER][0], 4) > 1:
            raise Malformed("contact values %r" % c)
    return name


def stable_names(cmd):
    if cmd == LOC_GET:
        return {"s%d@stable.test" % i for i in range(STABLE)}
    if cmd == ALIAS_GET:
        return set()
    return {"s%d.stable.test" % i for i in range(STABLE)}


def t_race(secs):
    n = "race"
    for i in range(0, STABLE, 50):
        NLS.send(b"".join(
            [NLS.build(LOC_ADD, aor("s%d@stable.test" % j) +
                       contact(uri="sip:s%d@192.0.2.1" % j), flags=0)
             for j in range(i, i + 50)] +
            [NLS.build(ROUTE_ADD, domain("s%d.stable.test" % j) + nexthop(),
                       flags=0) for j in range(i, i + 50)]))
    NLS.request(STATS_GET)
    for cmd in (LOC_GET, ROUTE_GET):
        d = dump_names(cmd)
        check("%s: (setup) %d stable entries in %s" %
              (n, STABLE, CMD_NAME[cmd]),
              d is not None and set(d) == stable_names(cmd),
              "%s" % (None if d is None else len(d)))
    sys.stdout.flush()
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        code = 0
        try:
            k = churner(secs)
            os.write(wfd, b"%d\n" % k)
        except BaseException as e:		# report, never run the parent's code
            os.write(wfd, ("error %r\n" % e).encode())
            code = 1
        os._exit(code)
    os.close(wfd)
    # dumps, interrupted, garbage, interrupted with repeats (rewound walks)
    stats = {c: [0, 0, 0, 0] for c in DUMPABLE}
    problems = []
    end = time.time() + secs
    i = 0
    while time.time() < end:
        cmd = DUMPABLE[i % 3]
        i += 1
        st = stats[cmd]
        st[0] += 1
        try:
            r = NLS.request(cmd, dump=True)
            if r.errno or not r.done:
                raise Malformed("dump ended with %s" % r.why())
            names = [check_entry(cmd, m) for m in r.msgs]
        except (Malformed, OSError, KeyError, ValueError,
                UnicodeDecodeError) as e:
            st[2] += 1
            if len(problems) < 5:
                problems.append("%s: %s" % (CMD_NAME[cmd], e))
            continue
        if r.intr:
            st[1] += 1
            st[3] += len(names) != len(set(names))
            continue
        # not flagged: must be whole and without repeats
        dup = len(names) - len(set(names))
        miss = stable_names(cmd) - set(names)
        if dup or miss:
            st[2] += 1
            if len(problems) < 5:
                problems.append("%s: unflagged dump with %d repeated and "
                                "%d missing entries" %
                                (CMD_NAME[cmd], dup, len(miss)))
    _, status = os.waitpid(pid, 0)
    out = os.read(rfd, 4096).decode().strip()
    os.close(rfd)
    check("%s: the child changed the tables (%s cycles)" % (n, out),
          status == 0 and out.isdigit() and int(out) > 0,
          "status %d: %s" % (status, out))
    for cmd in DUMPABLE:
        d, intr, bad, rep = stats[cmd]
        diag("%s: %d dumps during the race, %d flagged NLM_F_DUMP_INTR, "
             "%d of them with repeated entries" % (CMD_NAME[cmd], d, intr,
                                                   rep))
        check("%s: %s dumps: %d, each consistent or flagged, never garbage"
              % (n, CMD_NAME[cmd], d), d > 0 and not bad,
              "; ".join(p for p in problems if p.startswith(CMD_NAME[cmd])))
    check("%s: some dumps were flagged NLM_F_DUMP_INTR" % n,
          sum(s[1] for s in stats.values()) > 0, repr(stats))
    for cmd in DUMPABLE:
        try:
            r = NLS.request(cmd, dump=True)
            names = [check_entry(cmd, m) for m in r.msgs]
            check("%s: afterwards %s is whole and not flagged" %
                  (n, CMD_NAME[cmd]),
                  not r.intr and not r.errno and
                  sorted(names) == sorted(stable_names(cmd)),
                  "intr %s, %d names" % (r.intr, len(names)))
        except (Malformed, OSError) as e:
            check("%s: afterwards %s is whole" % (n, CMD_NAME[cmd]), False, e)
    ok_("%s: (cleanup) flush" % n, LOC_FLUSH)
    for cmd, key in ((ALIAS_GET, A_AOR), (ROUTE_GET, A_DOMAIN)):
        for nm in dump_names(cmd) or []:
            NLS.send(NLS.build(cmd - 1, strz(key, nm), flags=0))
    NLS.request(STATS_GET)


# ---- privileges and namespaces: run in a child process ----

def in_child(fn):
    """run @fn in a forked child that prints its own result lines"""
    sys.stdout.flush()
    passed, failed = R.passed, R.failed
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        try:
            fn()
        except BaseException as e:		# never return into the parent
            R.report(False, "%s: ran to the end" % fn.__name__, repr(e))
        sys.stdout.flush()
        os.write(wfd, b"%d %d" % (R.passed - passed, R.failed - failed))
        os._exit(0)
    os.close(wfd)
    counts = os.read(rfd, 64).split()
    os.close(rfd)
    _, status = os.waitpid(pid, 0)
    if len(counts) == 2 and not status:
        R.passed += int(counts[0])
        R.failed += int(counts[1])
    else:
        R.report(False, "%s: child process" % fn.__name__,
                 "status %d, counts %r" % (status, counts))


def libc():
    return ctypes.CDLL(None, use_errno=True)


def drop_net_admin():
    lc = libc()
    if lc.prctl(PR_CAPBSET_DROP, CAP_NET_ADMIN, 0, 0, 0):
        raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")

    class Hdr(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]
    hdr = Hdr(0x20080522, 0)		# _LINUX_CAPABILITY_VERSION_3
    data = (ctypes.c_uint32 * 6)()	# {effective, permitted, inheritable} x2
    if lc.capget(ctypes.byref(hdr), data):
        raise OSError(ctypes.get_errno(), "capget")
    for i in range(3):
        data[i] &= ~(1 << CAP_NET_ADMIN)
    if lc.capset(ctypes.byref(hdr), data):
        raise OSError(ctypes.get_errno(), "capset")


def cap_eff():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    return None


def unpriv():
    # a socket opened before the drop: the sender's capability counts too
    early = NL()
    drop_net_admin()
    eff = cap_eff()
    check("unpriv: CAP_NET_ADMIN dropped", eff is not None and
          not eff & (1 << CAP_NET_ADMIN), "CapEff %s" % eff)
    nl = NL()
    for cmd in CHANGING:
        name = CMD_NAME[cmd]
        # a request that root would have carried out
        expect("unpriv: %s refused without CAP_NET_ADMIN" % name, cmd,
               valid_payload(cmd), EPERM, anymsg=False, nl=nl)
        expect("unpriv: %s refused on a socket opened with it" % name, cmd,
               valid_payload(cmd), EPERM, anymsg=False, nl=early)
    expect("unpriv: LOC_FLUSH refused even when it has nothing to do",
           LOC_FLUSH, b"", EPERM, anymsg=False, nl=nl)
    r = expect("unpriv: LOC_GET works", LOC_GET, aor("priv@h"), nl=nl)
    check("unpriv: LOC_GET shows root's entry",
          r is not None and len(r.msgs) == 1)
    expect("unpriv: ALIAS_GET works", ALIAS_GET, aor("priv@h"), nl=nl)
    expect("unpriv: ROUTE_GET works", ROUTE_GET, domain("priv.test"), nl=nl)
    for cmd in DUMPABLE:
        d = dump_names(cmd, nl)
        check("unpriv: %s dump works" % CMD_NAME[cmd], d is not None and
              len(d) == 1, repr(d))
    expect("unpriv: CONFIG_GET works", CONFIG_GET, nl=nl)
    expect("unpriv: STATS_GET works", STATS_GET, nl=nl)
    # nothing was changed by the refused requests
    try:
        c = config_get(nl)
        check("unpriv: the refused requests changed nothing",
              c[CF_ENTRIES] == 1 and dump_names(LOC_GET, nl) == ["priv@h"]
              and dump_names(ALIAS_GET, nl) == ["priv@h"], repr(c))
    except (OSError, Malformed, NlError) as e:
        check("unpriv: the refused requests changed nothing", False, e)


def t_unpriv():
    ok_("unpriv: (setup) root adds an AOR", LOC_ADD,
        aor("priv@h") + contact())
    ok_("unpriv: (setup) an alias", ALIAS_ADD,
        aor("priv@h") + strz(A_TARGET, "priv2@h"))
    ok_("unpriv: (setup) a route", ROUTE_ADD, domain("priv.test") + nexthop())
    in_child(unpriv)
    ok_("unpriv: (cleanup) flush", LOC_FLUSH)
    ok_("unpriv: (cleanup) alias", ALIAS_DEL, aor("priv@h"))
    ok_("unpriv: (cleanup) route", ROUTE_DEL, domain("priv.test"))


def netns():
    if libc().unshare(CLONE_NEWNET):
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET)")
    nl = NL()
    expect("netns: the parent's AOR is not seen in a new namespace", LOC_GET,
           aor("ns@h"), ENOENT, nl=nl)
    try:
        check("netns: a new namespace starts with the defaults",
              config_get(nl)[CF_MAX_ENTRIES] == DEFAULT_MAX_ENTRIES and
              config_get(nl)[CF_ENTRIES] == 0)
    except (OSError, Malformed, NlError) as e:
        check("netns: a new namespace starts with the defaults", False, e)
    expect("netns: add in the new namespace", LOC_ADD,
           aor("ns@h") + contact(uri="sip:child@192.0.2.7"), nl=nl)
    expect("netns: alias in the new namespace", ALIAS_ADD,
           aor("nsa@h") + strz(A_TARGET, "ns@h"), nl=nl)
    expect("netns: route in the new namespace", ROUTE_ADD,
           domain("ns.test") + nexthop(), nl=nl)
    expect("netns: config in the new namespace", CONFIG_SET,
           config(u32(CF_MAX_ENTRIES, 10)), nl=nl)
    # exits with entries: the namespace's tables go with it


def userns():
    if libc().unshare(CLONE_NEWUSER | CLONE_NEWNET):
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWUSER)")
    nl = NL()
    expect("userns: LOC_ADD by a user namespace's root refused "
           "(GENL_ADMIN_PERM)", LOC_ADD, aor("u@h") + contact(), EPERM,
           anymsg=False, nl=nl)
    expect("userns: CONFIG_SET refused too", CONFIG_SET,
           valid_payload(CONFIG_SET), EPERM, anymsg=False, nl=nl)
    expect("userns: LOC_GET works", LOC_GET, aor("u@h"), ENOENT, nl=nl)
    expect("userns: CONFIG_GET works", CONFIG_GET, nl=nl)


def t_netns():
    ok_("netns: (setup) the parent's AOR", LOC_ADD,
        aor("ns@h") + contact(uri="sip:parent@192.0.2.1"))
    in_child(netns)
    r = ok_("netns: the parent's entry is untouched", LOC_GET, aor("ns@h"))
    if r and r.msgs:
        check("netns: the child's contact did not leak in",
              [get_str(amap(c)[C_URI][0]) for c in
               r.msgs[0].attrs.get(A_CONTACT, [])] ==
              ["sip:parent@192.0.2.1"])
    try:
        check("netns: the child's config did not leak in",
              config_get()[CF_MAX_ENTRIES] == DEFAULT_MAX_ENTRIES)
    except (OSError, Malformed, NlError) as e:
        check("netns: the child's config did not leak in", False, e)
    ok_("netns: (cleanup)", LOC_DEL, aor("ns@h"))
    in_child(userns)


# ---- main ----

def main():
    global NLS
    race_secs = 8.0
    args = sys.argv[1:]
    if args[:1] == ["--race-seconds"]:
        race_secs = float(args[1])
    try:
        NLS = NL()
    except (OSError, NlError, Malformed) as e:
        print("FAIL family: resolve %s: %s" % (SIPK_GENL_NAME, e), flush=True)
        return 2
    t_family()
    # a state to start from: empty tables (this namespace is ours)
    ok_("setup: flush the location table", LOC_FLUSH)
    for cmd, key in ((ALIAS_GET, A_AOR), (ROUTE_GET, A_DOMAIN)):
        for nm in dump_names(cmd) or []:
            NLS.request(cmd - 1, strz(key, nm))
    ev = event_socket(NLS)
    t0 = time.time()
    ok_("setup: a contact that expires in 1 s", LOC_ADD,
        aor("exp@h") + contact(uri="sip:exp@192.0.2.1", expires=1))
    # nothing below changes a table until the contact has expired
    for cmd in sorted(CMD_NAME):
        t_generic(cmd)
    t_events(ev, t0)
    t_stats(t0)
    ev.close()
    t_loc_roundtrip()
    t_loc_add()
    t_loc_del()
    t_loc_get()
    t_alias()
    t_route()
    t_loc_flush()
    t_config()
    t_unpriv()
    t_netns()
    t_dump_intr()
    t_race(race_secs)
    for cmd in DUMPABLE:
        d = dump_names(cmd)
        check("end: %s is empty" % CMD_NAME[cmd], d == [], repr(d))
    diag("nltest: %d passed, %d failed" % (R.passed, R.failed))
    return 1 if R.failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:		# a bug here, not in the kernel: say where
        import traceback
        diag(traceback.format_exc())
        sys.exit(3)
