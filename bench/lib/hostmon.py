#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
bench/lib/hostmon.py SCRATCH - host-side CPU accounting of the bench VM.

The guest's own /proc/stat counts time a vCPU was descheduled by the host
as busy time; on a shared host that inflates every number.  The host knows
better: each QEMU TCG vCPU is a thread, and its schedstat says how long it
really ran.  The guest asks for a sample by creating SCRATCH/ctl/req.NAME;
this answers with SCRATCH/ctl/ack.NAME, one JSON line:

  {"t": HOST_NS, "threads": {"TID": RUN_NS, ...}}

Which thread is which vCPU the guest finds out itself (busy loops pinned to
each CPU between two samples: see bench/lib/common.sh, host_calibrate).
Runs until SCRATCH/ctl/stop appears or its parent goes away.
"""
import os
import sys
import time


def find_qemu(scratch):
    needle = f'path={scratch},mount_tag=scratch'.encode()
    for p in os.listdir('/proc'):
        if not p.isdigit():
            continue
        try:
            with open(f'/proc/{p}/cmdline', 'rb') as f:
                cmd = f.read()
        except OSError:
            continue
        if b'qemu-system' in cmd and needle in cmd:
            return int(p)
    return None


def sample(pid):
    out = {}
    try:
        tids = os.listdir(f'/proc/{pid}/task')
    except OSError:
        return out
    for t in tids:
        try:
            with open(f'/proc/{pid}/task/{t}/schedstat') as f:
                out[t] = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return out


def main():
    scratch = os.path.realpath(sys.argv[1])
    ctl = os.path.join(scratch, 'ctl')
    os.makedirs(ctl, exist_ok=True)
    for f in os.listdir(ctl):
        os.unlink(os.path.join(ctl, f))
    parent = os.getppid()
    pid = None
    open(os.path.join(ctl, 'hostmon.ready'), 'w').close()
    while True:
        if os.path.exists(os.path.join(ctl, 'stop')) or os.getppid() != parent:
            break
        reqs = [f for f in os.listdir(ctl) if f.startswith('req.')]
        if reqs:
            if pid is None or not os.path.exists(f'/proc/{pid}'):
                pid = find_qemu(scratch)
            now = time.time_ns()
            s = sample(pid) if pid else {}
            line = '{"t": %d, "pid": %d, "threads": {%s}}\n' % (
                now, pid or 0, ', '.join(f'"{k}": {v}' for k, v in s.items()))
            for r in reqs:
                name = r[4:]
                tmp = os.path.join(ctl, f'.ack.{name}')
                with open(tmp, 'w') as f:
                    f.write(line)
                os.rename(tmp, os.path.join(ctl, f'ack.{name}'))
                try:
                    os.unlink(os.path.join(ctl, r))
                except OSError:
                    pass
        time.sleep(0.002)
    return 0


if __name__ == '__main__':
    sys.exit(main())
