#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
bench/report.py - the benchmark's raw results (bench/lib/vm_main.sh) as a
markdown table, JSON and a gnuplot script for the rate-vs-load plot.

  report.py --raw DIR --out DIR      write latest.md, latest.json,
                                     rate_vs_load.dat, rate_vs_load.gp
  report.py --check latest.json SYS  one line for the smoke test; exit 0
                                     when SYS delivered valid messages

Definitions (Documentation/performance.rst explains them):
  peak rate        the highest delivered rate (valid requests/s at the uas)
                   over every requests-only run at 1 k entries
  proxy CPU        the vCPU that runs the proxy namespace (RPS for its veths,
                   Kamailio pinned there).  guest: its busy time = wall - idle
                   from /proc/stat (nohz idle accounting); host: the run time
                   of its QEMU thread (schedstat, bench/lib/hostmon.py)
  CPU/msg          (proxy CPU at the fixed load - proxy CPU idle, scaled to
                   the same wall time) / messages delivered; median of rounds;
                   at saturation: proxy CPU / messages delivered
  added latency    p50/p99 one-way latency (send() to the kernel receive
                   timestamp at the sink) minus the baseline's (one hop, no
                   proxy); medians of rounds
"""
import argparse
import glob
import json
import math
import os
import re
import statistics
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def median(xs):
    xs = [x for x in xs if x is not None and not (isinstance(x, float) and math.isnan(x))]
    return statistics.median(xs) if xs else None


class Raw:
    def __init__(self, d):
        self.d = d

    def run(self, name):
        """(send, sink) JSON of one run, None when missing."""
        s = load(os.path.join(self.d, name + '.send.json'))
        k = load(os.path.join(self.d, name + '.sink.json'))
        if s is None or k is None:
            return None
        return s, k

    def names(self, pattern):
        out = []
        for p in sorted(glob.glob(os.path.join(self.d, pattern + '.sink.json'))):
            out.append(os.path.basename(p)[:-len('.sink.json')])
        return out


def proxy_busy(send, cpu):
    pc = send['cpu']['per_cpu']
    return pc[cpu]['busy_s'] if cpu < len(pc) else None


def host_map(rawdir, ncpu):
    """vCPU index -> QEMU thread id, from the calibration busy loops."""
    m = {}
    for c in range(ncpu):
        a = load(os.path.join(rawdir, f'calib__cpu{c}.0.host.json'))
        b = load(os.path.join(rawdir, f'calib__cpu{c}.1.host.json'))
        if not a or not b:
            return None
        d = {t: b['threads'][t] - a['threads'].get(t, 0) for t in b['threads']}
        if len(d) < 2:
            return None
        ranked = sorted(d, key=d.get, reverse=True)
        # the loop ran 1.5 s: its vCPU must stand out clearly
        if d[ranked[0]] < 0.3e9 or d[ranked[0]] < 1.5 * d[ranked[1]]:
            return None
        m[c] = ranked[0]
    return m if len(set(m.values())) == ncpu else None


def host_rate(rawdir, name, tid):
    """Host CPU-seconds per second of thread tid over a run's window."""
    a = load(os.path.join(rawdir, f'{name}.h0.host.json'))
    b = load(os.path.join(rawdir, f'{name}.h1.host.json'))
    if not a or not b or tid not in b['threads'] or tid not in a['threads'] or b['t'] <= a['t']:
        return None
    return (b['threads'][tid] - a['threads'][tid]) / (b['t'] - a['t'])


def host_cpu_per_msg(raw, fixed, idle, tid):
    """Host CPU microseconds per delivered message on the proxy vCPU."""
    f = raw.run(fixed)
    if not f or tid is None:
        return None
    rf = host_rate(raw.d, fixed, tid)
    ri = host_rate(raw.d, idle, tid) if idle else 0
    if rf is None or ri is None:
        return None
    fs, fk = f
    msgs = fk['window_valid'] + fs.get('responses', {}).get('window_valid', 0)
    if msgs <= 0:
        return None
    return max(rf - ri, 0) * fs['window_s'] / msgs * 1e6


def cpu_per_msg(raw, fixed, idle, cpu):
    """Proxy-CPU and whole-machine CPU microseconds per delivered message."""
    f = raw.run(fixed)
    i = raw.run(idle)
    if not f or not i:
        return None, None
    fs, fk = f
    is_, _ = i
    msgs = fk['window_valid'] + (fs.get('responses', {}).get('window_valid', 0))
    if msgs <= 0:
        return None, None
    scale = fs['cpu']['wall_s'] / is_['cpu']['wall_s'] if is_['cpu']['wall_s'] else 1
    bp = proxy_busy(fs, cpu) - proxy_busy(is_, cpu) * scale
    ba = fs['cpu']['all']['busy_s'] - is_['cpu']['all']['busy_s'] * scale
    return max(bp, 0) / msgs * 1e6, max(ba, 0) / msgs * 1e6


def fmt(v, nd=0, unit=''):
    if v is None:
        return 'n/a'
    if isinstance(v, float) and nd == 0:
        return f'{v:,.0f}{unit}'
    return f'{v:,.{nd}f}{unit}'


def build(rawdir):
    raw = Raw(rawdir)
    vm = load(os.path.join(rawdir, 'vm.json')) or {}
    host = load(os.path.join(rawdir, 'host.json')) or {}
    end = load(os.path.join(rawdir, 'end.json')) or {}
    ld = load(os.path.join(rawdir, 'load.json')) or {}
    cpu = vm.get('cpu_proxy', 1)
    systems = [s for s in vm.get('systems', '').split() if s]
    hmap = host_map(rawdir, vm.get('nproc', 0) or 0)
    ptid = hmap.get(cpu) if hmap else None
    rounds = vm.get('rounds', 1)
    errors = []
    ep = os.path.join(rawdir, 'errors.jsonl')
    if os.path.exists(ep):
        errors = [json.loads(l) for l in open(ep) if l.strip()]

    res = {
        'meta': {**host, **{k: vm.get(k) for k in (
            'kernel', 'nproc', 'cpu_model', 'mem_kb', 'cpu_tx', 'cpu_proxy',
            'cpu_rx', 'quick', 'rounds', 'dur_s', 'sipp', 'kamailio')},
            'elapsed_s': end.get('elapsed_s'), 'vm_exit': end.get('vm_exit'),
            'loadavg_end': end.get('loadavg_end')},
        'fixed_load': ld.get('load'),
        'generator_max': ld.get('smax'),
        'host_accounting': hmap is not None,
        'systems': {},
        'ladder': {},
        'scale': {},
        'errors': errors,
    }

    # baseline: the reference for latency and the generator's own limit
    base_lat50, base_lat99, base_cpu, base_hcpu = [], [], [], []
    for r in range(1, rounds + 1):
        b = raw.run(f'fixed__baseline__{r}')
        if b:
            base_lat50.append(b[1]['latency']['p50_us'])
            base_lat99.append(b[1]['latency']['p99_us'])
        c, _ = cpu_per_msg(raw, f'fixed__baseline__{r}', f'idle__baseline__{r}', cpu)
        base_cpu.append(c)
        base_hcpu.append(host_cpu_per_msg(raw, f'fixed__baseline__{r}', f'idle__baseline__{r}', ptid))
    cals = [raw.run(n) for n in ('cal__baseline__sat', 'cal__baseline__sat2')]
    cals = [c for c in cals if c]
    cal = max(cals, key=lambda c: c[1]['rate']) if cals else None
    res['baseline'] = {
        'desc': 'no proxy: one hop to a sink in the proxy namespace',
        'generator_rate': cal[1]['rate'] if cal else None,
        'latency_p50_us': median(base_lat50),
        'latency_p99_us': median(base_lat99),
        'rx_cpu_per_msg_us': median(base_cpu),
        'rx_host_cpu_per_msg_us': median(base_hcpu),
    }

    for s in systems:
        meta = load(os.path.join(rawdir, f'sys__{s}.json')) or {}
        e = {'desc': meta.get('desc', s)}
        # ladder and peak
        pts = []
        best = None
        for n in raw.names(f'ladder__{s}__*') + raw.names(f'sat__{s}__*'):
            sk = raw.run(n)
            if not sk:
                continue
            snd, snk = sk
            util = proxy_busy(snd, cpu) / snd['cpu']['wall_s'] if snd['cpu']['wall_s'] else None
            hr = host_rate(rawdir, n, ptid) if ptid else None
            p = {'run': n, 'offered': snd['offered'], 'delivered': snk['rate'],
                 'proxy_host_cpu': hr,
                 'msgs_per_host_cpu_s': snk['rate'] / hr if hr else None,
                 'invalid': snk['invalid'], 'proxy_util': util,
                 'p50_us': snk['latency']['p50_us'], 'p99_us': snk['latency']['p99_us']}
            pts.append(p)
            if best is None or p['delivered'] > best['delivered']:
                best = p
        pts.sort(key=lambda p: p['offered'])
        res['ladder'][s] = pts
        sats = [raw.run(f'sat__{s}__{r}') for r in range(1, rounds + 1)]
        sat_rates = [x[1]['rate'] for x in sats if x]
        e['peak_rate'] = best['delivered'] if best else None
        e['peak_proxy_util'] = best['proxy_util'] if best else None
        e['peak_bound'] = (None if not best or best['proxy_util'] is None else
                           'proxy CPU' if best['proxy_util'] >= 0.9 else 'load generator')
        e['sat_rate_median'] = median(sat_rates)
        e['sat_rates'] = sat_rates
        # requests and responses
        rr = raw.run(f'resp__{s}__max')
        if rr:
            snd, snk = rr
            e['resp_run'] = {'requests': snk['rate'],
                             'responses': snd.get('responses', {}).get('rate'),
                             'invalid': snk['invalid'] + snd.get('responses', {}).get('invalid', 0)}
        # fixed load: CPU and latency
        cp, ca, ch, l50, l99, inval, deliv = [], [], [], [], [], 0, []
        for r in range(1, rounds + 1):
            c1, c2 = cpu_per_msg(raw, f'fixed__{s}__{r}', f'idle__{s}__{r}', cpu)
            cp.append(c1)
            ca.append(c2)
            ch.append(host_cpu_per_msg(raw, f'fixed__{s}__{r}', f'idle__{s}__{r}', ptid))
            f = raw.run(f'fixed__{s}__{r}')
            if f:
                l50.append(f[1]['latency']['p50_us'])
                l99.append(f[1]['latency']['p99_us'])
                inval += f[1]['invalid']
                deliv.append(f[1]['rate'])
        e['cpu_per_msg_us'] = median(cp)
        e['cpu_per_msg_rounds'] = cp
        e['machine_cpu_per_msg_us'] = median(ca)
        e['host_cpu_per_msg_us'] = median(ch)
        e['host_cpu_per_msg_rounds'] = ch
        # net of what it costs the proxy CPU to receive a packet at all
        # (the baseline: a socket in the proxy namespace, same load)
        bh = res['baseline'].get('rx_host_cpu_per_msg_us')
        e['net_host_cpu_per_msg_us'] = (max(e['host_cpu_per_msg_us'] - bh, 0)
                                        if e['host_cpu_per_msg_us'] is not None and bh is not None else None)
        # at saturation: the proxy vCPU's busy time per message, and the
        # host's (messages per host CPU-second of the proxy vCPU)
        satc, sath = [], []
        for r in range(1, rounds + 1):
            sk = raw.run(f'sat__{s}__{r}')
            if sk and sk[1]['window_valid']:
                satc.append(proxy_busy(sk[0], cpu) / sk[1]['window_valid'] * 1e6)
                hr = host_rate(rawdir, f'sat__{s}__{r}', ptid) if ptid else None
                if hr:
                    sath.append(hr * sk[0]['window_s'] / sk[1]['window_valid'] * 1e6)
        e['sat_cpu_per_msg_us'] = median(satc)
        e['sat_host_cpu_per_msg_us'] = median(sath)
        # what one CPU of its own would deliver at saturation: messages per
        # second of host CPU the proxy vCPU really got (contention-proof)
        e['sat_rate_per_cpu'] = 1e6 / e['sat_host_cpu_per_msg_us'] if e['sat_host_cpu_per_msg_us'] else None
        e['fixed_delivered'] = median(deliv)
        e['latency_p50_us'] = median(l50)
        e['latency_p99_us'] = median(l99)
        bl50, bl99 = res['baseline']['latency_p50_us'], res['baseline']['latency_p99_us']
        e['added_p50_us'] = e['latency_p50_us'] - bl50 if e['latency_p50_us'] is not None and bl50 is not None else None
        e['added_p99_us'] = e['latency_p99_us'] - bl99 if e['latency_p99_us'] is not None and bl99 is not None else None
        e['capacity_per_cpu'] = 1e6 / e['cpu_per_msg_us'] if e['cpu_per_msg_us'] else None
        # every run: how many invalid messages the sink saw
        tot_valid = tot_invalid = 0
        for n in raw.names(f'*__{s}__*'):
            sk = raw.run(n)
            if sk:
                tot_valid += sk[1]['valid']
                tot_invalid += sk[1]['invalid']
        e['valid_total'] = tot_valid
        e['invalid_total'] = tot_invalid
        # SIPp
        runs = []
        for p in glob.glob(os.path.join(rawdir, f'sipp__{s}__r*.json')):
            j = load(p)
            if j:
                j['pass'] = (j['failed'] * 1000 < j['successful'] + j['failed'] and
                             j['successful'] + j['failed'] >= j['calls'] and
                             j['call_rate'] >= 0.9 * j['rate'])
                runs.append(j)
        runs.sort(key=lambda j: j['rate'])
        passed = [j for j in runs if j['pass']]
        e['sipp_runs'] = runs
        e['sipp_max_cps'] = max((j['rate'] for j in passed), default=None)
        e['sipp_limited'] = bool(runs) and all(j['pass'] for j in runs)
        stats = load(os.path.join(rawdir, f'stats__{s}__ladder.json'))
        if stats:
            e['counters'] = stats
        res['systems'][s] = e

    # scale
    for p in sorted(glob.glob(os.path.join(rawdir, 'bulk__*.json'))):
        j = load(p)
        if not j:
            continue
        s, n = j['system'], j['entries']
        m0 = memfile(os.path.join(rawdir, f'mem__{s}__0.txt'))
        mn = memfile(os.path.join(rawdir, f'mem__{s}__{n}.txt'))
        row = {'entries': n, 'loaded': j['loaded'],
               'bulk_rate': j['loaded'] / (j['ns'] / 1e9) if j['ns'] else None,
               'bulk_exit': j['exit']}
        if m0 and mn:
            kb = lambda m: m.get('SUnreclaim', 0) + m.get('VmallocUsed', 0)
            row['kmem_bytes_per_entry'] = (kb(mn) - kb(m0)) * 1024 / n
            row['slab_bytes_per_entry'] = (mn.get('SUnreclaim', 0) - m0.get('SUnreclaim', 0)) * 1024 / n
            row['vmalloc_bytes_per_entry'] = (mn.get('VmallocUsed', 0) - m0.get('VmallocUsed', 0)) * 1024 / n
            # the slab caches that grew by more than 8 bytes per entry
            grew = {k[5:]: (mn[k] - m0.get(k, 0)) / n for k in mn
                    if k.startswith('slab:') and mn[k] - m0.get(k, 0) > 8 * n}
            row['slab_caches_per_entry'] = grew
        sat = raw.run(f'scale__{s}__{n}__sat')
        if sat:
            row['sat_rate'] = sat[1]['rate']
            row['sat_proxy_util'] = proxy_busy(sat[0], cpu) / sat[0]['cpu']['wall_s']
        cs = [cpu_per_msg(raw, f'scale__{s}__{n}__{k}', f'scale__{s}__{n}__idle', cpu)[0]
              for k in ('fixed', 'fixed2')]
        row['cpu_per_msg_us'] = median(cs)
        row['cpu_per_msg_runs'] = cs
        hs = [host_cpu_per_msg(raw, f'scale__{s}__{n}__{k}', f'scale__{s}__{n}__idle', ptid)
              for k in ('fixed', 'fixed2')]
        row['host_cpu_per_msg_us'] = median(hs)
        if sat and ptid:
            hr = host_rate(rawdir, f'scale__{s}__{n}__sat', ptid)
            row['sat_host_cpu_per_msg_us'] = (hr * sat[0]['window_s'] / sat[1]['window_valid'] * 1e6
                                              if hr and sat[1]['window_valid'] else None)
            row['sat_cpu_per_msg_us'] = (proxy_busy(sat[0], cpu) / sat[1]['window_valid'] * 1e6
                                         if sat[1]['window_valid'] else None)
        f = raw.run(f'scale__{s}__{n}__fixed')
        if f:
            row['latency_p50_us'] = f[1]['latency']['p50_us']
            row['invalid'] = f[1]['invalid']
        res['scale'].setdefault(s, []).append(row)
    for s, rows in res['scale'].items():
        rows.sort(key=lambda r: r['entries'])
        for key in ('cpu_per_msg_us', 'host_cpu_per_msg_us', 'sat_cpu_per_msg_us',
                    'sat_host_cpu_per_msg_us'):
            base = rows[0].get(key) if rows else None
            for r in rows:
                c = r.get(key)
                r[key.replace('_us', '') + '_vs_smallest'] = c / base if c and base else None
        for r in rows:
            r['cpu_vs_smallest'] = r.get('cpu_per_msg_vs_smallest')

    res['register'] = registrations(rawdir)
    res['tcg'] = tcg_factor(rawdir)
    res['targets'] = targets(res)
    return res


def registrations(rawdir):
    """REGISTERs/s per registrar, without (auth 0) and with digest auth (1)."""
    out = {}
    for p in sorted(glob.glob(os.path.join(rawdir, 'reg__*__a*__*.json'))):
        m = re.match(r'reg__(.+)__a([01])__(\d+)\.json$', os.path.basename(p))
        j = load(p)
        if not m or not j:
            continue
        e = out.setdefault(m.group(1), {}).setdefault(f'auth{m.group(2)}', {'runs': []})
        e['runs'].append(j)
    for s, d in out.items():
        for k, e in d.items():
            good = [j for j in e['runs'] if j.get('ok') == j.get('aors')]
            e['aors'] = max((j.get('aors', 0) for j in e['runs']), default=0)
            e['complete_runs'] = len(good)
            e['rate'] = median([j['rate'] for j in good]) if good else None
            e['requests_per_s'] = (median([j['requests'] / j['seconds'] for j in good
                                           if j.get('seconds')]) if good else None)
            e['failed'] = sum(j.get('failed', 0) for j in e['runs'])
            e['retransmissions'] = sum(j.get('retransmissions', 0) for j in e['runs'])
    return out


def memfile(path):
    try:
        out = {}
        for line in open(path):
            k, v = line.split(':', 1) if not line.startswith('slab:') else \
                (line.rsplit(':', 1)[0], line.rsplit(':', 1)[1])
            out[k.strip()] = float(v.split()[0])
        return out
    except OSError:
        return None


def tcg_factor(rawdir):
    """How much slower the SIP core's parser runs in the VM than on the host."""
    def parse_ns(path):
        try:
            m = re.search(r'parse (\d+) ns', open(path).read())
            return float(m.group(1)) if m else None
        except OSError:
            return None
    v, h = parse_ns(os.path.join(rawdir, 'coreprof.vm.txt')), parse_ns(os.path.join(rawdir, 'coreprof.host.txt'))
    return {'vm_parse_ns': v, 'host_parse_ns': h, 'factor': v / h if v and h else None}


def targets(res):
    S = res['systems']
    t = []

    def ratio(a, b):
        return a / b if a and b else None

    sk, km, ip = S.get('sipk', {}), S.get('kamailio', {}), S.get('ipfwd', {})
    v = ratio(sk.get('sat_rate_per_cpu'), km.get('sat_rate_per_cpu'))
    p = ratio(sk.get('peak_rate'), km.get('peak_rate'))
    t.append({'target': 'sipk delivered rate >= 10x Kamailio', 'value': v, 'want': '>= 10',
              'met': v is not None and v >= 10, 'unit': 'x',
              'note': ('delivered at saturation per second of proxy CPU (host)'
                       + (f'; peak delivered, wall clock: {p:.1f}x' if p else ''))})
    v = ratio(sk.get('sat_rate_per_cpu'), ip.get('sat_rate_per_cpu'))
    p = ratio(sk.get('peak_rate'), ip.get('peak_rate'))
    note = ['delivered at saturation per second of proxy CPU (host)']
    if p:
        note.append(f'peak delivered, wall clock: {p:.2f}x'
                    + (' (IP forwarding bound by the load generator)'
                       if ip.get('peak_bound') == 'load generator' else ''))
    t.append({'target': 'sipk delivered rate >= 0.7x plain IP forwarding', 'value': v,
              'want': '>= 0.7', 'met': v is not None and v >= 0.7, 'unit': 'x',
              'note': '; '.join(note)})
    v = ratio(km.get('net_host_cpu_per_msg_us'), sk.get('net_host_cpu_per_msg_us'))
    raw_h = ratio(km.get('host_cpu_per_msg_us'), sk.get('host_cpu_per_msg_us'))
    g = ratio(km.get('cpu_per_msg_us'), sk.get('cpu_per_msg_us'))
    c = ratio(km.get('sat_host_cpu_per_msg_us'), sk.get('sat_host_cpu_per_msg_us'))
    note = ['host CPU at the fixed load minus the baseline\'s (receiving a packet at all)']
    if raw_h:
        note.append(f'without that subtraction: {raw_h:.1f}x')
    if g:
        note.append(f'guest /proc/stat: {g:.1f}x')
    if c:
        note.append(f'at saturation (host): {c:.1f}x')
    t.append({'target': 'sipk CPU per message <= 1/10 of Kamailio', 'value': v,
              'want': 'Kamailio/sipk >= 10', 'met': v is not None and v >= 10, 'unit': 'x',
              'note': '; '.join(note)})
    sd = S.get('sipkd', {})
    if sd and km:
        v = ratio(sd.get('sat_rate_per_cpu'), km.get('sat_rate_per_cpu'))
        p = ratio(sd.get('peak_rate'), km.get('peak_rate'))
        t.append({'target': 'sipkd alone (no module) forwards >= Kamailio', 'value': v,
                  'want': '>= 1', 'met': v is not None and v >= 1, 'unit': 'x',
                  'note': ('delivered at saturation per second of proxy CPU (host)'
                           + (f'; peak delivered, wall clock: {p:.2f}x' if p else ''))})
    R = res.get('register', {})
    for a, what in (('auth0', 'no auth'), ('auth1', 'digest auth')):
        x = R.get('sipkd', {}).get(a, {}).get('rate')
        y = R.get('kamailio', {}).get(a, {}).get('rate')
        if 'sipkd' in R and 'kamailio' in R:
            v = ratio(x, y)
            t.append({'target': f'sipkd registrations/s >= Kamailio ({what})', 'value': v,
                      'want': '>= 1', 'met': v is not None and v >= 1, 'unit': 'x',
                      'note': f'sipkd {fmt(x)}/s, Kamailio {fmt(y)}/s (median over rounds, wall clock)'})
    rows = res['scale'].get('sipk', [])
    big = [r for r in rows if r['entries'] >= 1000000]
    small = [r for r in rows if r['entries'] == 1000]
    if big and small:
        b = big[-1]
        v = b.get('host_cpu_per_msg_vs_smallest')
        note = []
        if b.get('cpu_per_msg_vs_smallest'):
            note.append(f"guest /proc/stat: {b['cpu_per_msg_vs_smallest']:.2f}x")
        if b.get('sat_host_cpu_per_msg_vs_smallest'):
            note.append(f"at saturation (host): {b['sat_host_cpu_per_msg_vs_smallest']:.2f}x")
        t.append({'target': 'sipk 1 M entries: cost per message within 1.3x of 1 k', 'value': v,
                  'want': '<= 1.3', 'met': v is not None and v <= 1.3, 'unit': 'x',
                  'note': '; '.join(note) or None})
        v = b.get('kmem_bytes_per_entry')
        t.append({'target': 'sipk kernel memory per single-contact entry <= 256 bytes',
                  'value': v, 'want': '<= 256', 'met': v is not None and v <= 256, 'unit': 'B',
                  'note': 'unreclaimable slab + vmalloc (rhashtable buckets) at 1 M entries'})
        v = b.get('bulk_rate')
        f = res.get('tcg', {}).get('factor')
        t.append({'target': 'sipkctl -b bulk load >= 100 k entries/s', 'value': v,
                  'want': '>= 100000', 'met': v is not None and v >= 100000, 'unit': '/s',
                  'note': (f'in TCG; x {f:.1f} (the TCG factor of the SIP core) ~ {v * f:,.0f}/s natively, an estimate'
                           if v and f else 'in TCG')})
    return t


def markdown(res):
    m = res['meta']
    S = res['systems']
    L = []
    L.append('# sipk benchmark: latest results\n')
    L.append(f"- command: `{m.get('command', 'make bench')}` "
             f"({'quick pass' if m.get('quick') else 'full run'}, "
             f"{m.get('rounds')} round(s), {fmt(m.get('elapsed_s'))} s)")
    L.append(f"- commit `{m.get('commit')}`, module sha1 {m.get('module_sha1')}, {m.get('date')}")
    L.append(f"- machine: {m.get('host_nproc')} CPUs ({m.get('host_cpu')}), "
             f"{fmt(m.get('host_mem_mb'))} MB, kernel {m.get('host_kernel')}; "
             f"load average {m.get('loadavg_start')} at start, {m.get('loadavg_end')} at end")
    tf = res.get('tcg', {}).get('factor')
    L.append(f"- VM: kernel {m.get('kernel')} under QEMU TCG, {m.get('nproc')} vCPUs "
             f"(sender on CPU {m.get('cpu_tx')}, proxy on CPU {m.get('cpu_proxy')}, "
             f"sink on CPU {m.get('cpu_rx')}); TCG factor (SIP parser, VM vs host): "
             f"{fmt(tf, 1)}x; {m.get('sipp')}, Kamailio {m.get('kamailio')}")
    L.append(f"- load generator limit (one hop, no proxy): "
             f"{fmt(res['baseline'].get('generator_rate'))} msgs/s; fixed offered load: "
             f"{fmt(res.get('fixed_load'))} msgs/s; messages: INVITE with SDP "
             f"(607 octets), Request-URIs spread over 1 k location entries")
    L.append('')
    L.append('Absolute numbers come from an emulated CPU shared with whatever else '
             'the host runs: compare the systems with each other, not with hardware. '
             '"host" CPU is the run time of the proxy vCPU\'s QEMU thread (host '
             'schedstat), "guest" CPU is that vCPU\'s busy time in /proc/stat.\n')
    L.append('| system | peak delivered (req/s) | bound by | req + resp at saturation (msgs/s) '
             '| proxy CPU per msg at the fixed load, host (guest) (us) '
             '| same, minus the baseline, host (us) '
             '| proxy CPU per msg at saturation, host (us) '
             '| delivered at saturation per proxy CPU-second (msgs) '
             '| added latency p50 / p99 (us) | SIPp calls/s (< 0.1 % failed) |')
    L.append('|---|---:|---|---:|---:|---:|---:|---:|---:|---:|')
    for s, e in S.items():
        rr = e.get('resp_run') or {}
        both = (rr.get('requests') or 0) + (rr.get('responses') or 0) if rr else None
        sipp = fmt(e.get('sipp_max_cps'))
        if e.get('sipp_limited') and e.get('sipp_max_cps'):
            sipp = '>= ' + sipp
        util = e.get('peak_proxy_util')
        L.append(f"| {s}: {e['desc']} | {fmt(e.get('peak_rate'))} | "
                 f"{e.get('peak_bound') or 'n/a'} ({fmt(100 * util if util is not None else None)} % proxy CPU) | "
                 f"{fmt(both)} ({fmt(rr.get('requests'))} + {fmt(rr.get('responses'))}) | "
                 f"{fmt(e.get('host_cpu_per_msg_us'), 1)} ({fmt(e.get('cpu_per_msg_us'), 1)}) | "
                 f"{fmt(e.get('net_host_cpu_per_msg_us'), 1)} | "
                 f"{fmt(e.get('sat_host_cpu_per_msg_us'), 1)} | {fmt(e.get('sat_rate_per_cpu'))} | "
                 f"{fmt(e.get('added_p50_us'))} / {fmt(e.get('added_p99_us'))} | {sipp} |")
    b = res['baseline']
    L.append(f"| baseline: {b['desc']} | {fmt(b.get('generator_rate'))} | load generator | | "
             f"{fmt(b.get('rx_host_cpu_per_msg_us'), 1)} ({fmt(b.get('rx_cpu_per_msg_us'), 1)}) receive only | | | | "
             f"{fmt(b.get('latency_p50_us'))} / {fmt(b.get('latency_p99_us'))} (absolute) | |")
    L.append('')
    if res['scale']:
        L.append('## Location table size\n')
        L.append('| system | entries | bulk load, TCG (entries/s) | kernel memory per entry (B) '
                 '| slab caches grown (B/entry) | peak delivered (req/s) '
                 '| proxy CPU per msg at the fixed load, host (guest) (us) | vs 1 k '
                 '| at saturation, host (us) | vs 1 k |')
        L.append('|---|---:|---:|---:|---|---:|---:|---:|---:|---:|')
        for s, rows in res['scale'].items():
            for r in rows:
                caches = ', '.join(f'{k} {v:.0f}' for k, v in
                                   sorted((r.get('slab_caches_per_entry') or {}).items()))
                L.append(f"| {s} | {r['entries']:,} | {fmt(r.get('bulk_rate'))} | "
                         f"{fmt(r.get('kmem_bytes_per_entry'))} | {caches or 'n/a'} | "
                         f"{fmt(r.get('sat_rate'))} | {fmt(r.get('host_cpu_per_msg_us'), 1)} "
                         f"({fmt(r.get('cpu_per_msg_us'), 1)}) | "
                         f"{fmt(r.get('host_cpu_per_msg_vs_smallest'), 2)} | "
                         f"{fmt(r.get('sat_host_cpu_per_msg_us'), 1)} | "
                         f"{fmt(r.get('sat_host_cpu_per_msg_vs_smallest'), 2)} |")
        L.append('')
    L += register_md(res)
    L.append('## Targets\n')
    L.append('| target | measured | met | notes |')
    L.append('|---|---:|---|---|')
    for t in res['targets']:
        v = t['value']
        if v is None:
            val = 'n/a'
        elif t['unit'] == 'x':
            val = f'{v:.2f}x'
        elif t['unit'] == 'B':
            val = f'{v:.0f} B'
        else:
            val = f'{v:,.0f}{t["unit"]}'
        L.append(f"| {t['target']} | {val} | {'yes' if t['met'] else '**no**'} | {t.get('note') or ''} |")
    L.append('')
    L.append('## Rate vs offered load (1 k entries)\n')
    L.append('| system | offered (msgs/s) | delivered (req/s) | proxy CPU, guest | proxy CPU, host | p50 / p99 latency (us) |')
    L.append('|---|---:|---:|---:|---:|---:|')
    for s, pts in res['ladder'].items():
        for p in pts:
            L.append(f"| {s} | {fmt(p['offered'])} | {fmt(p['delivered'])} | "
                     f"{fmt(100 * p['proxy_util'] if p['proxy_util'] is not None else None)} % | "
                     f"{fmt(100 * p['proxy_host_cpu'] if p.get('proxy_host_cpu') is not None else None)} % | "
                     f"{fmt(p['p50_us'])} / {fmt(p['p99_us'])} |")
    L.append('')
    inv = {s: e.get('invalid_total') for s, e in S.items()}
    L.append('Every message the sinks counted was parsed by the SIP core and checked to '
             'have gone through the proxy (Via, Max-Forwards, retargeted Request-URI, '
             f"source); invalid messages over all runs: {inv}.")
    if res['errors']:
        L.append(f"\nErrors during the run: {res['errors']}")
    return '\n'.join(L) + '\n'


REG_NOTE = ('Distinct AORs, at most 200 REGISTERs unanswered, from one load generator '
            '(sipload register); with digest auth the generator answers each 401 '
            '(MD5, qop=auth), so a registration is two requests.  sipkd writes every '
            'binding to its SQLite database (WAL, synchronous = FULL; tmpfs in the VM) '
            'before its 200; Kamailio keeps them in memory only (usrloc db_mode 0).')


def register_rows(res):
    rows = []
    for s, d in res.get('register', {}).items():
        for a, what in (('auth0', 'no'), ('auth1', 'digest (MD5)')):
            e = d.get(a)
            if not e:
                continue
            rows.append([s, what, f"{e.get('aors', 0):,}", fmt(e.get('rate')),
                         fmt(e.get('requests_per_s')),
                         f"{e.get('complete_runs')}/{len(e.get('runs', []))}",
                         f"{e.get('failed')} / {e.get('retransmissions')}"])
    return rows


def register_md(res):
    rows = register_rows(res)
    if not rows:
        return []
    L = ['## Registration\n', REG_NOTE + '\n',
         '| registrar | auth | AORs per run | registrations/s (median) | REGISTER requests/s '
         '| complete runs | failed / retransmitted |',
         '|---|---|---:|---:|---:|---:|---|']
    for r in rows:
        L.append('| ' + ' | '.join(r) + ' |')
    L.append('')
    return L


def rst_table(header, rows, widths=None):
    out = ['.. list-table::', '   :header-rows: 1']
    if widths:
        out.append('   :widths: ' + ' '.join(str(w) for w in widths))
    out.append('')
    for r in [header] + rows:
        first = True
        for c in r:
            out.append(('   * - ' if first else '     - ') + (str(c) if str(c) else '..'))
            first = False
    out.append('')
    return out


def rst(res):
    """The results section of Documentation/performance.rst."""
    m = res['meta']
    S = res['systems']
    tf = res.get('tcg', {}).get('factor')
    L = []
    L.append(f"From ``{m.get('command')}`` at commit ``{m.get('commit')}`` "
             f"({m.get('date')}), {fmt(m.get('elapsed_s'))} s.  Machine: "
             f"{m.get('host_nproc')} CPUs ({m.get('host_cpu')}), {fmt(m.get('host_mem_mb'))} MB, "
             f"kernel {m.get('host_kernel')}, load average {m.get('loadavg_start')} at start.  "
             f"VM: {m.get('kernel')}, {m.get('nproc')} vCPUs under TCG (TCG factor "
             f"{fmt(tf, 1)}).  Load generator limit {fmt(res['baseline'].get('generator_rate'))} "
             f"msgs/s; fixed offered load {fmt(res.get('fixed_load'))} msgs/s; "
             f"{m.get('rounds')} rounds.  The machine-written version is "
             f"``bench/results/latest.md`` (and ``latest.json``).")
    L.append('')
    rows = []
    for s, e in S.items():
        rr = e.get('resp_run') or {}
        both = (rr.get('requests') or 0) + (rr.get('responses') or 0) if rr else None
        util = e.get('peak_proxy_util')
        rows.append([s, f"{fmt(e.get('peak_rate'))} ({e.get('peak_bound')}, "
                        f"{fmt(100 * util if util is not None else None)} %)",
                     fmt(both),
                     f"{fmt(e.get('host_cpu_per_msg_us'), 1)} ({fmt(e.get('cpu_per_msg_us'), 1)})",
                     fmt(e.get('net_host_cpu_per_msg_us'), 1),
                     fmt(e.get('sat_host_cpu_per_msg_us'), 1),
                     fmt(e.get('sat_rate_per_cpu')),
                     f"{fmt(e.get('added_p50_us'))} / {fmt(e.get('added_p99_us'))}",
                     fmt(e.get('sipp_max_cps'))])
    b = res['baseline']
    rows.append(['baseline (one hop)', f"{fmt(b.get('generator_rate'))} (load generator)", '',
                 f"{fmt(b.get('rx_host_cpu_per_msg_us'), 1)} ({fmt(b.get('rx_cpu_per_msg_us'), 1)}), receive only",
                 '', '', '', f"{fmt(b.get('latency_p50_us'))} / {fmt(b.get('latency_p99_us'))} (absolute)", ''])
    L += rst_table(['system', 'peak delivered, req/s (bound by, proxy CPU)',
                    'req + resp at saturation, msgs/s',
                    'proxy CPU per msg at the fixed load, us: host (guest)',
                    'same minus the baseline, us (host)',
                    'proxy CPU per msg at saturation, us (host)',
                    'delivered at saturation per proxy CPU-second',
                    'added latency p50 / p99, us', 'SIPp calls/s, < 0.1 % failed'], rows)
    for s, rws in res['scale'].items():
        rows = []
        for r in rws:
            caches = ', '.join(f'{k} {v:.0f}' for k, v in sorted((r.get('slab_caches_per_entry') or {}).items()))
            rows.append([f"{r['entries']:,}", fmt(r.get('bulk_rate')), fmt(r.get('kmem_bytes_per_entry')),
                         caches or 'n/a', fmt(r.get('sat_rate')),
                         f"{fmt(r.get('host_cpu_per_msg_us'), 1)} ({fmt(r.get('cpu_per_msg_us'), 1)})",
                         fmt(r.get('host_cpu_per_msg_vs_smallest'), 2),
                         fmt(r.get('sat_host_cpu_per_msg_us'), 1),
                         fmt(r.get('sat_host_cpu_per_msg_vs_smallest'), 2)])
        L.append(f'Location table size ({s}):')
        L.append('')
        L += rst_table(['entries', 'bulk load in TCG, entries/s', 'kernel memory per entry, B',
                        'slab caches grown, B/entry', 'peak delivered, req/s',
                        'proxy CPU per msg at the fixed load, us: host (guest)', 'vs 1 k',
                        'at saturation, us (host)', 'vs 1 k'], rows)
    rows = register_rows(res)
    if rows:
        L.append('Registration: ' + REG_NOTE)
        L.append('')
        L += rst_table(['registrar', 'auth', 'AORs per run', 'registrations/s (median)',
                        'REGISTER requests/s', 'complete runs', 'failed / retransmitted'], rows)
    rows = []
    for t in res['targets']:
        v = t['value']
        val = ('n/a' if v is None else f'{v:.2f}x' if t['unit'] == 'x' else
               f'{v:.0f} B' if t['unit'] == 'B' else f'{v:,.0f}{t["unit"]}')
        rows.append([t['target'], val, 'yes' if t['met'] else '**no**', t.get('note') or ''])
    L.append('Targets:')
    L.append('')
    L += rst_table(['target', 'measured', 'met', 'notes'], rows)
    return '\n'.join(L) + '\n'


def gnuplot(res, out):
    dat = os.path.join(out, 'rate_vs_load.dat')
    with open(dat, 'w') as f:
        for s, pts in res['ladder'].items():
            f.write(f'# {s}\n')
            for p in pts:
                f.write(f"{p['offered']:.1f} {p['delivered']:.1f}\n")
            f.write('\n\n')
    names = list(res['ladder'])
    m = res['meta']
    title = (f"sipk bench: delivered vs offered (1 k entries), commit {m.get('commit')}, "
             f"{m.get('nproc')} vCPUs TCG")
    style = {'sipk': 'lw 3 pt 7 ps 1.2', 'kamailio': 'lw 2 pt 5', 'ipfwd': 'lw 2 pt 9 dt 3'}
    # the limit first, sipk last (on top)
    order = sorted(range(len(names)), key=lambda i: {'ipfwd': 0, 'sipk': 9}.get(names[i], 5))
    plots = ', '.join(f"'rate_vs_load.dat' index {i} with linespoints "
                      f"{style.get(names[i], 'lw 2 pt 13')} title '{names[i]}'" for i in order)
    gp = f"""# generated by bench/report.py
set terminal pngcairo size 1000,640 font ",11"
set output 'rate_vs_load.png'
set title "{title}"
set xlabel 'offered load (requests/s)'
set ylabel 'delivered (valid requests/s at the uas)'
set logscale xy
set grid
set key top left
plot {plots}, x with lines dt 2 lc rgb 'gray' title 'delivered = offered'
"""
    with open(os.path.join(out, 'rate_vs_load.gp'), 'w') as f:
        f.write(gp)


def check(path, sys_name):
    res = load(path)
    if not res:
        print(f'{sys_name}: no results ({path})')
        return 1
    e = res['systems'].get(sys_name)
    if not e:
        print(f'{sys_name}: not in the results')
        return 1
    rate = e.get('peak_rate') or 0
    ok = (e.get('valid_total') or 0) > 0 and rate > 0
    sipp = e.get('sipp_max_cps')
    print(f"{sys_name} forwards {rate:.0f} msgs/s ({e.get('valid_total', 0)} valid, "
          f"{e.get('invalid_total', 0)} invalid; SIPp {'ok' if sipp else 'failed'})")
    return 0 if ok else 1


def check_reg(path, sys_name):
    res = load(path)
    d = (res or {}).get('register', {}).get(sys_name)
    if not d:
        print(f'{sys_name}: no registration results ({path})')
        return 1
    ok = True
    parts = []
    for a, what in (('auth0', 'no auth'), ('auth1', 'digest auth')):
        e = d.get(a) or {}
        r = e.get('rate')
        ok = ok and bool(r) and e.get('complete_runs') == len(e.get('runs', []))
        parts.append(f"{what} {fmt(r)}/s ({e.get('complete_runs', 0)}/{len(e.get('runs', []))} runs complete)")
    print(f"{sys_name} registers: " + ', '.join(parts))
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--raw')
    ap.add_argument('--out')
    ap.add_argument('--check', nargs=2, metavar=('JSON', 'SYSTEM'))
    ap.add_argument('--check-reg', nargs=2, metavar=('JSON', 'SYSTEM'))
    ap.add_argument('--reg-systems', metavar='JSON',
                    help='print the systems with registration results')
    a = ap.parse_args()
    if a.check:
        return check(*a.check)
    if a.check_reg:
        return check_reg(*a.check_reg)
    if a.reg_systems:
        print(' '.join((load(a.reg_systems) or {}).get('register', {})))
        return 0
    if not a.raw or not a.out:
        ap.error('--raw and --out are required')
    res = build(a.raw)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, 'latest.json'), 'w') as f:
        json.dump(res, f, indent=1, sort_keys=False)
        f.write('\n')
    with open(os.path.join(a.out, 'latest.md'), 'w') as f:
        f.write(markdown(res))
    with open(os.path.join(a.out, 'latest.rst'), 'w') as f:
        f.write(rst(res))
    gnuplot(res, a.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
